"""A sweep from start to finish: resume what is done, run the rest, write the tables.

Rerunning the same command after an interruption runs only the missing cells and
writes the same tables, row for row, as an uninterrupted run: each cell's rows depend
only on the sweep (seed, replication indices, scenario), never on the executor, the
number of workers, or which cells ran in which session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simdivert.clock import utc_now
from simdivert.errors import UserError
from simdivert.experiments.executors import Executor
from simdivert.experiments.national import force_table, national_table
from simdivert.experiments.precision import MIN_REPLICATIONS, PrecisionTarget
from simdivert.experiments.sweep import imprecise_cells, result_settings, summarise_cells
from simdivert.experiments.sweep_cells import Cell, SweepPlan
from simdivert.experiments.sweep_runner import CELL_COLUMN, SweepProgress, run_cells
from simdivert.outputs.folders import safe_folder_name
from simdivert.outputs.manifest import package_versions
from simdivert.outputs.sweep_folder import SweepFolder


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep command did, and the final tables."""

    folder: Path
    cells_before: int  # already done when this run started
    cells_run: int
    results: pd.DataFrame
    summary: pd.DataFrame
    imprecise_cells: list[int]  # with a precision target: cells that hit the maximum
    national: pd.DataFrame | None = None  # a national rollout: the country's totals ...
    forces: pd.DataFrame | None = None  # ... and a row per force


def default_sweep_dir(plan: SweepPlan, root: Path = Path("outputs")) -> Path:
    """``outputs/sweep-<name>``: fixed, so that rerunning the same command resumes."""
    return root / f"sweep-{safe_folder_name(plan.name)}"


def run_sweep(
    plan: SweepPlan,
    out: Path,
    executor: Executor,
    fresh: bool = False,
    precision: PrecisionTarget | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_progress: Callable[[SweepProgress], None] | None = None,
    command: str = "",
    force: bool = False,
    on_note: Callable[[str], None] | None = None,
) -> SweepOutcome:
    """Run the cells not yet in ``out`` and write the final tables there.

    ``on_start(cells_done, cells_total)`` is told what a previous run left before any work;
    ``on_note`` each problem found in the folder (a bad cell file, a corrupt manifest),
    which is repaired. The folder is locked while the sweep runs.
    """
    settings = result_settings(plan, precision)
    digest = plan.digest(settings)
    folder = SweepFolder(out)
    first_batch = max(plan.replications, MIN_REPLICATIONS) if precision else plan.replications
    try:
        done, notes = folder.open(digest, fresh, first_batch, exact=precision is None)
        for note in notes:
            if on_note is not None:
                on_note(note)
        return _run(
            plan,
            folder,
            digest,
            settings,
            done,
            executor,
            precision,
            on_start,
            on_progress,
            command,
            force,
        )
    finally:
        folder.close()


def _run(
    plan: SweepPlan,
    folder: SweepFolder,
    digest: str,
    settings: dict[str, Any],
    done: set[int],
    executor: Executor,
    precision: PrecisionTarget | None,
    on_start: Callable[[int, int], None] | None,
    on_progress: Callable[[SweepProgress], None] | None,
    command: str,
    force: bool,
) -> SweepOutcome:
    previous = folder.previous
    run_record: dict[str, Any] = {
        "started": utc_now(),
        "executor": executor.description,
        "command": command,
    }
    manifest = _manifest(plan, digest, settings, previous.get("runs", []) + [run_record])
    folder.write_manifest(manifest)
    if on_start is not None:
        on_start(len(done), len(plan.cells))

    missing = [cell for cell in plan.cells if cell.index not in done]

    def save(cell: Cell, table: pd.DataFrame) -> None:
        try:
            folder.save_cell(cell.index, table, digest)
        except OSError as exc:
            raise UserError(
                f"{folder.path}: cannot write cell {cell.index} ({exc.strerror}); the cells "
                "saved before it are kept: make room and run the same command again"
            ) from None

    run_cells(missing, plan.replications, plan.seed, executor, save, precision, on_progress, force)

    results = folder.read_cells(cell.index for cell in plan.cells)
    summary = summarise_cells(results, plan.parameter_columns)
    folder.write_results(results, summary)
    national = forces = None
    if plan.national:
        national, forces = national_table(plan, results), force_table(plan, results)
        folder.write_national(national, forces)
    run_record.update(finished=utc_now(), cells_run=len(missing))
    manifest["complete"] = True
    folder.write_manifest(manifest)
    return SweepOutcome(
        folder.path,
        len(done),
        len(missing),
        results,
        summary,
        imprecise_cells(results, precision),
        national,
        forces,
    )


def _manifest(
    plan: SweepPlan, digest: str, settings: dict[str, Any], runs: list[dict]
) -> dict[str, Any]:
    return {
        "sweep": plan.name,
        "sweep_file": str(plan.source),
        "sweep_digest": digest,
        **settings,
        "parameters": plan.parameter_columns,
        "national": plan.national,
        "complete": False,
        "cells": [
            {
                CELL_COLUMN: cell.index,
                **cell.columns,
                "scenario_source": cell.scenario_source,
                "overrides": dict(cell.overrides),
            }
            for cell in plan.cells
        ],
        "runs": runs,
        "versions": package_versions(),
    }
