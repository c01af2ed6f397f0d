"""A staffing plan checked as it will be used, and what it costs.

The check runs the planned scenario exactly as ``staffing_plan.toml`` holds it (whole
horizon, every period's staffing) on replications the search never saw, and judges
each period's waits by the statistic the search tested: the chosen quantile across
replications of each P90 wait so far (:mod:`simdivert.waits`). The waits of the last
period are counted to the end of the run, as ``simdivert run`` on the plan counts them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_WEEK
from simdivert.experiments.executors import Executor
from simdivert.experiments.staffing import (
    Period,
    Staffing,
    Target,
    period_waits,
    so_far,
    spread_rows,
    staffed_scenario,
)
from simdivert.model.costs import provider_cost
from simdivert.model.replication import simulate
from simdivert.model.window import Window
from simdivert.scenario.schema import Scenario
from simdivert.stats import replication_quantile


@dataclass(frozen=True)
class PlanCheckTask:
    """One replication of the whole planned scenario: each period's waits so far."""

    scenario: Scenario
    seed: int
    replication: int
    periods: tuple[tuple[str, float, float], ...]  # (label, start hours, end hours)

    def run(self) -> list[dict[str, float | str]]:
        logs = simulate(self.scenario, self.seed, self.replication)
        horizon = self.scenario.horizon_hours
        return [
            {
                "period": label,
                "replication": self.replication,
                **period_waits(logs.pathway, self.scenario.streams, start, end, horizon),
            }
            for label, start, end in self.periods
        ]


def tested_columns(targets: list[Target], streams: tuple[str, ...]) -> list[tuple[Target, str]]:
    """Each target with the column that judges it (course targets: one per stream)."""
    columns = []
    for target in targets:
        if target.kpi.startswith("course"):
            columns += [(target, so_far(f"{target.kpi}_{s}")) for s in streams]
        else:
            columns.append((target, so_far(target.kpi)))
    return columns


def check_plan(
    scenario: Scenario,
    periods: list[Period],
    plan: list[Staffing],
    targets: list[Target],
    quantile: float,
    replications: int,
    seed: int,
    *,
    first_replication: int,
    executor: Executor,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The check per period and target (``staffing_check.csv``) and each fresh
    replication's waits (the spread)."""
    staffed = staffed_scenario(scenario, periods, plan, scenario.horizon_hours)
    bounds = tuple((p.label, p.start_hours, p.end_hours) for p in periods)
    tasks = [
        PlanCheckTask(staffed, seed, r, bounds)
        for r in range(first_replication, first_replication + replications)
    ]
    waits = pd.DataFrame([row for rows in executor.run_all(tasks) for row in rows])
    rows = []
    for period in periods:
        mine = waits[waits["period"] == period.label]
        for target, column in tested_columns(targets, scenario.streams):
            values = mine[column].dropna().to_numpy()
            if values.size == 0:
                continue  # nobody waited for this stream
            statistic = replication_quantile(values, quantile)
            rows.append(
                {
                    "period": period.label,
                    "kpi": column,
                    "bound": target.bound,
                    "quantile": quantile,
                    "kpi_quantile": statistic,
                    "kpi_median": float(np.median(values)),
                    "share_missed": float(np.mean(values > target.bound)),
                    "replications": int(values.size),
                    "meets": bool(statistic <= target.bound),
                }
            )
    spread = pd.concat(
        [
            spread_rows(waits[waits["period"] == p.label].drop(columns="period"), p.label, "fresh")
            for p in periods
        ],
        ignore_index=True,
    )
    return pd.DataFrame(rows), spread


def plan_costs(
    scenario: Scenario, periods: list[Period], plan: list[Staffing], surged: list[bool]
) -> pd.DataFrame:
    """Per period, the plan's staff and its cost a year (``staffing_costs.csv``), by the
    model's own provider cost (:func:`simdivert.model.costs.provider_cost`) with every
    timetabled session held."""
    staffed = staffed_scenario(scenario, periods, plan, scenario.horizon_hours)
    rows = []
    for period, staffing, surge in zip(periods, plan, surged, strict=True):
        sessions = sum(staffing.sessions_per_week.values())
        span = Window(period.start_hours, period.end_hours)
        held = sessions * (period.end_hours - period.start_hours) / HOURS_PER_WEEK
        rows.append(
            {
                "period": period.label,
                "from_day": (period.start_hours - scenario.warmup_hours) / HOURS_PER_DAY,
                "surge": surge,
                "drug_workers": staffing.drug_workers,
                "facilitators": staffing.facilitators,
                "sessions_per_week": sessions,
                "cost_per_year": provider_cost(staffed, span, held) / span.years,
            }
        )
    return pd.DataFrame(rows)
