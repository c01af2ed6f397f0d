"""Shared fixtures: short horizons and few replications keep the suite fast."""

from __future__ import annotations

import pytest

from simdivert.scenario import Scenario
from simdivert.scenario_files import load_scenario

SHORT = ("run.years=0.2", "run.warmup_days=14", "run.replications=2", "policy.launch_after_days=0")


def short_scenario(*overrides: str) -> Scenario:
    """The default scenario over a short horizon, with extra ``--set`` style overrides."""
    return load_scenario(None, [*SHORT, *overrides])


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return short_scenario()


@pytest.fixture(scope="session")
def dask_address():
    """A real Dask scheduler and worker on loopback TCP, in this process (threads)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address
