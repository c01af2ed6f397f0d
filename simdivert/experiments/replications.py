"""Replications of a scenario, run in parallel, summarised with confidence intervals.

Replication ``r`` always uses the named streams of (seed, r), whichever process or
executor runs it (see :mod:`simdivert.experiments.executors`), so results do not depend
on the number of workers nor on where they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simdivert.experiments.executors import DaskExecutor, Executor, ReplicationTask, local_executor
from simdivert.model.replication import ReplicationResult
from simdivert.model.results import kpi_unit
from simdivert.scenario.schema import Scenario
from simdivert.stats import t_interval


@dataclass(frozen=True)
class Experiment:
    """The results of N replications of one scenario."""

    scenario: Scenario
    seed: int
    replications: pd.DataFrame  # one row per replication, a column per KPI
    timeseries: pd.DataFrame  # replication, week, stage, queue_mean, waits_started
    utilisation: pd.DataFrame  # replication, week, role, busy/available hours, utilisation
    events: pd.DataFrame | None

    @property
    def summary(self) -> pd.DataFrame:
        return summarise(self.replications)


def run_experiments(
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    executor: Executor,
    keep_events: bool = False,
    first_replication: int = 0,
) -> list[Experiment]:
    """Replications first..first+N-1 (by default 0..N-1) of every scenario on the same seed
    (common random numbers).

    Every scenario's tasks are submitted at once, so all workers stay busy however few
    replications each scenario has.
    """
    tasks = [
        ReplicationTask(scenario, seed, replication, keep_events)
        for scenario in scenarios
        for replication in range(first_replication, first_replication + replications)
    ]
    results = executor.run_all(tasks)
    return [
        _experiment(scenario, seed, results[k * replications : (k + 1) * replications])
        for k, scenario in enumerate(scenarios)
    ]


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int,
    workers: int = 1,
    keep_events: bool = False,
    dask_address: str | None = None,
    first_replication: int = 0,
) -> Experiment:
    """Run replications first..first+N-1 (by default 0..N-1) on ``workers`` local processes
    (1: in this process), or on the Dask scheduler at ``dask_address``; the results are the
    same either way. A different ``first_replication`` gives replications that share no
    random numbers with the default ones (a pilot run)."""
    executor = (
        DaskExecutor(dask_address)
        if dask_address is not None
        else local_executor(min(workers, replications))
    )
    with executor:
        return run_experiments(
            [scenario], replications, seed, executor, keep_events, first_replication
        )[0]


def _experiment(scenario: Scenario, seed: int, results: list[ReplicationResult]) -> Experiment:
    table = pd.DataFrame([{"replication": r.replication, **r.kpis} for r in results])
    timeseries = pd.concat([r.timeseries for r in results], ignore_index=True)
    utilisation = pd.concat([r.utilisation for r in results], ignore_index=True)
    events = None
    if results and results[0].events is not None:
        events = pd.concat([r.events for r in results], ignore_index=True)
    return Experiment(scenario, seed, table, timeseries, utilisation, events)


def summarise(replications: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval of each KPI: columns kpi, mean, ci_low, ci_high, unit."""
    rows = []
    for kpi in replications.columns.drop("replication"):
        mean, low, high = t_interval(replications[kpi].to_numpy(), confidence)
        rows.append(
            {"kpi": kpi, "mean": mean, "ci_low": low, "ci_high": high, "unit": kpi_unit(kpi)}
        )
    return pd.DataFrame(rows)


def paired_comparison(experiments: list[Experiment], names: list[str]) -> pd.DataFrame:
    """Each scenario's KPIs with CIs, and the paired difference from the first (the base).

    Replication r of every scenario uses the same random numbers, so the difference is
    taken replication by replication and its CI is that of the paired differences.
    Columns: kpi, scenario, mean, ci_low, ci_high, diff_mean, diff_ci_low, diff_ci_high.
    """
    base = experiments[0].replications.set_index("replication")
    rows = []
    for kpi in base.columns:
        for name, experiment in zip(names, experiments, strict=True):
            table = experiment.replications.set_index("replication")
            values = table[kpi] if kpi in table else pd.Series(np.nan, index=table.index)
            mean, low, high = t_interval(values.to_numpy())
            diff = (values - base[kpi]).to_numpy()
            diff_mean, diff_low, diff_high = t_interval(diff)
            rows.append(
                {
                    "kpi": kpi,
                    "scenario": name,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "diff_mean": diff_mean,
                    "diff_ci_low": diff_low,
                    "diff_ci_high": diff_high,
                }
            )
    return pd.DataFrame(rows)
