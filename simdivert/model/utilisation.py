"""How busy each role is: drug workers on calls and facilitators running sessions.

Drug workers' busy time is every call (contact attempts, assessments, failed calls,
one-to-ones) against the worker-hours on calls from the rota; no call starts that cannot
end while its worker is on calls (``provider.DrugWorkers.fits``), so it is at most 1.
Facilitators' busy time is every session held (at least one place booked), with its
preparation, against their contracted hours.
"""

from __future__ import annotations

from typing import overload

import numpy as np
import pandas as pd

from simdivert.clock import HOURS_PER_WEEK
from simdivert.model.provider import ROUTE_ONE_TO_ONE, PathwayLog, SessionBook
from simdivert.model.queues import waiting_area
from simdivert.model.roster import on_duty_hours
from simdivert.scenario.schema import Scenario


def call_intervals(log: PathwayLog) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of every drug-worker call (NaN rows where no call happened)."""
    one_to_one = log.route == ROUTE_ONE_TO_ONE
    starts = np.concatenate(
        [log.attempt_starts, log.assessment_hours, log.intervention_booked_hours[one_to_one]]
    )
    ends = np.concatenate(
        [log.attempt_ends, log.assessment_end_hours, log.intervention_end_hours[one_to_one]]
    )
    return starts, ends


def sessions_held(sessions: SessionBook) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start time, stream index and attendance of every session with a booking."""
    times, streams, attended = [], [], []
    for stream, (start, booked, came) in enumerate(
        zip(sessions.times, sessions.booked, sessions.attended, strict=True)
    ):
        ran = np.asarray(booked) > 0
        times.append(np.asarray(start, dtype=float)[ran])
        streams.append(np.full(ran.sum(), stream))
        attended.append(np.asarray(came)[ran])
    return np.concatenate(times), np.concatenate(streams), np.concatenate(attended)


@overload
def facilitator_hours_contracted(scenario: Scenario, start: float, end: float) -> float: ...
@overload
def facilitator_hours_contracted(
    scenario: Scenario, start: np.ndarray, end: np.ndarray
) -> np.ndarray: ...
def facilitator_hours_contracted(
    scenario: Scenario, start: float | np.ndarray, end: float | np.ndarray
) -> float | np.ndarray:
    """Facilitator hours contracted over [start, end) (or each pair of arrays of them),
    period by period."""
    total = np.zeros(np.broadcast(start, end).shape)
    for period in scenario.staffing_periods():
        overlap = np.maximum(
            np.minimum(end, period.end_hours) - np.maximum(start, period.start_hours), 0.0
        )
        course = period.course
        total += course.facilitators * course.facilitator_hours_per_week * overlap / HOURS_PER_WEEK
    return float(total) if total.ndim == 0 else total


def weekly_utilisation(
    scenario: Scenario,
    log: PathwayLog,
    sessions: SessionBook,
    duty: tuple[np.ndarray, np.ndarray],
    replication: int,
) -> pd.DataFrame:
    """Per week and role: busy hours, available hours and utilisation (``utilisation.csv``)."""
    horizon = scenario.horizon_hours
    n_weeks = int(np.ceil(horizon / HOURS_PER_WEEK))
    bounds = np.minimum(np.arange(n_weeks + 1) * HOURS_PER_WEEK, horizon)
    lo, hi = bounds[:-1], bounds[1:]
    running = scenario.policy.diversion  # without a scheme there is no provider
    starts, ends = call_intervals(log)
    valid = ~(np.isnan(starts) | np.isnan(ends))
    calls = np.diff(waiting_area(starts[valid], ends[valid], bounds))
    course = scenario.course
    session_starts = np.sort(sessions_held(sessions)[0])
    held = np.diff(np.searchsorted(session_starts, bounds, side="left"))
    per_session = course.facilitators_per_session * (
        course.session_hours + course.prep_hours_per_session
    )
    zeros = np.zeros(n_weeks)
    busy = np.column_stack([calls, held * per_session]).ravel()
    available = np.column_stack(
        [
            on_duty_hours(*duty, lo, hi) if running else zeros,
            facilitator_hours_contracted(scenario, lo, hi) if running else zeros,
        ]
    ).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(available > 0, busy / available, np.nan)
    return pd.DataFrame(
        {
            "replication": replication,
            "week": np.repeat(np.arange(n_weeks), 2),
            "role": np.tile(["drug_workers", "facilitators"], n_weeks),
            "busy_hours": busy,
            "available_hours": available,
            "utilisation": utilisation,
        }
    )
