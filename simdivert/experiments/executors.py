"""Where replications run: in this process, on a local process pool, or on a Dask cluster.

Every executor runs the same task function, :func:`run_task`, which calls a task's
``run()``: a :class:`ReplicationTask` (one replication's KPIs, for ``run``, ``compare``,
``sweep`` and ``sensitivity``) or another kind of task with the same shape (``staff``
measures waits of one period). A task's random numbers depend only on its (seed,
replication), so results never depend on the executor or the number of workers, only
on what was asked. Results come back in the order they finish; callers order them.

Tasks may be submitted while results are being collected (a sweep adds replications to
a cell until it is precise enough), so an executor is a queue of outstanding tasks rather
than a ``map``.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Hashable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from simdivert.errors import UserError
from simdivert.model.replication import ReplicationResult, run_replication
from simdivert.scenario.schema import Scenario

DASK_CONNECT_TIMEOUT = "10s"
DASK_WORKERS_TIMEOUT_SECONDS = 30.0  # a scheduler without workers would wait forever
DASK_POLL_SECONDS = 1.0
DASK_CLIENT_LOGGERS = ("distributed", "distributed.client")  # silenced while connected
ORPHAN_CHECK_SECONDS = 1.0
NETWORK_SCHEMES = ("tcp", "tls", "ws", "wss")  # addresses that need host:port


class BatchProgress(Protocol):
    """Told of each batch of tasks :meth:`Executor.run_all` runs: how many were added,
    then each one finished (a command's progress bar; a search adds batches as it goes)."""

    def planned(self, tasks: int) -> None: ...

    def finished(self, tasks: int) -> None: ...


class Task(Protocol):
    """Work for one worker: picklable, holding everything it needs, and nothing else."""

    def run(self) -> Any:
        """Do the work; the result depends only on the task's fields."""


@dataclass(frozen=True)
class ReplicationTask:
    """One replication of one scenario."""

    scenario: Scenario
    seed: int
    replication: int
    keep_events: bool = False

    def run(self) -> ReplicationResult:
        return run_replication(self.scenario, self.seed, self.replication, self.keep_events)


def run_task(task: Task) -> Any:
    """The one task function that every executor runs."""
    return task.run()


def default_workers() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Executor(ABC):
    """Runs submitted tasks and hands back ``(tag, result)`` pairs as they finish."""

    description: str
    workers: int | None = 1  # worker processes on this machine; None: a Dask cluster's
    dask_scheduler: str | None = None

    def where(self) -> dict[str, int | str | None]:
        """Where the replications ran, for a manifest (results do not depend on it)."""
        return {"workers": self.workers, "dask_scheduler": self.dask_scheduler}

    @abstractmethod
    def submit(self, task: Task, tag: Hashable) -> None:
        """Queue a task; ``tag`` comes back with its result."""

    @abstractmethod
    def completed(self) -> Iterator[tuple[Hashable, Any]]:
        """Results as they finish, until no task is outstanding (tasks may be added meanwhile)."""

    @abstractmethod
    def close(self) -> None:
        """Stop: outstanding tasks are cancelled."""

    progress: BatchProgress | None = None  # told of every batch run_all runs

    def run_all(self, tasks: Sequence[Task]) -> list[Any]:
        """Run a batch of tasks, all submitted at once, and return their results in the
        batch's order. For an executor with nothing else outstanding."""
        if self.progress is not None:
            self.progress.planned(len(tasks))
        for position, task in enumerate(tasks):
            self.submit(task, position)
        by_position: dict[Hashable, Any] = {}
        for tag, result in self.completed():
            by_position[tag] = result
            if self.progress is not None:
                self.progress.finished(1)
        return [by_position[position] for position in range(len(tasks))]

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class InProcessExecutor(Executor):
    """Runs each task in this process, in the order submitted (one worker, no pickling)."""

    description = "this process"

    def __init__(self) -> None:
        self._queue: deque[tuple[Task, Hashable]] = deque()

    def submit(self, task: Task, tag: Hashable) -> None:
        self._queue.append((task, tag))

    def completed(self) -> Iterator[tuple[Hashable, Any]]:
        while self._queue:
            task, tag = self._queue.popleft()
            yield tag, run_task(task)

    def close(self) -> None:
        self._queue.clear()


class _Future(Protocol):
    def result(self) -> Any: ...

    def add_done_callback(self, fn: Any) -> None: ...


class _FuturesExecutor(Executor):
    """Shared by the process pool and Dask: a done-callback puts each finished future on a
    queue, so collecting N results costs O(N) whatever the number outstanding."""

    def __init__(self) -> None:
        self._done: queue.SimpleQueue[tuple[Hashable, _Future]] = queue.SimpleQueue()
        self._outstanding = 0

    @abstractmethod
    def _start(self, task: Task) -> _Future:
        """Send the task to the workers."""

    def submit(self, task: Task, tag: Hashable) -> None:
        future = self._start(task)
        self._outstanding += 1
        future.add_done_callback(lambda done: self._done.put((tag, done)))

    def completed(self) -> Iterator[tuple[Hashable, Any]]:
        while self._outstanding:
            tag, future = self._done.get()
            self._outstanding -= 1
            yield tag, future.result()


def _prepare_worker(parent_pid: int) -> None:
    """Worker processes leave Ctrl-C to the parent, which stops the pool cleanly, and exit
    if the parent dies without stopping them (``kill -9``), instead of idling forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def exit_when_orphaned() -> None:
        while os.getppid() == parent_pid:
            time.sleep(ORPHAN_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=exit_when_orphaned, daemon=True).start()


class LocalPoolExecutor(_FuturesExecutor):
    """A pool of worker processes on this machine."""

    def __init__(self, workers: int) -> None:
        super().__init__()
        self.description = f"{workers} local worker processes"
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers, initializer=_prepare_worker, initargs=(os.getpid(),)
        )

    def _start(self, task: Task) -> _Future:
        return self._pool.submit(run_task, task)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(_FuturesExecutor):
    """An existing ``dask.distributed`` scheduler and its workers (simdivert installed there).

    ``distributed`` is imported only here, so the local paths never pay for it.
    """

    def __init__(self, address: str) -> None:
        super().__init__()
        import logging

        from distributed import Client
        from distributed.comm.addressing import parse_address, parse_host_port
        from distributed.comm.registry import get_backend

        try:
            # Check the address first: a Client that fails on a malformed one hangs at exit.
            scheme, location = parse_address(address)
            get_backend(scheme)
            if scheme in NETWORK_SCHEMES:
                parse_host_port(location)
            self._client = Client(address, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, ValueError) as exc:
            raise UserError(
                f"dask {address}: cannot reach a Dask scheduler: {exc}", option="dask"
            ) from None
        self.description = f"Dask scheduler {address}"
        self.workers = None
        self.dask_scheduler = address
        self._without_workers_since: float | None = None
        # The client logs every failed reconnection with a traceback (and its comms
        # their own errors); a lost scheduler is reported once, by completed(), in one line.
        self._quiet = {name: logging.getLogger(name) for name in DASK_CLIENT_LOGGERS}
        self._levels = {name: log.level for name, log in self._quiet.items()}
        for log in self._quiet.values():
            log.setLevel(logging.CRITICAL)
        try:
            self._client.wait_for_workers(1, timeout=DASK_WORKERS_TIMEOUT_SECONDS)
        except (TimeoutError, OSError):
            self.close()
            raise self._no_workers() from None

    def _no_workers(self) -> UserError:
        return UserError(
            f"dask {self.dask_scheduler}: the scheduler has no workers (none for "
            f"{DASK_WORKERS_TIMEOUT_SECONDS:g} s); start some with "
            f"`dask worker {self.dask_scheduler}`",
            option="dask",
        )

    def _lost(self, why: str) -> UserError:
        return UserError(
            f"dask {self.dask_scheduler}: lost the scheduler ({why}); what had finished is "
            "kept: run the same command again to go on",
            option="dask",
        )

    def _start(self, task: Task) -> _Future:
        try:
            return self._client.submit(run_task, task, pure=False)
        except (OSError, RuntimeError) as exc:
            raise self._lost(type(exc).__name__) from None

    def completed(self) -> Iterator[tuple[Hashable, Any]]:
        """As for any executor, but a lost scheduler, or one left without workers for
        too long, ends the wait with one clear error instead of hanging."""
        from concurrent.futures import CancelledError

        from distributed.comm.core import CommClosedError

        while self._outstanding:
            try:
                tag, future = self._done.get(timeout=DASK_POLL_SECONDS)
            except queue.Empty:
                self._check_cluster()
                continue
            self._outstanding -= 1
            try:
                result = future.result()
            except (CancelledError, CommClosedError, OSError, TimeoutError) as exc:
                raise self._lost(type(exc).__name__) from None
            yield tag, result

    def _check_cluster(self) -> None:
        if self._client.status != "running":
            raise self._lost(f"the client is {self._client.status}")
        try:
            workers = self._client.scheduler_info(n_workers=-1)["workers"]
        except (OSError, TimeoutError) as exc:
            raise self._lost(type(exc).__name__) from None
        if workers:
            self._without_workers_since = None
        elif self._without_workers_since is None:
            self._without_workers_since = time.monotonic()
        elif time.monotonic() - self._without_workers_since > DASK_WORKERS_TIMEOUT_SECONDS:
            raise self._no_workers()

    def close(self) -> None:
        """Leave the cluster; quietly if it is gone already (the error said so)."""
        try:
            self._client.close(timeout=5)
        except (OSError, TimeoutError, RuntimeError):
            pass
        finally:
            for name, log in self._quiet.items():
                log.setLevel(self._levels[name])


def local_executor(workers: int, force: bool = False) -> Executor:
    """This process for one worker, else a pool of ``workers`` processes: at most one a
    core unless ``force`` (more only compete for the cores, and each costs memory)."""
    if workers < 1:
        raise UserError(f"workers {workers}: must be at least 1", option="workers")
    cores = default_workers()
    if workers > cores and not force:
        raise UserError(
            f"workers {workers}: more than the {cores} cores this machine has (more "
            "processes only compete for them); force it to start that many anyway",
            option="workers",
        )
    return InProcessExecutor() if workers == 1 else LocalPoolExecutor(workers)


def open_executor(
    workers: int | None = None, dask_address: str | None = None, force: bool = False
) -> Executor:
    """The executor asked for on the command line: Dask if given an address, else local
    with ``workers`` processes (None: all cores; more than the cores only if ``force``)."""
    check_executor_options(workers, dask_address)
    if dask_address is None:
        return local_executor(default_workers() if workers is None else workers, force)
    return DaskExecutor(dask_address)


def check_executor_options(workers: int | None, dask_address: str | None) -> None:
    if workers is not None and dask_address is not None:
        raise UserError(
            "workers and a Dask address: choose one (a Dask cluster has its own workers)",
            option="workers",
        )
