"""Replications of a scenario, run in parallel, summarised with confidence intervals
(and, for a forecast with uncertainty, prediction intervals).

Replication ``r`` always uses the named streams of (seed, r), whichever process or
executor runs it (see :mod:`simdivert.experiments.executors`), so results do not depend
on the number of workers nor on where they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simdivert.clock import utc_now
from simdivert.experiments.budget import check_budget
from simdivert.experiments.executors import Executor, InProcessExecutor, ReplicationTask
from simdivert.kpis import kpi_unit
from simdivert.model.replication import ReplicationResult
from simdivert.scenario.schema import Scenario
from simdivert.scenario.uncertainty import SET_COLUMN
from simdivert.stats import prediction_interval, t_interval


@dataclass(frozen=True)
class RunResult:
    """The results of N replications of one scenario: the tables of a run folder.

    ``replications`` and ``summary`` have the columns of ``replications.csv`` and
    ``summary.csv``; ``events`` is None unless the run kept its event log. A forecast
    with uncertainty (:mod:`simdivert.experiments.forecast`) ran the N replications for
    each of its ``parameter_sets`` (a row per set, indexed by ``set``): every table then
    starts with a ``set`` column and the summary has prediction intervals.
    """

    scenario: Scenario
    seed: int
    replications: pd.DataFrame  # one row per replication, a column per KPI
    timeseries: pd.DataFrame  # replication, week, stage, queue_mean, waits_started
    utilisation: pd.DataFrame  # replication, week, role, busy/available hours, utilisation
    events: pd.DataFrame | None
    started: str = ""
    finished: str = ""
    where: dict[str, int | str | None] = field(default_factory=dict)  # see Executor.where
    parameter_sets: pd.DataFrame | None = None  # a forecast with uncertainty's
    uncertainty: dict[str, Any] | None = None  # how its sets were drawn (for the manifest)

    @property
    def summary(self) -> pd.DataFrame:
        """Mean and 95% confidence interval of each KPI: kpi, mean, ci_low, ci_high, unit;
        a forecast with uncertainty adds pi_low, pi_high (:func:`summarise_forecast`)."""
        if self.parameter_sets is not None:
            return summarise_forecast(self.replications)
        return summarise(self.replications)


def run_experiments(
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    executor: Executor,
    keep_events: bool = False,
    first_replication: int = 0,
    force: bool = False,
) -> list[RunResult]:
    """Replications first..first+N-1 (by default 0..N-1) of every scenario on the same seed
    (common random numbers).

    Every scenario's tasks are submitted at once, so all workers stay busy however few
    replications each scenario has. A batch too big for this machine is refused before
    it starts unless ``force`` (:mod:`simdivert.experiments.budget`).
    """
    check_budget([(s, replications) for s in scenarios], executor.workers, keep_events, force)
    tasks = [
        ReplicationTask(scenario, seed, replication, keep_events)
        for scenario in scenarios
        for replication in range(first_replication, first_replication + replications)
    ]
    started = utc_now()
    results = executor.run_all(tasks)
    finished = utc_now()
    return [
        _run_result(
            scenario,
            seed,
            results[k * replications : (k + 1) * replications],
            started,
            finished,
            executor.where(),
        )
        for k, scenario in enumerate(scenarios)
    ]


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int,
    executor: Executor | None = None,
    keep_events: bool = False,
    first_replication: int = 0,
) -> RunResult:
    """Run replications first..first+N-1 (by default 0..N-1) of one scenario on
    ``executor`` (None: in this process); the results are the same on any executor. A
    different ``first_replication`` gives replications that share no random numbers with
    the default ones (a pilot run)."""
    if executor is None:
        with InProcessExecutor() as in_process:
            return run_replications(
                scenario, replications, seed, in_process, keep_events, first_replication
            )
    return run_experiments(
        [scenario], replications, seed, executor, keep_events, first_replication
    )[0]


def _run_result(
    scenario: Scenario,
    seed: int,
    results: list[ReplicationResult],
    started: str,
    finished: str,
    where: dict[str, int | str | None],
) -> RunResult:
    table = pd.DataFrame([{"replication": r.replication, **r.kpis} for r in results])
    timeseries = pd.concat([r.timeseries for r in results], ignore_index=True)
    utilisation = pd.concat([r.utilisation for r in results], ignore_index=True)
    events = None
    if results and results[0].events is not None:
        events = pd.concat([r.events for r in results], ignore_index=True)
    return RunResult(
        scenario, seed, table, timeseries, utilisation, events, started, finished, where
    )


def summarise(replications: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval of each KPI: columns kpi, mean, ci_low, ci_high, unit."""
    rows = []
    for kpi in replications.columns.drop("replication"):
        mean, low, high = t_interval(replications[kpi].to_numpy(), confidence)
        rows.append(
            {"kpi": kpi, "mean": mean, "ci_low": low, "ci_high": high, "unit": kpi_unit(kpi)}
        )
    return pd.DataFrame(rows)


