"""The model's own scheduled callbacks and run loop: what SimPy's event loop needs, no more.

The model's steps are callbacks on timeouts (no SimPy processes), so a SimPy
:class:`~simpy.events.Timeout` is mostly overhead for them: a bound-class call, seven
attributes, a check of the delay, :meth:`~simpy.core.Environment.schedule` and a
``value`` property read by the callback. :func:`call_later` (and :func:`call_at`) puts
a :class:`Due` on the environment's queue exactly as a timeout would be put there (the
same time, priority and event id, so simultaneous events are handled in the same order
as with ``env.timeout(delay, value).callbacks.append(callback)``), and
:func:`run_until` runs the queue as ``env.run(until=...)`` would. SimPy's own events
(the group sessions' timeouts) share the queue and run as before.
``tests/test_events.py`` checks the order against SimPy's.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL


class Due:
    """A callback due at a time, with a value: the fields SimPy's ``step`` reads."""

    __slots__ = ("callbacks", "value", "_ok")

    def __init__(self, callback: Callable[[Due], object], value: Any) -> None:
        self.callbacks: list[Callable[[Due], object]] | None = [callback]
        self.value = value
        self._ok = True  # never fails: SimPy's step checks it after the callbacks


def call_later(
    env: simpy.Environment, delay: float, callback: Callable[[Due], object], value: Any = None
) -> None:
    """Run ``callback(due)`` ``delay`` hours from now, ``due.value`` being ``value``: the
    same as ``env.timeout(delay, value).callbacks.append(callback)``, in the same order."""
    if delay < 0:
        raise ValueError(f"negative delay {delay}")
    queue: list[Any] = env._queue  # SimPy types it as holding its own events only
    heappush(queue, (env._now + delay, NORMAL, next(env._eid), Due(callback, value)))


def call_at(
    env: simpy.Environment, when: float, callback: Callable[[Due], object], value: Any = None
) -> None:
    """:func:`call_later` at the absolute time ``when`` (not before now), exactly: for an
    event whose time was worked out as now + delay at an earlier now."""
    if when < env._now:
        raise ValueError(f"time {when} is before now ({env._now})")
    queue: list[Any] = env._queue
    heappush(queue, (when, NORMAL, next(env._eid), Due(callback, value)))


def discard_pending(env: simpy.Environment) -> None:
    """Drop the events still pending when the run ends.

    Each holds a callback bound to a model object that holds the environment: cycles
    that would leave the whole model (its per-find draws, histories and logs) to the
    cyclic garbage collector, whose pass over them costs about as much as a tenth of the
    run. Without them the model is freed by reference counting as soon as it goes.
    """
    env._queue.clear()


def run_until(env: simpy.Environment, until: float) -> None:
    """``env.run(until=until)`` for a model of callbacks: every event before ``until`` is
    handled, in SimPy's order (time, priority, event id), and the clock is left at
    ``until``; events due at ``until`` or later stay pending, as with SimPy's own stop
    event (scheduled urgent, so it comes before them).

    The same loop as :meth:`simpy.core.Environment.step`, written once around the queue
    instead of called per event: the model handles about 20,000 events per simulated
    year and the call was a noticeable part of each. A failed event that nobody defused
    stops the run with a copy of its exception, as SimPy's step does.
    """
    if until <= env._now:
        raise ValueError(f"until ({until}) must be greater than the current simulation time")
    queue: list[Any] = env._queue  # SimPy's events and the model's Due
    while queue and queue[0][0] < until:
        env._now, _, _, event = heappop(queue)
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc
    env._now = until
