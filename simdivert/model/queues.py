"""Queues as intervals: who waits for what, from when to when, and time averages.

Each stage's waits are intervals [start, end) taken from the event log; an interval
whose end is NaN was still open when the run ended. The number waiting is a step
function of time; its integral (person-hours waiting) is exact and piecewise linear,
so averages over any period are differences of that integral.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simdivert.clock import HOURS_PER_WEEK
from simdivert.model.provider import ROUTE_GROUP, ROUTE_ONE_TO_ONE, PathwayLog

STAGES = ("contact", "assessment", "one_to_one", "course")


def stage_intervals(log: PathwayLog) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Waiting intervals per stage.

    contact: referral to first answered call (or the last unanswered attempt);
    assessment: first contact to the assessment call; one_to_one: assessment to the
    one-to-one call; course: assessment to completing or leaving the group course.
    """
    contact_end = np.where(
        np.isnan(log.first_contact_hours), log.end_hours, log.first_contact_hours
    )
    reached = ~np.isnan(log.first_contact_hours)
    one_to_one = log.assessed & (log.route == ROUTE_ONE_TO_ONE)
    group = log.assessed & (log.route == ROUTE_GROUP)
    return {
        "contact": (log.referral_hours, contact_end),
        "assessment": (log.first_contact_hours[reached], log.assessment_hours[reached]),
        "one_to_one": (
            log.assessment_end_hours[one_to_one],
            log.intervention_booked_hours[one_to_one],
        ),
        "course": (log.assessment_end_hours[group], log.end_hours[group]),
    }


def waiting_area(starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Person-hours spent waiting from time 0 up to each time in ``at``.

    Open intervals (NaN end) are treated as still waiting at every time in ``at``.
    """
    at = np.asarray(at, dtype=float)
    ends = np.where(np.isnan(ends), np.inf, ends)
    # Each interval contributes clip(t - start, 0, end - start) at time t.
    starts_sorted = np.sort(starts)
    ends_sorted = np.sort(ends)
    started = np.searchsorted(starts_sorted, at, side="right")
    ended = np.searchsorted(ends_sorted, at, side="right")
    start_sum = np.concatenate([[0.0], np.cumsum(starts_sorted)])[started]
    finite_ends = np.where(np.isinf(ends_sorted), 0.0, ends_sorted)
    end_sum = np.concatenate([[0.0], np.cumsum(finite_ends)])[ended]
    # sum over started of (t - start) minus sum over ended of (t - end)
    return (started * at - start_sum) - (ended * at - end_sum)


def time_average(starts: np.ndarray, ends: np.ndarray, t0: float, t1: float) -> float:
    """Mean number waiting over [t0, t1)."""
    if t1 <= t0:
        return float("nan")
    area = waiting_area(starts, ends, np.array([t0, t1]))
    return float((area[1] - area[0]) / (t1 - t0))


def weekly_series(log: PathwayLog, horizon_hours: float, replication: int) -> pd.DataFrame:
    """Per week and stage: mean number waiting and waits started (the ``timeseries.csv`` rows)."""
    n_weeks = int(np.ceil(horizon_hours / HOURS_PER_WEEK))
    bounds = np.minimum(np.arange(n_weeks + 1) * HOURS_PER_WEEK, horizon_hours)
    frames = []
    for stage, (starts, ends) in stage_intervals(log).items():
        area = waiting_area(starts, ends, bounds)
        started = np.histogram(starts, bins=bounds)[0]
        frames.append(
            pd.DataFrame(
                {
                    "replication": replication,
                    "week": np.arange(n_weeks),
                    "stage": stage,
                    "queue_mean": np.diff(area) / np.diff(bounds),
                    "waits_started": started,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
