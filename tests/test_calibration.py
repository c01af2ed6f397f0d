"""Calibration: every built-in scenario meets its published figures (issues 2, 3 and 7),
checked row by row from the targets table; ``simdivert calibrate`` as a user runs it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.errors import ScenarioError, UserError
from simdivert.experiments.calibration import (
    Target,
    check_against,
    load_targets,
    run_calibration,
)
from simdivert.experiments.executors import LocalPoolExecutor
from simdivert.experiments.replications import RunResult
from simdivert.outputs.writers import DOCS_BEGIN, DOCS_END, replace_marked_section
from simdivert.scenario.files import load_scenario

runner = CliRunner()
TARGETS = load_targets()
REPLICATIONS = 4


@pytest.fixture(scope="module")
def built_in_checks():
    """Every row of the built-in table, on 4 replications of each scenario it names."""
    with LocalPoolExecutor(2) as executor:
        checks, runs = run_calibration(TARGETS, replications=REPLICATIONS, executor=executor)
    assert [run.scenario for run in runs] == ["west_midlands", "status_quo", "durham_checkpoint"]
    return checks


def row_id(target: Target) -> str:
    against = f"-vs-{target.against}" if target.against else ""
    return f"{target.scenario}-{target.kpi}{against}"


def test_the_built_in_table_covers_the_published_figures():
    rows = {(t.scenario, t.kpi, t.against) for t in TARGETS}
    west_midlands = {
        "completions_by_month_8",
        "referrals_by_month_12",
        "referrals_by_month_36",
        "referrals_by_month_54",
        "diversions_per_year_y5",
        "share_assessed",
        "share_cannabis",
        "share_cocaine",
        "rereferral_rate",
        "recording_uplift",
        "recorded_possession_change_at_launch",
        "formal_outcome_share_black_male_y0",
        "formal_outcome_share_black_male_y2",
        "assessment_wait_p90_days",
        "course_wait_p90_days",
        "police_hours_saved_published_per_year",
        "police_hours_saved_adjusted_per_year",
    }
    assert {("west_midlands", kpi, None) for kpi in west_midlands} <= rows
    against_status_quo = {
        "charges_per_year_y2",
        "cautions_per_year_y2",
        "recorded_possession_per_year_y1",
        "police_hours_per_year_y2",
    }
    assert {("west_midlands", kpi, "status_quo") for kpi in against_status_quo} <= rows
    assert ("durham_checkpoint", "share_completed", None) in rows
    assert all(t.source for t in TARGETS)
    # Over 70% assessed: the whole interval, not only the mean.
    assert next(t for t in TARGETS if t.kpi == "share_assessed").whole_ci


@pytest.mark.parametrize("row", range(len(TARGETS)), ids=[row_id(t) for t in TARGETS])
def test_every_built_in_target_is_met(built_in_checks, row):
    check = built_in_checks[row]
    assert check.target == TARGETS[row]
    assert check.passed, (
        f"{row_id(check.target)}: mean {check.mean} (CI {check.ci_low} – {check.ci_high}) "
        f"outside {check.target.range_text()}"
    )


def experiment(values: list[float], kpi: str = "charges_per_year_y2") -> RunResult:
    table = pd.DataFrame({"replication": range(len(values)), kpi: values})
    return RunResult(load_scenario(), 1, table, pd.DataFrame(), pd.DataFrame(), None)


def test_a_change_against_another_scenario_is_paired():
    """Base 100, 110, 90, 100; the other 30 below it in every replication: exactly -30%,
    with a zero-width interval, however noisy the base."""
    target = Target(
        scenario="west_midlands",
        against="status_quo",
        figure="charges",
        kpi="charges_per_year_y2",
        target="-30%",
        low=-0.35,
        high=-0.25,
        whole_ci=True,
        source="test",
    )
    base = experiment([100.0, 110.0, 90.0, 100.0])
    check = check_against(target, base, experiment([70.0, 80.0, 60.0, 70.0]))
    assert (check.mean, check.ci_low, check.ci_high) == pytest.approx((-0.3, -0.3, -0.3))
    assert check.passed
    noisy = check_against(target, base, experiment([70.0, 90.0, 50.0, 70.0]))
    assert noisy.mean == pytest.approx(-0.3) and noisy.ci_low < -0.35
    assert not noisy.passed  # the mean is in range, the whole interval is not
    assert np.isnan(check_against(target, experiment([0.0] * 4), base).mean)


def invoke(*args):
    return runner.invoke(app, ["calibrate", "--reps", "2", "--workers", "1", *map(str, args)])


def write_targets(path, rows: str):
    path.write_text(rows)
    return path


PASSING = """
[[target]]
scenario = "west_midlands"
figure = "referrals"
kpi = "referrals_per_year"
target = "some"
low = 1000
high = 100000
source = "test"
"""
FAILING = """
[[target]]
scenario = "west_midlands"
figure = "nearly all cannabis"
kpi = "share_cannabis"
target = "99%"
low = 0.99
source = "test"
"""


def test_calibrate_writes_the_tables_and_fails_on_a_missed_target(tmp_path):
    targets = write_targets(tmp_path / "targets.toml", PASSING + FAILING)
    docs = tmp_path / "VALIDATION.md"
    docs.write_text(f"# Before\n\n{DOCS_BEGIN}\nold table\n{DOCS_END}\n\n## After\n")
    out = tmp_path / "cal"
    result = invoke("--targets", targets, "--out", out, "--write-docs", "--docs", docs)
    assert result.exit_code == 1, result.output
    assert "1 of 2 checks failed" in result.stderr and "share_cannabis" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "calibration.csv",
        "calibration.md",
        "manifest.json",
    ]
    table = pd.read_csv(out / "calibration.csv")
    assert list(table["passed"]) == [True, False]
    assert list(table["kpi"]) == ["referrals_per_year", "share_cannabis"]
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()
    markdown = (out / "calibration.md").read_text()
    assert (
        "| west_midlands | referrals (`referrals_per_year`) | some | 1,000 to 100,000 |" in markdown
    )
    assert "**no**" in markdown and "1 of 2 checks pass." in markdown
    text = docs.read_text()
    assert text.startswith(f"# Before\n\n{DOCS_BEGIN}\n")
    assert text.endswith(f"{DOCS_END}\n\n## After\n")
    assert "old table" not in text and markdown in text


PAIRED = """
[[target]]
scenario = "west_midlands"
against = "status_quo"
figure = "charges in y1"
kpi = "charges_per_year_y1"
target = "fewer"
high = -0.3
source = "test"
"""


def test_a_paired_row_from_the_command_line(tmp_path):
    targets = write_targets(tmp_path / "targets.toml", PAIRED)
    out = tmp_path / "paired"
    result = invoke("--targets", targets, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "calibration.csv")
    assert table.loc[0, "against"] == "status_quo" and table.loc[0, "unit"] == "change"
    assert -0.9 < table.loc[0, "mean"] < -0.3
    markdown = (out / "calibration.md").read_text()
    assert "≤ -30.0%, against `status_quo` (paired)" in markdown
    assert "- `status_quo`: 2 replications, seed 2020" in markdown


def test_a_paired_row_needs_the_same_seed_in_both_scenarios(tmp_path):
    other = tmp_path / "other_seed.toml"
    other.write_text('extends = "west_midlands"\n[run]\nseed = 1\n')
    targets = write_targets(tmp_path / "t.toml", PAIRED.replace('"west_midlands"', f'"{other}"'))
    result = invoke("--targets", targets, "--out", tmp_path / "never")
    assert result.exit_code == 2 and "needs the same seed and replications" in result.stderr
    assert invoke("--targets", targets, "--seed", "5", "--out", tmp_path / "ok").exit_code == 0


def test_all_checks_passing_exits_zero(tmp_path):
    targets = write_targets(tmp_path / "targets.toml", PASSING)
    result = invoke("--targets", targets, "--out", tmp_path / "ok")
    assert result.exit_code == 0, result.output
    assert "Results written to" in result.stdout


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (PASSING.replace("referrals_per_year", "nope"), "target[1]: unknown KPI 'nope'"),
        (PASSING + FAILING.replace("low = 0.99\n", ""), "target[2]: give at least one"),
        (PASSING.replace('source = "test"', 'source = "test"\nsauce = 1'), "target[1].sauce"),
        (PASSING.replace("high = 100000", "high = 10"), "low (1000.0) is above high (10.0)"),
        ("[[target]\n", "not valid TOML"),
        (PAIRED.replace('"status_quo"', '"west_midlands"'), "is the row's own scenario"),
        (PAIRED.replace("high = -0.3", 'high = -0.3\nbelow = "charges_per_year"'), "not both"),
        (
            PASSING.replace('source = "test"', 'source = "test"\nevidence = "plausibility"'),
            "evidence: a fitted row is fitted, not 'plausibility'",
        ),
        (
            PASSING.replace(
                'source = "test"', 'source = "test"\nfit = false\nevidence = "input echoed"'
            ),
            "set_by names the input",
        ),
        (
            PASSING.replace('source = "test"', 'source = "test"\nfit = false\nset_by = "x.y"'),
            "set_by names the input",
        ),
    ],
)
def test_a_bad_targets_file_is_named_with_row_and_key(tmp_path, rows, message):
    targets = write_targets(tmp_path / "targets.toml", rows)
    with pytest.raises(ScenarioError) as caught:
        load_targets(targets)
    assert str(caught.value).startswith(f"{targets}: ")
    assert message in str(caught.value)
    result = invoke("--targets", targets, "--out", tmp_path / "never")
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "never").exists()


def test_an_unknown_scenario_in_the_targets(tmp_path):
    targets = write_targets(tmp_path / "t.toml", PASSING.replace("west_midlands", "atlantis"))
    result = invoke("--targets", targets, "--out", tmp_path / "never")
    assert result.exit_code == 2 and "atlantis: no such file" in result.stderr


def test_a_year_the_scenario_does_not_reach(tmp_path):
    targets = write_targets(tmp_path / "t.toml", PAIRED.replace("_y1", "_y7"))
    result = invoke("--targets", targets, "--out", tmp_path / "never")
    assert result.exit_code == 2
    assert "no KPI 'charges_per_year_y7' in its run" in result.stderr


def test_docs_without_markers_fail_before_running(tmp_path):
    docs = tmp_path / "VALIDATION.md"
    docs.write_text("# no markers here\n")
    result = invoke("--out", tmp_path / "never", "--write-docs", "--docs", docs)
    assert result.exit_code == 2 and "needs the markers" in result.stderr
    assert not (tmp_path / "never").exists()
    assert docs.read_text() == "# no markers here\n"
    with pytest.raises(UserError):
        replace_marked_section(f"{DOCS_END} then {DOCS_BEGIN}", "x", "doc.md")
