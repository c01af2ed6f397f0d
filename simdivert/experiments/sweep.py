"""What a sweep computes beyond its cells' replications: the settings that change its
results (hashed with it), the summary per cell and KPI, and the cells left imprecise.
Running a sweep into its resumable folder is :func:`simdivert.outputs.sweep_writer.run_sweep`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd

from simdivert.experiments.precision import PrecisionTarget, check_precision
from simdivert.experiments.replications import summarise
from simdivert.experiments.sweep_cells import SweepPlan
from simdivert.experiments.sweep_runner import (
    CELL_COLUMN,
    REPLICATION_COLUMN,
)


def result_settings(plan: SweepPlan, precision: PrecisionTarget | None) -> dict[str, Any]:
    """Settings that change the results, hashed with the sweep (the executor is not one)."""
    return {
        "seed": plan.seed,
        "replications": plan.replications,
        "precision": None if precision is None else asdict(precision),
    }


def summarise_cells(results: pd.DataFrame, parameter_columns: list[str]) -> pd.DataFrame:
    """Per cell and KPI: the cell's parameters, kpi, mean, ci_low, ci_high, unit, replications."""
    labels = [CELL_COLUMN, *parameter_columns]
    kpis = [c for c in results.columns if c not in {*labels, REPLICATION_COLUMN}]
    frames = []
    for _, table in results.groupby(CELL_COLUMN, sort=True):
        summary = summarise(table[[REPLICATION_COLUMN, *kpis]])
        for column in reversed(labels):
            summary.insert(0, column, table[column].iloc[0])
        summary["replications"] = len(table)
        frames.append(summary)
    return pd.concat(frames, ignore_index=True)


def imprecise_cells(results: pd.DataFrame, precision: PrecisionTarget | None) -> list[int]:
    if precision is None:
        return []
    return [
        int(index)
        for index, table in results.groupby(CELL_COLUMN, sort=True)
        if not check_precision(table[precision.kpi].to_numpy(), precision).converged
    ]
