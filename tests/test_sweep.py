"""Sweeps as a user runs them: cells, common random numbers, resuming, executors."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.experiments.replications import run_replications
from simdivert.experiments.sweep_cells import latin_hypercube, plan_sweep
from simdivert.scenario.files import load_scenario

from conftest import whole_window_kpis

runner = CliRunner()
SHORT_SET = '[set]\n"run.years" = 0.1\n"run.warmup_days" = 7\n"policy.launch_after_days" = 0\n'
GRID_SWEEP = f"""
scenario = "west_midlands"
replications = 2
seed = 3
{SHORT_SET}
[grid]
"provider.drug_workers" = [3, 5]

[[variants]]
label = "as now"

[[variants]]
label = "busier"
set = {{ "demand.searches_per_year" = 32000 }}
"""


def write_sweep(folder: Path, text: str, name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def sweep(*args):
    return runner.invoke(app, ["sweep", *(str(a) for a in args)])


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid")
    path = write_sweep(folder, GRID_SWEEP)
    result = sweep(path, "--workers", "2", "--out", folder / "out")
    assert result.exit_code == 0, result.output
    return path, folder / "out"


def test_cells_are_variants_by_grid_points(grid_run):
    _, out = grid_run
    results = pd.read_csv(out / "results.csv")
    assert list(results.columns[:6]) == [
        "cell",
        "scenario",
        "variant",
        "demand.searches_per_year",
        "provider.drug_workers",
        "replication",
    ]
    assert set(results.columns[6:]) == whole_window_kpis(load_scenario("west_midlands"))
    cells = results.drop_duplicates("cell")
    assert list(cells["variant"]) == ["as now", "as now", "busier", "busier"]
    assert list(cells["provider.drug_workers"]) == [3, 5, 3, 5]
    assert list(cells["demand.searches_per_year"]) == [26372, 26372, 32000, 32000]
    assert len(results) == 4 * 2
    assert results.groupby("cell")["replication"].apply(list).tolist() == [[0, 1]] * 4
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), results)


def test_summary_and_manifest(grid_run):
    path, out = grid_run
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == [
        "cell",
        "scenario",
        "variant",
        "demand.searches_per_year",
        "provider.drug_workers",
        "kpi",
        "mean",
        "ci_low",
        "ci_high",
        "unit",
        "replications",
    ]
    assert len(summary) == 4 * len(whole_window_kpis(load_scenario("west_midlands")))
    results = pd.read_csv(out / "results.csv")
    referrals = summary[summary["kpi"] == "referrals_per_year"].set_index("cell")["mean"]
    pd.testing.assert_series_equal(
        referrals, results.groupby("cell")["referrals_per_year"].mean(), check_names=False
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["seed"] == 3 and manifest["replications"] == 2
    assert manifest["sweep_file"] == str(path) and len(manifest["sweep_digest"]) == 64
    assert [c["cell"] for c in manifest["cells"]] == [0, 1, 2, 3]
    assert manifest["cells"][3]["overrides"]["demand.searches_per_year"] == 32000
    assert manifest["runs"][0]["executor"] == "2 local worker processes"


def test_common_random_numbers_a_cell_equals_a_plain_run(grid_run):
    """Cell 1 (base demand, 5 drug workers) is the base scenario itself: the same numbers as
    ``simdivert run`` with the sweep's seed, so cells differ only by their parameters."""
    _, out = grid_run
    results = pd.read_csv(out / "results.csv")
    cell = results[results["cell"] == 1].reset_index(drop=True)
    base = load_scenario(None, ["run.years=0.1", "run.warmup_days=7", "policy.launch_after_days=0"])
    plain = run_replications(base, 2, seed=3).replications
    pd.testing.assert_frame_equal(cell[plain.columns], plain, check_dtype=False)


def test_rerun_of_a_finished_sweep_runs_nothing_and_keeps_the_files(grid_run):
    path, out = grid_run
    before = {p.name: p.stat().st_mtime_ns for p in (out / "cells").iterdir()}
    result = sweep(path, "--workers", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert "4 cells were already done, 0 run now" in result.stdout
    assert {p.name: p.stat().st_mtime_ns for p in (out / "cells").iterdir()} == before


def test_a_changed_sweep_file_is_refused_unless_fresh(grid_run, tmp_path):
    path, out = grid_run
    changed = write_sweep(tmp_path, GRID_SWEEP.replace("[3, 5]", "[3, 4]"))
    copy = tmp_path / "out"
    copy.mkdir()
    for item in out.rglob("*"):
        target = copy / item.relative_to(out)
        if item.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(item.read_bytes())
    result = sweep(changed, "--workers", "1", "--out", copy)
    assert result.exit_code == 2
    assert "holds results of a different sweep" in result.stderr
    assert "--fresh" in result.stderr
    result = sweep(changed, "--workers", "1", "--out", copy, "--fresh")
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(copy / "results.csv")["provider.drug_workers"]) == {3, 4}


