"""One run from the page: replications on the process pool in a background thread, with
progress and cancel, written into the session's own temporary folder.

Each browser session owns a :class:`SessionFolder` (deleted when the session is gone),
and each run its own sub-folder, so two people using the page at once never see each
other's runs. The run goes through the public API (:mod:`simdivert.api`): ``run`` (or
``forecast``, to show how sure it is) or ``compare`` on ``local(workers)``, then
``write_run``, ``write_comparison`` and ``write_report``. The results are shown as soon
as the folders are written; the report's figures follow.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
import weakref
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import simdivert as sd
from simdivert.experiments.executors import Executor, Task

RUN_FOLDER = "run"
SHOW_RESULTS_SECONDS = 3.0  # the most the figures wait for the page to show the results
COMPARISON_FOLDER = "comparison"


class Cancelled(Exception):
    """The person pressed Cancel; the replications still queued are dropped."""


class SessionFolder:
    """A temporary folder for one browser session, removed when the session ends."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="simdivert-app-"))
        self._count = itertools.count(1)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, True)

    def new_run(self) -> Path:
        """A fresh, empty folder for the next run."""
        folder = self.path / f"run-{next(self._count)}"
        folder.mkdir()
        return folder

    def uploads(self) -> Path:
        folder = self.path / "uploads"
        folder.mkdir(exist_ok=True)
        return folder


@dataclass
class Progress:
    """How far a run has got, read by the page while the run's thread writes it."""

    total: int
    done: int = 0
    stage: str = "queued"  # running, writing, report, done, cancelled or failed
    error: str = ""


class ProgressExecutor(Executor):
    """An executor that counts finished replications and stops when cancelled.

    It hands the tasks to ``inner`` (``sd.local(workers)``) unchanged, so the numbers are
    those of any other executor.
    """

    def __init__(self, inner: Executor, progress: Progress, cancel: threading.Event) -> None:
        self._inner = inner
        self._progress = progress
        self._cancel = cancel
        self.description = inner.description
        self.workers = inner.workers
        self.dask_scheduler = inner.dask_scheduler

    def submit(self, task: Task, tag: Hashable) -> None:
        self._inner.submit(task, tag)

    def completed(self) -> Iterator[tuple[Hashable, Any]]:
        for tag, result in self._inner.completed():
            if self._cancel.is_set():
                raise Cancelled
            self._progress.done += 1
            yield tag, result

    def close(self) -> None:
        self._inner.close()


@dataclass(frozen=True)
class RunRequest:
    """What the page asked for: the edited scenario and, for a comparison, the base."""

    scenario: sd.Scenario
    replications: int
    seed: int
    base: sd.Scenario | None = None  # paired against this one (common random numbers)
    sets: int | None = None  # parameter sets, to show how sure the forecast is


@dataclass
class RunJob:
    """A run in its own thread; the page polls ``progress`` and reads ``folders``."""

    request: RunRequest
    folder: Path
    workers: int | None = None
    progress: Progress = field(init=False)
    cancel: threading.Event = field(default_factory=threading.Event)
    shown: threading.Event = field(default_factory=threading.Event)  # results on the page
    folders: dict[str, Path] = field(default_factory=dict)
    thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        scenarios = 1 if self.request.base is None else 2
        sets = self.request.sets or 1
        self.progress = Progress(total=self.request.replications * scenarios * sets)

    def start(self) -> RunJob:
        self.thread = threading.Thread(target=self._work, name="simdivert-run", daemon=True)
        self.thread.start()
        return self

    @property
    def finished(self) -> bool:
        return self.progress.stage in ("done", "cancelled", "failed")

    @property
    def has_results(self) -> bool:
        return self.progress.stage in ("report", "done")

    def _work(self) -> None:
        try:
            self._run()
        except Cancelled:
            self.progress.stage = "cancelled"
        except sd.UserError as exc:
            self.progress.error, self.progress.stage = str(exc), "failed"
        except Exception as exc:  # shown in the page as one line, not a traceback
            self.progress.error = f"{type(exc).__name__}: {exc}"
            self.progress.stage = "failed"

    def _run(self) -> None:
        request = self.request
        self.progress.stage = "running"
        with ProgressExecutor(sd.local(self.workers), self.progress, self.cancel) as executor:
            if request.base is None and request.sets is not None:
                result = sd.forecast(
                    request.scenario,
                    request.sets,
                    replications=request.replications,
                    seed=request.seed,
                    executor=executor,
                )
                comparison = None
            elif request.base is None:
                result = sd.run(request.scenario, request.replications, request.seed, executor)
                comparison = None
            else:
                comparison = sd.compare(
                    request.base,
                    request.scenario,
                    replications=request.replications,
                    seed=request.seed,
                    executor=executor,
                    sets=request.sets,
                )
                result = comparison.results[1]
        self.progress.stage = "writing"
        self.folders[RUN_FOLDER] = sd.write_run(result, self.folder / RUN_FOLDER)
        if comparison is not None:
            self.folders[COMPARISON_FOLDER] = sd.write_comparison(
                comparison, self.folder / COMPARISON_FOLDER
            )
        self.progress.stage = "report"  # the results can be shown; the figures follow
        # Draw the figures once the page shows the results, not while it draws them (on
        # two cores the figures' processes would take the CPU the page needs).
        self.shown.wait(SHOW_RESULTS_SECONDS)
        for folder in list(self.folders.values()):
            sd.write_report(folder)
        self.progress.stage = "done"

    def wait(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)


def zip_folder(folder: Path, into: Path) -> Path:
    """``folder`` as a zip file in ``into`` (the run folder to download)."""
    return Path(shutil.make_archive(str(into / folder.name), "zip", folder.parent, folder.name))
