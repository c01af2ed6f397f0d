"""Replications of a scenario, run in parallel, summarised with confidence intervals.

Replication ``r`` always uses the named streams of (seed, r), whichever process or
executor runs it (see :mod:`simdivert.executors`), so results do not depend on the number
of workers nor on where they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from simdivert.executors import DaskExecutor, ReplicationTask, local_executor
from simdivert.results import KPI_UNITS
from simdivert.scenario import Scenario


@dataclass(frozen=True)
class Experiment:
    """The results of N replications of one scenario."""

    scenario: Scenario
    seed: int
    replications: pd.DataFrame  # one row per replication, a column per KPI
    timeseries: pd.DataFrame  # replication, week, stage, queue_mean, waits_started
    events: pd.DataFrame | None

    @property
    def summary(self) -> pd.DataFrame:
        return summarise(self.replications)


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int,
    workers: int = 1,
    keep_events: bool = False,
    dask_address: str | None = None,
) -> Experiment:
    """Run replications 0..N-1 on ``workers`` local processes (1: in this process), or on
    the Dask scheduler at ``dask_address``; the results are the same either way."""
    executor = (
        DaskExecutor(dask_address)
        if dask_address is not None
        else local_executor(min(workers, replications))
    )
    with executor:
        for replication in range(replications):
            executor.submit(ReplicationTask(scenario, seed, replication, keep_events), replication)
        results = sorted(
            (result for _, result in executor.completed()), key=lambda r: r.replication
        )
    table = pd.DataFrame([{"replication": r.replication, **r.kpis} for r in results])
    timeseries = pd.concat([r.timeseries for r in results], ignore_index=True)
    events = None
    if keep_events:
        events = pd.concat([r.events for r in results], ignore_index=True)
    return Experiment(scenario, seed, table, timeseries, events)


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval; NaNs (KPIs undefined in a run) are dropped."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (float("nan"),) * 3
    mean = float(values.mean())
    if values.size < 2:
        return mean, float("nan"), float("nan")
    half = (
        stats.t.ppf(0.5 + confidence / 2, values.size - 1)
        * values.std(ddof=1)
        / np.sqrt(values.size)
    )
    return mean, mean - half, mean + half


def summarise(replications: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval of each KPI: columns kpi, mean, ci_low, ci_high, unit."""
    rows = []
    for kpi in replications.columns.drop("replication"):
        mean, low, high = t_interval(replications[kpi].to_numpy(), confidence)
        rows.append(
            {"kpi": kpi, "mean": mean, "ci_low": low, "ci_high": high, "unit": KPI_UNITS[kpi]}
        )
    return pd.DataFrame(rows)
