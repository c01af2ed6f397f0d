"""``simdivert calibrate --fit`` on a tiny scenario: the folder, reproducibility, resuming
a killed fit without losing or repeating runs, one-line errors, the shipped fit."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simdivert as sd
from simdivert.cli.app import app
from simdivert.errors import ScenarioError, UserError
from simdivert.experiments.calibration import load_targets
from simdivert.experiments.executors import InProcessExecutor
from simdivert.experiments.fit_plan import plan_fit
from simdivert.experiments.history_matching import Settings
from simdivert.outputs.fit_folder import run_fit
from simdivert.outputs.parameter_sets import builtin_fits, read_parameter_sets, resolve_fit
from simdivert.scenario.files import load_scenario

# A quarter of a policy year from the end of a two-week warm-up: a replication is quick.
TINY = """extends = "west_midlands"
name = "tiny"
[run]
years = 0.25
warmup_days = 14
[policy]
launch_after_days = 0
"""
TINY_STATUS_QUO = """extends = "tiny.toml"
name = "tiny_status_quo"
[policy]
diversion = false
"""
TARGETS = """
[[target]]
scenario = "tiny"
figure = "comply with at least the assessment"
kpi = "share_assessed"
target = "over 70%"
low = 0.70
source = "test"
observation_sd = 0.02
discrepancy_sd = 0.01

[[target]]
scenario = "tiny"
figure = "referrals a year"
kpi = "diversions_per_year"
target = "about 1,000"
low = 800
high = 1200
source = "test"
observation_sd = 100
discrepancy_sd = 50

[[target]]
scenario = "tiny"
against = "{status_quo}"
figure = "charges"
kpi = "charges_per_year"
target = "-10% to -30%"
low = -0.3
high = -0.1
source = "test"
fit = false
"""
POINTS, WAVES = 6, 2
ARMS = 2  # the scenario and its status quo


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit")
    (folder / "tiny.toml").write_text(TINY)
    (folder / "tiny_status_quo.toml").write_text(TINY_STATUS_QUO)
    (folder / "targets.toml").write_text(TARGETS.format(status_quo=folder / "tiny_status_quo.toml"))
    (folder / "VALIDATION.md").write_text("# V\n<!-- fit:begin -->\nold\n<!-- fit:end -->\nend\n")
    return folder


def command(files, out, *extra: str) -> list[str]:
    return [
        "calibrate",
        "--fit",
        "--scenario",
        str(files / "tiny.toml"),
        "--targets",
        str(files / "targets.toml"),
        "--points",
        str(POINTS),
        "--waves",
        str(WAVES),
        "--workers",
        "1",
        "--out",
        str(out),
        *extra,
    ]


@pytest.fixture(scope="module")
def fitted(files):
    """The fit as a user types it, with the docs table written."""
    out = files / "out"
    docs = files / "VALIDATION.md"
    result = CliRunner().invoke(app, command(files, out, "--write-docs", "--docs", str(docs)))
    assert result.exit_code == 0, result.output
    return out, result.output


def test_the_command_writes_the_fit_folder_and_the_docs_table(files, fitted):
    out, output = fitted
    for name in ("parameter_sets.parquet", "waves.parquet", "targets.csv", "fit.md"):
        assert (out / name).is_file(), name
    for figure in ("implausibility_by_wave.png", "marginals.png"):
        assert (out / "figures" / figure).stat().st_size > 10_000
    waves = pd.read_parquet(out / "waves.parquet")
    assert list(waves.groupby("wave").size()) == [POINTS, POINTS]
    assert {"I: share_assessed", "implausibility", "charges_per_year vs"} <= {
        c if not c.startswith("charges_per_year vs") else "charges_per_year vs"
        for c in waves.columns
    }
    scenario = load_scenario(files / "tiny.toml")
    sets = read_parameter_sets(out, scenario)
    assert len(sets) == int(waves[(waves["wave"] == WAVES)]["non_implausible"].sum())
    for key, prior in scenario.uncertainty.items():
        low, high = prior.support
        assert sets[key].between(low - 1e-9, high + 1e-9).all(), key
    docs = (files / "VALIDATION.md").read_text()
    assert "old" not in docs and docs.endswith("<!-- fit:end -->\nend\n")
    assert (
        "**Fitted targets: 2**" in docs
        and "**Tests (published figures not used to set anything, in the fit or by hand): 1**"
        in docs
    )
    checks = pd.read_csv(out / "targets.csv")
    assert list(checks["role"]) == ["fitted", "fitted", "test"]
    assert "History matching: per target" in output and "non-implausible" in output


def test_a_fixed_seed_fit_is_reproducible(files, fitted, tmp_path):
    out, _ = fitted
    seed = load_scenario(files / "tiny.toml").run.seed
    again = sd.fit(
        files / "tiny.toml",
        tmp_path / "again",
        targets=files / "targets.toml",
        points=POINTS,
        waves=WAVES,
        seed=seed,
        figures=False,
    )
    pd.testing.assert_frame_equal(again.waves, pd.read_parquet(out / "waves.parquet"))
    assert again.runs_now == POINTS * WAVES * ARMS and again.runs_before == 0


class Stops(InProcessExecutor):
    """Runs tasks in this process; raises KeyboardInterrupt (as Ctrl-C) before task
    ``stop_after + 1``, and counts every task it runs."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.stop_after = stop_after
        self.ran = 0

    def completed(self) -> Iterator[tuple[Hashable, Any]]:
        for tag, result in super().completed():
            self.ran += 1
            yield tag, result
            if self.stop_after is not None and self.ran >= self.stop_after:
                raise KeyboardInterrupt