def summarise_forecast(replications: pd.DataFrame) -> pd.DataFrame:
    """A forecast's summary: columns kpi, mean, ci_low, ci_high, pi_low, pi_high, unit
    (:func:`interval_columns`); ``replications`` has a row per ``set`` and replication."""
    table = replications.set_index([SET_COLUMN, "replication"])
    rows = [
        {"kpi": kpi, **interval_columns(table[kpi], forecast=True), "unit": kpi_unit(kpi)}
        for kpi in table.columns
    ]
    return pd.DataFrame(rows)


def interval_columns(values: pd.Series, forecast: bool, prefix: str = "") -> dict[str, float]:
    """A KPI's mean and 95% confidence interval (``ci_low``, ``ci_high``), and for a
    forecast its 90% prediction interval (``pi_low``, ``pi_high``), names after ``prefix``.

    Without uncertainty the CI is the t-interval over the replications. A forecast's
    ``values`` are indexed by (set, replication): its mean is over them all; its CI, how
    precisely the simulation has estimated that mean, is the t-interval of the sets' own
    means (the sets are the independent draws, each set's replications average its
    noise); its prediction interval is the 5th to the 95th percentile of all the values:
    where the figure is likely to fall, given what is not known about the inputs and the
    chance in a year's events.
    """
    if not forecast:
        mean, low, high = t_interval(values.to_numpy())
        return {f"{prefix}mean": mean, f"{prefix}ci_low": low, f"{prefix}ci_high": high}
    _, low, high = t_interval(values.groupby(level=SET_COLUMN).mean().to_numpy())
    pi_low, pi_high = prediction_interval(values.to_numpy())
    return {
        f"{prefix}mean": float(values.mean()),
        f"{prefix}ci_low": low,
        f"{prefix}ci_high": high,
        f"{prefix}pi_low": pi_low,
        f"{prefix}pi_high": pi_high,
    }


def paired_comparison(experiments: list[RunResult], names: list[str]) -> pd.DataFrame:
    """Each scenario's KPIs with CIs, and the paired difference from the first (the base).

    Replication r of every scenario uses the same random numbers, so the difference is
    taken replication by replication and its CI is that of the paired differences.
    Columns: kpi, scenario, mean, ci_low, ci_high, diff_mean, diff_ci_low, diff_ci_high.
    Forecasts with uncertainty ran the same parameter sets in every scenario: the
    differences are paired by set and replication, and prediction intervals are added
    (pi_low, pi_high after ci_high; diff_pi_low, diff_pi_high at the end).
    """
    forecast = experiments[0].parameter_sets is not None
    index = [SET_COLUMN, "replication"] if forecast else ["replication"]
    base = experiments[0].replications.set_index(index)
    rows = []
    for kpi in base.columns:
        for name, experiment in zip(names, experiments, strict=True):
            table = experiment.replications.set_index(index)
            values = table[kpi] if kpi in table else pd.Series(np.nan, index=table.index)
            rows.append(
                {
                    "kpi": kpi,
                    "scenario": name,
                    **interval_columns(values, forecast),
                    **interval_columns(values - base[kpi], forecast, prefix="diff_"),
                }
            )
    return pd.DataFrame(rows)