def test_a_folder_that_is_not_a_sweep_is_never_touched(tmp_path):
    path = write_sweep(tmp_path, GRID_SWEEP)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    result = sweep(path, "--out", other, "--fresh")
    assert result.exit_code == 2
    assert "is not a sweep's folder" in result.stderr
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_dask_cluster_gives_the_same_files(grid_run, dask_address, tmp_path):
    path, out = grid_run
    result = sweep(path, "--dask", dask_address, "--out", tmp_path / "dask")
    assert result.exit_code == 0, result.output
    for name in ("results.csv", "summary.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (out / name).read_bytes()


def test_forces_as_cells_and_a_latin_hypercube(tmp_path):
    write_sweep(
        tmp_path, 'extends = "west_midlands"\nname = "smaller_force"\n', "smaller_force.toml"
    )
    path = write_sweep(
        tmp_path,
        f"""
replications = 1
{SHORT_SET}
[grid]
scenario = ["west_midlands", "smaller_force.toml"]

[latin_hypercube]
samples = 4
ranges = {{ "provider.drug_workers" = [2, 5], "engagement.patience_days" = [30.0, 90.0] }}
""",
    )
    plan = plan_sweep(path)
    assert [c.columns["scenario"] for c in plan.cells] == ["west_midlands"] * 4 + [
        "smaller_force"
    ] * 4
    assert plan.parameter_columns == [
        "scenario",
        "provider.drug_workers",
        "engagement.patience_days",
    ]
    workers = [c.columns["provider.drug_workers"] for c in plan.cells[:4]]
    assert all(float(w).is_integer() and 2 <= w <= 5 for w in workers)  # integer bounds
    assert [c.scenario.run.seed for c in plan.cells] == [2020] * 8  # the base scenario's


def test_latin_hypercube_puts_one_sample_in_each_stratum():
    points = latin_hypercube({"a": (0.0, 10.0), "b": (1, 4)}, 4, seed=1)
    assert sorted(int(p["a"] // 2.5) for p in points) == [0, 1, 2, 3]
    assert sorted(p["b"] for p in points) == [1, 2, 3, 4]
    assert points == latin_hypercube({"a": (0.0, 10.0), "b": (1, 4)}, 4, seed=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scenaro = 'west_midlands'\n", "scenaro: unknown key"),
        ("[grid]\n", "grid: empty: give at least one dotted key"),
        ('[grid]\n"provider.drug_workers" = []\n', "grid.provider.drug_workers: empty list"),
        (
            '[latin_hypercube]\nsamples = 3\nranges = { "provider.drug_workers" = [6, 2] }\n',
            "latin_hypercube.ranges.provider.drug_workers: low (6) is above high (2)",
        ),
        ('[grid]\n"provider.drug_wrokers" = [2]\n', "provider.drug_wrokers: unknown key"),
        ('[grid]\n"provider.drug_workers" = [-1]\n', "provider.drug_workers: Input should be"),
        ('[grid]\n"run.seed" = [1, 2]\n', "grid.run.seed: set the sweep's top-level `seed`"),
        ('scenario = "nowhere"\n', "scenario: no scenario 'nowhere'"),
        ("replications = 0\n", "replications: Input should be greater than 0"),
        ("[grid\n", "not valid TOML"),
    ],
)
def test_a_bad_sweep_file_is_one_line_naming_file_and_key(tmp_path, text, expected):
    path = write_sweep(tmp_path, text)
    result = sweep(path, "--out", tmp_path / "never")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}")
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


def test_a_cell_that_breaks_a_scenario_rule_is_named(tmp_path):
    path = write_sweep(tmp_path, '[grid]\n"course.facilitators" = [3, 0]\n')
    result = sweep(path, "--out", tmp_path / "never")
    assert result.exit_code == 2
    assert "course: the timetable needs" in result.stderr
    assert result.stderr.strip().endswith("(in cell 1: course.facilitators=0)")
    assert len(result.stderr.strip().splitlines()) == 1


def test_precision_adds_replications_until_the_interval_is_narrow(tmp_path):
    path = write_sweep(tmp_path, GRID_SWEEP.replace("replications = 2", "replications = 3"))
    args = ["--kpi", "referrals_per_year", "--precision", "0.02", "--max-reps", "12"]
    result = sweep(path, *args, "--workers", "2", "--out", tmp_path / "a")
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "a" / "summary.csv")
    referrals = summary[summary["kpi"] == "referrals_per_year"]
    half = (referrals["ci_high"] - referrals["ci_low"]) / 2
    reached = half <= 0.02 * referrals["mean"]
    assert (reached | (referrals["replications"] == 12)).all()
    assert (referrals["replications"] > 3).any()
    again = sweep(path, *args, "--workers", "1", "--out", tmp_path / "b")
    assert again.exit_code == 0, again.output
    assert (tmp_path / "b" / "results.csv").read_bytes() == (
        tmp_path / "a" / "results.csv"
    ).read_bytes()


def test_precision_needs_a_kpi(tmp_path):
    path = write_sweep(tmp_path, GRID_SWEEP)
    result = sweep(path, "--precision", "0.05", "--out", tmp_path / "never")
    assert result.exit_code == 2 and "--kpi" in result.stderr
    result = sweep(path, "--kpi", "waiting_time", "--out", tmp_path / "never")
    assert result.exit_code == 2 and "--kpi waiting_time: not a KPI" in result.stderr


