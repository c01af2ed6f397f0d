"""The command line as a user types it."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simdivert.cli.app import app

runner = CliRunner()
SHORT = ["--years", "0.1", "--reps", "2", "--set", "run.warmup_days=7"]


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "first"
    result = invoke("run", *SHORT, "--seed", "7", "--workers", "1", "--events", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_run_writes_the_output_contract(run_dir):
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "events.parquet",
        "manifest.json",
        "replications.csv",
        "summary.csv",
        "timeseries.csv",
        "utilisation.csv",
    ]
    summary = pd.read_csv(run_dir / "summary.csv")
    assert list(summary.columns) == ["kpi", "mean", "ci_low", "ci_high", "unit"]
    assert "referrals_per_year" in set(summary["kpi"])
    replications = pd.read_csv(run_dir / "replications.csv")
    assert list(replications["replication"]) == [0, 1]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["replications"] == 2
    assert manifest["scenario"]["run"]["years"] == 0.1
    assert {"started", "finished", "versions", "overrides"} <= set(manifest)
    timeseries = pd.read_csv(run_dir / "timeseries.csv")
    assert list(timeseries.columns) == [
        "replication",
        "week",
        "stage",
        "queue_mean",
        "waits_started",
    ]
    assert set(timeseries["stage"]) == {"contact", "assessment", "one_to_one", "course"}
    events = pd.read_parquet(run_dir / "events.parquet")
    assert set(events["replication"]) == {0, 1}
    assert len(events) > 100


def test_run_prints_a_summary_table_that_fits_100_columns(tmp_path):
    result = invoke("run", *SHORT, "--out", tmp_path / "r")
    assert result.exit_code == 0
    assert "Results written to" in result.stdout
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    # Every force-wide KPI on one line of its own, whole, with its mean and interval; the
    # per-year and per-area ones are in the files.
    summary = pd.read_csv(tmp_path / "r" / "summary.csv")
    in_areas = summary["kpi"].str.startswith("area_")
    assert in_areas.any() and not any(line.startswith("│ area_") for line in lines)
    for row in summary[~summary["kpi"].str.contains(r"_y\d+$") & ~in_areas].itertuples():
        (line,) = [line for line in lines if line.startswith(f"│ {row.kpi} ")]
        assert line.count("│") == 5  # four cells, none wrapped onto a second line
        if not pd.isna(row.ci_low):
            assert " – " in line


def test_same_seed_identical_files_whatever_the_workers(run_dir, tmp_path):
    again = tmp_path / "again"
    result = invoke("run", *SHORT, "--seed", "7", "--workers", "2", "--out", again)
    assert result.exit_code == 0, result.output
    for name in ("summary.csv", "replications.csv"):
        assert (again / name).read_bytes() == (run_dir / name).read_bytes()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--set", "provider.drug_wrokers=3"], "--set: provider.drug_wrokers: unknown key"),
        (["--set", "provider.drug_workers=lots"], "--set: provider.drug_workers: "),
        (["--set", "demand.searches_per_year=-1"], "demand.searches_per_year: Input should be"),
        (
            ["--set", "contact.answer_probability=1.2"],
            "contact.answer_probability: Input should be",
        ),
        (["--set", "nonsense"], "--set: nonsense: expected dotted.key=value"),
    ],
)
def test_bad_overrides_fail_in_one_line(tmp_path, args, expected):
    result = invoke("run", *SHORT, *args, "--out", tmp_path / "never")
    assert result.exit_code == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "never").exists()


def test_bad_scenario_file_names_file_key_and_problem(tmp_path):
    bad = tmp_path / "typo.toml"
    bad.write_text('extends = "west_midlands"\n[engagement]\npatience_dayz = 3\n')
    result = invoke("run", bad, "--out", tmp_path / "never")
    assert result.exit_code == 2
    assert f"{bad}: engagement.patience_dayz: unknown key" in result.stderr


def test_missing_scenario_file(tmp_path):
    result = invoke("run", tmp_path / "absent.toml")
    assert result.exit_code == 2
    assert "absent.toml: no such file" in result.stderr


def test_extends_loop_is_reported(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    result = invoke("validate", tmp_path / "a.toml")
    assert result.exit_code == 2
    assert "extends: extends loop" in result.stderr


def test_an_earlier_run_is_never_touched(run_dir):
    before = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    result = invoke("run", *SHORT, "--out", run_dir)
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == before


def test_validate(tmp_path):
    assert invoke("validate", "west_midlands").exit_code == 0
    result = invoke("validate", "west_midlands", "--set", "run.years=0")
    assert result.exit_code == 2
    assert "run.years" in result.stderr


def test_the_installed_command_runs_the_default_scenario_from_anywhere(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "simdivert", "run", *SHORT, "--workers", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "outputs").iterdir()
    assert folder.name.startswith("west_midlands-")
    assert (folder / "summary.csv").exists()


def test_run_on_a_dask_cluster_writes_the_same_numbers(run_dir, tmp_path, dask_address):
    on_dask = tmp_path / "dask"
    result = invoke("run", *SHORT, "--seed", "7", "--dask", dask_address, "--out", on_dask)
    assert result.exit_code == 0, result.output
    for name in ("summary.csv", "replications.csv", "timeseries.csv"):
        assert (on_dask / name).read_bytes() == (run_dir / name).read_bytes()
    manifest = json.loads((on_dask / "manifest.json").read_text())
    assert manifest["dask_scheduler"] == dask_address


@pytest.mark.parametrize("address", ["nonsense", "foo://host:1"])
def test_a_bad_dask_address_is_one_line(tmp_path, address):
    result = invoke("run", *SHORT, "--dask", address, "--out", tmp_path / "never")
    assert result.exit_code == 2
    assert f"--dask {address}: cannot reach a Dask scheduler" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("command", [["run", *SHORT, "--warmup", "auto"], ["calibrate"]])
def test_the_pilot_run_and_calibrate_take_dask_too(tmp_path, command):
    """Every command that runs replications runs them where --dask says."""
    result = invoke(*command, "--dask", "tcp://127.0.0.1:1", "--out", tmp_path / "never")
    assert result.exit_code == 2
    assert "--dask tcp://127.0.0.1:1: cannot reach a Dask scheduler" in result.stderr
    assert not (tmp_path / "never").exists()


def test_a_pilot_warmup_on_a_dask_cluster_is_recorded(tmp_path, dask_address):
    out = tmp_path / "run"
    result = invoke("run", *SHORT, "--warmup", "auto", "--dask", dask_address, "--out", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["warmup"]["method"] != "given"
    assert manifest["dask_scheduler"] == dask_address


def test_compare_writes_paired_differences(tmp_path):
    out = tmp_path / "cmp"
    result = invoke(
        "compare",
        "status_quo",
        "west_midlands",
        "west_midlands",
        *SHORT,
        "--set",
        "policy.launch_after_days=0",
        "--workers",
        "1",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == [
        "kpi",
        "scenario",
        "mean",
        "ci_low",
        "ci_high",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
    ]
    assert set(table["scenario"]) == {"status_quo", "west_midlands", "west_midlands-2"}
    charges = table.set_index(["scenario", "kpi"]).loc[("west_midlands", "charges_per_year")]
    assert charges["diff_ci_high"] < 0  # diversion cuts charges
    both = table.pivot(index="kpi", columns="scenario", values="mean")
    pd.testing.assert_series_equal(
        both["west_midlands"], both["west_midlands-2"], check_names=False
    )
    assert "League table: each scheme against status_quo" in result.stdout
    assert "west_midlands-2" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario_names"] == ["status_quo", "west_midlands", "west_midlands-2"]


def test_compare_with_a_bad_scenario_fails_before_running(tmp_path):
    result = invoke("compare", "west_midlands", tmp_path / "missing.toml", "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert "missing.toml: no such file" in result.stderr
    assert not (tmp_path / "x").exists()


def test_compare_on_a_dask_cluster_writes_what_local_workers_write(tmp_path, dask_address):
    scenarios = ["status_quo", "west_midlands", *SHORT, "--set", "policy.launch_after_days=0"]
    local = invoke("compare", *scenarios, "--workers", "2", "--out", tmp_path / "local")
    on_dask = invoke("compare", *scenarios, "--dask", dask_address, "--out", tmp_path / "dask")
    assert local.exit_code == 0, local.output
    assert on_dask.exit_code == 0, on_dask.output
    for name in ("comparison.csv", "replications.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert json.loads((tmp_path / "dask" / "manifest.json").read_text())["dask_scheduler"] == (
        dask_address
    )