def test_a_killed_fit_resumes_without_losing_or_repeating_runs(files, fitted, tmp_path):
    out, _ = fitted
    folder = tmp_path / "killed"
    killed = Stops(stop_after=POINTS * ARMS + 5)  # in the middle of wave 2
    with pytest.raises(KeyboardInterrupt):
        run_fit(plan_with_seed(files), folder, killed)
    resumed = Stops()
    outcome = run_fit(plan_with_seed(files), folder, resumed)
    total = POINTS * WAVES * ARMS
    assert killed.ran + resumed.ran == total  # none lost, none run twice
    assert outcome.runs_before == killed.ran and outcome.runs_now == resumed.ran
    pd.testing.assert_frame_equal(outcome.waves, pd.read_parquet(out / "waves.parquet"))
    again = Stops()
    assert run_fit(plan_with_seed(files), folder, again).runs_now == 0 and again.ran == 0


def plan_with_seed(files, points: int = POINTS):
    seed = load_scenario(files / "tiny.toml").run.seed
    return plan_fit(
        files / "tiny.toml",
        load_targets(files / "targets.toml"),
        Settings(points, WAVES, seed=seed),
        1,
        "built-in targets",
    )


def test_a_changed_design_refuses_to_resume(files, fitted):
    out, _ = fitted
    with pytest.raises(UserError, match="holds a different fit .* use --fresh"):
        run_fit(plan_with_seed(files, points=POINTS + 1), out, InProcessExecutor())
    result = CliRunner().invoke(
        app, command(files, out)[:-2] + ["--points", "7", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "holds a different fit" in result.output and "Traceback" not in result.output


def test_bad_targets_are_one_line_errors(files, tmp_path):
    targets = (files / "targets.toml").read_text()
    (tmp_path / "t.toml").write_text(targets.replace("observation_sd = 0.02\n", "", 1))
    with pytest.raises(ScenarioError, match=r"t.toml: target\[1\]\.observation_sd: a fitted"):
        plan_fit(files / "tiny.toml", load_targets(tmp_path / "t.toml"), Settings(), 1, "t.toml")
    tests_only = targets.replace("observation_sd = 0.02", "fit = false").replace(
        "observation_sd = 100", "fit = false"
    )
    (tmp_path / "t.toml").write_text(tests_only)
    with pytest.raises(UserError, match="t.toml: no row of 'tiny' has fit = true"):
        plan_fit(files / "tiny.toml", load_targets(tmp_path / "t.toml"), Settings(), 1, "t.toml")
    result = CliRunner().invoke(app, ["calibrate", "--fit", "--scenario", "status_quo"])
    assert result.exit_code == 2
    assert "no target rows for scenario 'status_quo'" in result.output


def test_a_below_row_cannot_be_fitted_and_bad_options_are_named(files, tmp_path):
    text = (
        (files / "targets.toml")
        .read_text()
        .replace("low = 0.70\n", 'low = 0.70\nbelow = "share_completed"\n', 1)
    )
    (tmp_path / "t.toml").write_text(text)
    with pytest.raises(ScenarioError, match=r"target\[1\]\.fit: a row with `below`"):
        plan_fit(files / "tiny.toml", load_targets(tmp_path / "t.toml"), Settings(), 1, "t.toml")
    runner = CliRunner()
    for extra, words in (
        (["--points", "2"], "points 2: a wave needs at least 4"),
        (["--cut-rank", "3"], "cut-rank 3"),
    ):
        args = command(files, tmp_path / "x")
        result = runner.invoke(app, [*args[:6], *extra, *args[10:]])
        assert result.exit_code == 2, result.output
        assert words in result.output and len(result.output.strip().splitlines()) == 1


def test_the_default_scenario_ships_its_fitted_sets():
    assert "west_midlands" in builtin_fits()
    path = resolve_fit("west_midlands")
    scenario = load_scenario("west_midlands")
    sets = sd.fitted_parameter_sets("west_midlands")
    assert list(sets.columns) == list(scenario.uncertainty) and len(sets) >= 20
    assert sets.equals(read_parameter_sets(path, scenario))
    for key, prior in scenario.uncertainty.items():
        low, high = prior.support
        assert np.all((sets[key] >= low - 1e-9) & (sets[key] <= high + 1e-9)), key
    with pytest.raises(UserError, match="durham_checkpoint: no fitted parameter sets"):
        sd.fitted_parameter_sets("durham_checkpoint")
