"""Executors: the same results in this process, on a local pool and on a Dask cluster."""

import pandas as pd
import pytest

from simdivert.errors import UserError
from simdivert.experiments.executors import (
    DaskExecutor,
    InProcessExecutor,
    LocalPoolExecutor,
    ReplicationTask,
    open_executor,
)
from simdivert.experiments.replications import run_experiments, run_replications

from conftest import short_scenario


def collect(executor, tasks):
    with executor:
        for task in tasks:
            executor.submit(task, task.replication)
        return {tag: result.kpis for tag, result in executor.completed()}


def kpi_table(kpis_by_replication):
    """KPIs as a table, so that undefined ones (NaN) compare equal."""
    return pd.DataFrame.from_dict(kpis_by_replication, orient="index").sort_index()


def test_pool_and_this_process_agree_and_accept_tasks_while_collecting(scenario):
    tasks = [ReplicationTask(scenario, 5, r) for r in range(3)]
    here = collect(InProcessExecutor(), tasks)
    pool = LocalPoolExecutor(2)
    with pool:
        pool.submit(tasks[0], 0)
        got = {}
        for tag, result in pool.completed():
            got[tag] = result.kpis
            if tag == 0:  # a sweep adds replications as results arrive
                pool.submit(tasks[1], 1)
                pool.submit(tasks[2], 2)
    pd.testing.assert_frame_equal(kpi_table(got), kpi_table(here))


def test_dask_run_matches_the_local_pool(scenario, dask_address):
    with LocalPoolExecutor(2) as pool, DaskExecutor(dask_address) as dask:
        local = run_replications(scenario, 3, seed=11, executor=pool)
        on_dask = run_replications(scenario, 3, seed=11, executor=dask)
    pd.testing.assert_frame_equal(local.replications, on_dask.replications)
    pd.testing.assert_frame_equal(local.timeseries, on_dask.timeseries)


def test_scenarios_run_together_as_they_run_one_by_one(scenario):
    """``compare`` submits every scenario's replications at once, to keep workers busy."""
    more_staff = short_scenario("provider.drug_workers=8")
    with LocalPoolExecutor(2) as executor:
        together = run_experiments([scenario, more_staff], 2, 4, executor)
    for alone, experiment in zip(
        (run_replications(s, 2, seed=4) for s in (scenario, more_staff)), together, strict=True
    ):
        pd.testing.assert_frame_equal(alone.replications, experiment.replications)
        pd.testing.assert_frame_equal(alone.utilisation, experiment.utilisation)
    assert not together[0].replications.equals(together[1].replications)


def test_unreachable_scheduler_is_a_user_error():
    with pytest.raises(UserError, match="dask nonsense: cannot reach a Dask scheduler"):
        open_executor(None, "nonsense")


def test_workers_and_dask_are_exclusive():
    with pytest.raises(UserError, match="choose one"):
        open_executor(2, "tcp://127.0.0.1:8786")