def test_a_backlog_file_named_in_a_sweep_is_read_beside_the_sweep_file(tmp_path):
    folder = tmp_path / "sweeps"
    folder.mkdir()
    (folder / "waiting.csv").write_text("stage,waited_days\ncontact,3\ncourse,12.5\n")
    path = write_sweep(folder, '[grid]\n"backlog.file" = ["waiting.csv"]\n')
    (cell,) = plan_sweep(path).cells
    waiting = cell.scenario.backlog.waiting()
    assert [(p.stage, p.waited_days) for p in waiting] == [("contact", 3.0), ("course", 12.5)]


def test_per_year_kpis_of_cells_with_different_horizons(tmp_path):
    """A whole policy year gives per-year KPIs (``_y1``); a cell without that year has none."""
    path = write_sweep(
        tmp_path,
        'replications = 2\n[set]\n"run.warmup_days" = 7\n"policy.launch_after_days" = 0\n'
        '[grid]\n"run.years" = [0.1, 1.0]\n',
    )
    result = sweep(path, "--kpi", "charges_per_year_y1", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    charges = results.groupby("run.years")["charges_per_year_y1"]
    assert charges.apply(lambda v: v.isna().all()).to_dict() == {0.1: True, 1.0: False}
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    units = summary.drop_duplicates("kpi").set_index("kpi")["unit"]
    assert units["charges_per_year_y1"] == "outcomes/year"
    assert units["formal_outcome_share_black_male_y1"] == "share"


def test_precision_on_a_per_year_kpi_a_cell_lacks_is_a_clear_error(tmp_path):
    path = write_sweep(tmp_path, GRID_SWEEP)
    args = ["--kpi", "charges_per_year_y1", "--precision", "0.1", "--out", tmp_path / "out"]
    result = sweep(path, *args)
    assert result.exit_code == 2
    assert "--kpi charges_per_year_y1: not a KPI of cell" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


INTERRUPTED_SWEEP = f"""
replications = 2
seed = 8
{SHORT_SET.replace("0.1", "0.25")}
[grid]
"provider.drug_workers" = [2, 3, 4, 5]
"engagement.patience_days" = [30.0, 60.0, 90.0]
"""


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    path = write_sweep(folder, INTERRUPTED_SWEEP)
    result = sweep(path, "--workers", "1", "--out", folder / "out")
    assert result.exit_code == 0, result.output
    return folder / "out"


def start_sweep(path: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "simdivert", "sweep", path, "--workers", "2", "--out", out]
    # A runner started in the background may ignore SIGINT, and a child inherits that:
    # restore the default so that Ctrl-C reaches the sweep as it would from a terminal.
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_first_cell(process: subprocess.Popen, out: Path) -> None:
    deadline = time.monotonic() + 120
    while not list((out / "cells").glob("cell-*.parquet")):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no cell finished in two minutes"
        time.sleep(0.005)


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_until_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 30
    while any(running(pid) for pid in pids):
        assert time.monotonic() < deadline, "worker processes outlived their sweep"
        time.sleep(0.1)


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_an_interrupted_sweep_resumes_to_the_same_table(tmp_path, uninterrupted, stop):
    path = write_sweep(tmp_path, INTERRUPTED_SWEEP)
    out = tmp_path / "out"
    process = start_sweep(path, out)
    wait_for_first_cell(process, out)
    pid = process.pid
    workers = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    if stop == signal.SIGKILL:
        os.kill(pid, stop)  # the sweep's own process only: its workers must not linger
    else:
        os.killpg(pid, stop)  # a terminal's Ctrl-C goes to the whole process group
    _, stderr = process.communicate(timeout=60)
    wait_until_gone(workers)
    saved = {p.name: p.read_bytes() for p in (out / "cells").glob("cell-*.parquet")}
    assert 1 <= len(saved) < 12, "the sweep must be stopped part way"
    assert not (out / "results.csv").exists()
    if stop == signal.SIGINT:
        assert process.returncode == 130
        assert "cells are saved" in stderr.decode() and "Traceback" not in stderr.decode()

    resumed = sweep(path, "--workers", "2", "--out", out)
    assert resumed.exit_code == 0, resumed.output
    assert f"{len(saved)} cells were already done, {12 - len(saved)} run now" in resumed.stdout
    assert {name: (out / "cells" / name).read_bytes() for name in saved} == saved
    for name in ("results.csv", "summary.csv"):
        assert (out / name).read_bytes() == (uninterrupted / name).read_bytes()
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["runs"]) == 2 and "finished" not in manifest["runs"][0]


def test_the_example_sweep_file_plans_its_cells():
    example = Path(__file__).parents[1] / "scenarios" / "sweeps" / "west_midlands_staffing.toml"
    plan = plan_sweep(example)
    assert len(plan.cells) == 3 * 4 and plan.replications == 10
    assert plan.parameter_columns[:2] == ["scenario", "variant"]
