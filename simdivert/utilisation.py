"""How busy each role is: drug workers on calls and facilitators running sessions.

Drug workers' busy time is every call (assessments, failed calls, one-to-ones) against
the worker-hours on calls from the rota. Facilitators' busy time is every session held
(at least one place booked), with its preparation, against their contracted hours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simdivert.clock import HOURS_PER_WEEK
from simdivert.pathway import ROUTE_ONE_TO_ONE, PathwayLog, SessionBook
from simdivert.roster import on_duty_hours
from simdivert.scenario import Scenario


def call_intervals(log: PathwayLog) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of every drug-worker call (NaN rows where no call happened)."""
    one_to_one = log.route == ROUTE_ONE_TO_ONE
    starts = np.concatenate([log.assessment_hours, log.intervention_booked_hours[one_to_one]])
    ends = np.concatenate([log.assessment_end_hours, log.intervention_end_hours[one_to_one]])
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


def facilitator_hours_contracted(scenario: Scenario, start: float, end: float) -> float:
    """Facilitator hours contracted over [start, end), period by period."""
    total = 0.0
    for period in scenario.staffing_periods():
        overlap = max(0.0, min(end, period.end_hours) - max(start, period.start_hours))
        course = period.course
        total += course.facilitators * course.facilitator_hours_per_week * overlap / HOURS_PER_WEEK
    return total


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
    running = scenario.policy.diversion  # without a scheme there is no provider
    starts, ends = call_intervals(log)
    valid = ~(np.isnan(starts) | np.isnan(ends))
    starts, ends = starts[valid], ends[valid]
    course = scenario.course
    session_starts, _, _ = sessions_held(sessions)
    per_session = course.facilitators_per_session * (
        course.session_hours + course.prep_hours_per_session
    )
    rows = []
    for week in range(n_weeks):
        lo, hi = bounds[week], bounds[week + 1]
        busy = float(np.sum(np.maximum(np.minimum(ends, hi) - np.maximum(starts, lo), 0.0)))
        available = on_duty_hours(*duty, lo, hi) if running else 0.0
        held = np.sum((session_starts >= lo) & (session_starts < hi))
        contracted = facilitator_hours_contracted(scenario, lo, hi) if running else 0.0
        for role, used, of in (
            ("drug_workers", busy, available),
            ("facilitators", held * per_session, contracted),
        ):
            rows.append(
                {
                    "replication": replication,
                    "week": week,
                    "role": role,
                    "busy_hours": used,
                    "available_hours": of,
                    "utilisation": used / of if of > 0 else np.nan,
                }
            )
    return pd.DataFrame(rows)
