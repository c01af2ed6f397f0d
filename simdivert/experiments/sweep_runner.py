"""Running cells on an executor: a fixed number of replications per cell, or as many as
each cell needs to meet a precision target.

Replication r of every cell uses the streams of (seed, r): common random numbers. A cell
is handed over (``on_cell_done``) as soon as its last replication arrives, as a table
ordered by replication, so what is saved never depends on the order tasks finished in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from simdivert.errors import UserError
from simdivert.experiments.budget import check_budget
from simdivert.experiments.executors import Executor, ReplicationTask
from simdivert.experiments.precision import MIN_REPLICATIONS, PrecisionTarget, check_precision
from simdivert.experiments.sweep_cells import Cell
from simdivert.model.replication import ReplicationResult

CELL_COLUMN = "cell"
REPLICATION_COLUMN = "replication"


@dataclass(frozen=True)
class SweepProgress:
    """Where a sweep stands; ``replications_planned`` grows when a cell needs more."""

    replications_done: int
    replications_planned: int
    cells_done: int
    cells_total: int


def cell_table(cell: Cell, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """One row per replication: cell, its parameter columns, replication, then every KPI."""
    rows = [
        {CELL_COLUMN: cell.index, **cell.columns, REPLICATION_COLUMN: r.replication, **r.kpis}
        for r in sorted(results, key=lambda r: r.replication)
    ]
    return pd.DataFrame(rows)


def run_cells(
    cells: Sequence[Cell],
    replications: int,
    seed: int,
    executor: Executor,
    on_cell_done: Callable[[Cell, pd.DataFrame], None],
    precision: PrecisionTarget | None = None,
    on_progress: Callable[[SweepProgress], None] | None = None,
    force: bool = False,
) -> None:
    """Run every cell; with ``precision``, ``replications`` is each cell's first batch.
    Cells too big for this machine are refused before any runs, unless ``force``."""
    initial = max(replications, MIN_REPLICATIONS) if precision else replications
    check_budget([(cell.scenario, initial) for cell in cells], executor.workers, force=force)
    by_index = {cell.index: cell for cell in cells}
    planned = dict.fromkeys(by_index, initial)
    finished: dict[int, dict[int, ReplicationResult]] = {index: {} for index in by_index}
    for cell in cells:
        _submit(executor, cell, seed, range(initial))
    done = cells_done = 0

    def report() -> None:
        if on_progress is not None:
            total = sum(planned.values())
            on_progress(SweepProgress(done, total, cells_done, len(cells)))

    report()
    for tag, result in executor.completed():
        index, _ = cast("tuple[int, int]", tag)  # as _submit tagged it: (cell, replication)
        if precision is not None and precision.kpi not in result.kpis:
            raise UserError(
                f"kpi {precision.kpi}: not a KPI of cell {index} (a per-year KPI needs that "
                "whole year in the cell's run: see run.years and policy.launch_after_days)",
                option="kpi",
            )
        done += 1
        results = finished[index]
        results[result.replication] = result
        if len(results) == planned[index]:
            more = _more_needed(results, precision)
            if more:
                _submit(
                    executor, by_index[index], seed, range(planned[index], planned[index] + more)
                )
                planned[index] += more
            else:
                on_cell_done(by_index[index], cell_table(by_index[index], list(results.values())))
                del finished[index]
                cells_done += 1
        report()


def _submit(executor: Executor, cell: Cell, seed: int, replications: range) -> None:
    for replication in replications:
        executor.submit(
            ReplicationTask(cell.scenario, seed, replication), (cell.index, replication)
        )


def _more_needed(results: dict[int, ReplicationResult], precision: PrecisionTarget | None) -> int:
    if precision is None:
        return 0
    values = np.array([results[r].kpis[precision.kpi] for r in range(len(results))])
    return check_precision(values, precision).more_needed
