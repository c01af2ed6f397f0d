"""Hostile clusters: a Dask scheduler without workers, one lost mid-sweep. One line each,
never a hang; the folder a lost scheduler leaves resumes. Clusters on loopback, small."""

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hostile import cli

from simdivert.errors import UserError
from simdivert.experiments import executors

SWEEP = """replications = 2
[set]
"run.years" = 0.05
"run.warmup_days" = 0
"policy.launch_after_days" = 0
[grid]
"provider.drug_workers" = [2, 3, 4, 5]
"""


def loopback_cluster(workers: int):
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # loopback, any free port
    )


def test_a_scheduler_without_workers_times_out_with_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(executors, "DASK_WORKERS_TIMEOUT_SECONDS", 0.5)
    with loopback_cluster(0) as cluster:
        started = time.monotonic()
        with pytest.raises(UserError, match="the scheduler has no workers") as caught:
            executors.DaskExecutor(cluster.scheduler_address)
        assert time.monotonic() - started < 10
        assert caught.value.option == "dask" and "\n" not in str(caught.value)
        result = cli("run", "--dask", cluster.scheduler_address, "--out", tmp_path / "never")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: --dask {cluster.scheduler_address}: the scheduler has no")
    assert not (tmp_path / "never").exists()


def test_a_scheduler_lost_mid_sweep_is_one_line_and_the_folder_resumes(tmp_path):
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(SWEEP)
    out = tmp_path / "out"
    cluster = loopback_cluster(1)
    try:
        command = [sys.executable, "-m", "simdivert", "sweep", sweep, "--out", out]
        process = subprocess.Popen(
            [*command, "--dask", cluster.scheduler_address],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        deadline = time.monotonic() + 60
        while not list((out / "cells").glob("cell-*.parquet")):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "no cell finished in a minute"
            time.sleep(0.02)
    finally:
        cluster.close()  # the scheduler goes away mid-sweep
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    (line,) = lines
    assert "lost the scheduler" in line and "run the same command again" in line
    saved = {p.name: p.read_bytes() for p in (out / "cells").glob("cell-*.parquet")}
    assert 1 <= len(saved) < 4 and not (out / "results.csv").exists()

    resumed = cli("sweep", sweep, "--out", out, "--workers", "1")
    assert resumed.exit_code == 0, resumed.output
    assert f"{len(saved)} cells were already done" in resumed.stdout
    assert {name: (out / "cells" / name).read_bytes() for name in saved} == saved
    results = pd.read_csv(out / "results.csv")
    assert sorted(zip(results["cell"], results["replication"], strict=True)) == [
        (c, r) for c in range(4) for r in range(2)
    ]


def test_the_docs_bind_the_scheduler_and_its_dashboard_to_loopback():
    docs = (Path(__file__).parents[1] / "docs" / "SWEEPS.md").read_text()
    assert "dask scheduler --host 127.0.0.1" in docs
    assert "--dashboard-address 127.0.0.1:" in docs
    assert "dask worker tcp://127.0.0.1:8786 --host 127.0.0.1" in docs
