"""Rich progress bars: for sweeps (cells done, replications per second, time remaining)
and for any command that runs batches of replications on an executor."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

if TYPE_CHECKING:  # a type only: importing the sweep runner loads SimPy and pandas
    from simdivert.experiments.sweep_runner import SweepProgress


class ReplicationRateColumn(ProgressColumn):
    """Replications finished per second, over rich's recent window."""

    def render(self, task: Task) -> Text:
        speed = task.speed
        return Text("– reps/s" if speed is None else f"{speed:.1f} reps/s", style="cyan")


class _Bar:
    """A rich progress display shown while the ``with`` block runs."""

    _progress: Progress

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()


def _replication_columns() -> tuple[ProgressColumn, ...]:
    """Replications done of those planned, their rate, the time taken and to go."""
    return (
        TextColumn("reps"),
        MofNCompleteColumn(),
        ReplicationRateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )


class SweepProgressBar(_Bar):
    """``with SweepProgressBar(console, title) as bar: ... bar.update(progress)``.

    Cells count those a previous, interrupted run finished too; replications count this
    run's, against the total planned so far (it grows when a cell needs more).
    """

    def __init__(self, console: Console, title: str) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("cells {task.fields[cells]}"),
            *_replication_columns(),
            console=console,
        )
        self._title = title
        self._task: TaskID | None = None
        self._cells_before = 0

    def start(self, cells_done: int, cells_total: int) -> None:
        """Called once the sweep knows what a previous run finished."""
        self._cells_before = cells_done
        self._task = self._progress.add_task(
            self._title, total=None, cells=f"{cells_done}/{cells_total}"
        )

    def update(self, progress: SweepProgress) -> None:
        if self._task is None:
            return
        cells_done = self._cells_before + progress.cells_done
        cells_total = self._cells_before + progress.cells_total
        self._progress.update(
            self._task,
            completed=progress.replications_done,
            total=progress.replications_planned,
            cells=f"{cells_done}/{cells_total}",
        )


class ReplicationProgressBar(_Bar):
    """``with ReplicationProgressBar(console, title) as bar: executor.progress = bar``: a
    bar of replications (tasks) done against those planned so far, which grows as a search
    adds candidates; the rate and the time remaining."""

    def __init__(self, console: Console, title: str) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            *_replication_columns(),
            console=console,
        )
        self._task = self._progress.add_task(title, total=0)

    def planned(self, tasks: int) -> None:
        total = self._progress.tasks[0].total or 0
        self._progress.update(self._task, total=total + tasks)

    def finished(self, tasks: int) -> None:
        self._progress.advance(self._task, tasks)


class StaffingProgressBar(_Bar):
    """``with StaffingProgressBar(console, title) as bar: ... bar.update(stage, runs, done,
    total)``: the periods planned (and the fresh-seed check) out of all, the one under
    way, candidates simulated so far and the time elapsed."""

    def __init__(self, console: Console, title: str) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stage]}"),
            TextColumn("candidates {task.fields[runs]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self._task = self._progress.add_task(title, total=None, stage="", runs=0)

    def update(self, stage: str, runs: int, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total, stage=stage, runs=runs)
