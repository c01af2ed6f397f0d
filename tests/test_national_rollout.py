"""A national rollout: one scenario per force, run as one sweep, with the country's
totals and a row per force."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from police_uk_samples import FORCE, write_archive
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.errors import SweepFileError
from simdivert.experiments.executors import InProcessExecutor
from simdivert.experiments.national import national_kpis
from simdivert.experiments.sweep_cells import plan_sweep
from simdivert.importers.scenario_toml import import_police_uk
from simdivert.outputs.sweep_writer import run_sweep

runner = CliRunner()
SHORT = '"run.years" = 0.1\n"run.warmup_days" = 7\n"policy.launch_after_days" = 0\n'
BUILTIN = Path(__file__).parents[1] / "scenarios" / "sweeps" / "national_rollout.toml"


def national_sweep(folder: Path, extra: str = "") -> Path:
    """Two forces: one imported from synthetic police.uk files, one built in."""
    forces = folder / "forces"
    import_police_uk([write_archive(folder / "archive")], FORCE, "west_midlands", forces / "a.toml")
    path = folder / "national.toml"
    path.write_text(
        "replications = 2\nseed = 4\n[set]\n"
        + SHORT
        + extra
        + '[national]\nforces = ["north_wales"]\nfolder = "forces"\n'
    )
    return path


@pytest.fixture(scope="module")
def rollout(tmp_path_factory):
    folder = tmp_path_factory.mktemp("national")
    plan = plan_sweep(national_sweep(folder))
    outcome = run_sweep(plan, folder / "out", InProcessExecutor())
    return plan, outcome


def test_every_force_is_a_cell(rollout) -> None:
    plan, outcome = rollout
    assert plan.national
    assert [cell.scenario.name for cell in plan.cells] == [
        "north_wales",
        "west_midlands_west_midlands",
    ]
    assert list(outcome.forces["force"]) == ["north_wales", "west_midlands_west_midlands"]


def test_national_totals_are_the_forces_summed(rollout) -> None:
    plan, outcome = rollout
    national = outcome.national.set_index("kpi")
    for kpi in national_kpis(outcome.results):
        per_replication = outcome.results.groupby("replication")[kpi].sum()
        assert national.loc[kpi, "mean"] == pytest.approx(per_replication.mean())
        assert national.loc[kpi, "mean"] == pytest.approx(outcome.forces[kpi].sum())
        assert national.loc[kpi, "ci_low"] <= national.loc[kpi, "mean"]
    workers = sum(cell.scenario.provider.drug_workers for cell in plan.cells)
    assert national.loc["drug_workers_in_post", "mean"] == pytest.approx(workers)
    assert set(national["forces"]) == {2}
    assert "charges_per_year" in national.index  # formal outcomes


def test_the_tables_are_written_and_a_rerun_resumes(rollout) -> None:
    plan, outcome = rollout
    written = pd.read_csv(outcome.folder / "national.csv")
    assert list(written["kpi"]) == list(outcome.national["kpi"])
    forces = pd.read_csv(outcome.folder / "forces.csv")
    assert len(forces) == 2
    again = run_sweep(plan, outcome.folder, InProcessExecutor())
    assert again.cells_before == 2 and again.cells_run == 0
    pd.testing.assert_frame_equal(again.national, outcome.national)


def test_variants_give_one_national_total_each(tmp_path: Path) -> None:
    extra = '[[variants]]\nlabel = "as now"\n[[variants]]\nlabel = "busier"\n'
    extra += 'set = { "demand.annual_growth" = 0.5 }\n'
    path = national_sweep(tmp_path, "")
    path.write_text(path.read_text().replace("[national]", extra + "[national]"))
    plan = plan_sweep(path)
    assert len(plan.cells) == 4
    outcome = run_sweep(plan, tmp_path / "out", InProcessExecutor())
    referrals = outcome.national[outcome.national["kpi"] == "referrals_per_year"]
    assert list(referrals["variant"]) == ["as now", "busier"]
    assert list(outcome.forces["variant"]) == ["as now", "as now", "busier", "busier"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[national]\n", "national: give the forces' scenarios or a folder of them"),
        ('[national]\nfolder = "nowhere"\n', "national.folder: no folder"),
        (
            '[national]\nforces = ["kent_made_up"]\n',
            "national.forces[0]: no scenario 'kent_made_up'",
        ),
        (
            '[grid]\nscenario = ["west_midlands"]\n[national]\nforces = ["north_wales"]\n',
            "grid.scenario: a national rollout's forces are its scenarios",
        ),
        (
            '[national]\nforces = ["north_wales", "a.toml"]\n',
            "are both named 'north_wales'",
        ),
    ],
    ids=["empty", "no folder", "unknown force", "grid of scenarios", "same name twice"],
)
def test_a_bad_national_block_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "a.toml").write_text('extends = "north_wales"\nname = "north_wales"\n')
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SweepFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        plan_sweep(path)


def test_the_command_prints_the_national_and_force_tables(tmp_path: Path) -> None:
    path = national_sweep(tmp_path)
    result = runner.invoke(
        app, ["sweep", str(path), "--workers", "1", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert "National totals, 2 forces" in result.output
    assert "Per force (means)" in result.output
    assert "north_wales" in result.output


def test_the_builtin_example_has_a_cell_per_force() -> None:
    plan = plan_sweep(BUILTIN)
    assert plan.national
    assert [c.scenario.name for c in plan.cells] == [
        "large_metropolitan",
        "mid_sized",
        "small_rural",
    ]


def test_a_dask_cluster_gives_the_same_national_tables(rollout, dask_address) -> None:
    plan, outcome = rollout
    out = outcome.folder.parent / "on-dask"
    result = runner.invoke(
        app, ["sweep", str(plan.source), "--dask", dask_address, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for name in ("national.csv", "forces.csv"):
        assert (out / name).read_bytes() == (outcome.folder / name).read_bytes()
