"""Who is on duty when: drug workers' working windows and the group-session timetable.

A timetable repeats every fortnight, so a stream can run a session every other week.
Sessions are placed in (day, start hour) cells; each cell holds as many concurrent
sessions as the facilitators can staff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simdivert.clock import DAY_NAMES, HOURS_PER_DAY, HOURS_PER_WEEK, WeeklyWindows

if TYPE_CHECKING:
    from simdivert.scenario import CourseSettings, WorkingHours

CYCLE_WEEKS = 2
CYCLE_HOURS = CYCLE_WEEKS * HOURS_PER_WEEK


def working_windows(hours: WorkingHours) -> WeeklyWindows:
    """The weekly windows in which a team works."""
    return WeeklyWindows(hours.working_days, hours.day_start_hour, hours.day_end_hour)


def _cycle_cells(course: CourseSettings) -> np.ndarray:
    """Start times (hours into the fortnight) of every timetable cell, in time order."""
    days = sorted({DAY_NAMES.index(d) for d in course.session_days})
    starts = sorted(set(course.session_start_hours))
    cells = [
        week * HOURS_PER_WEEK + day * HOURS_PER_DAY + hour
        for week in range(CYCLE_WEEKS)
        for day in days
        for hour in starts
    ]
    return np.array(sorted(cells))


def concurrent_sessions(course: CourseSettings) -> int:
    """How many sessions can run at the same time with the facilitators available."""
    return course.facilitators // course.facilitators_per_session


def timetable_capacity(course: CourseSettings) -> int:
    """The most sessions a fortnight the timetable can hold."""
    return len(_cycle_cells(course)) * concurrent_sessions(course)


def cycle_timetable(course: CourseSettings) -> dict[str, np.ndarray]:
    """Session start times within one fortnight, per stream.

    Each stream's sessions are spread evenly over the fortnight; a session goes in the
    free cell nearest its ideal time, so streams share cells only when they must.
    """
    cells = _cycle_cells(course)
    room = np.full(len(cells), concurrent_sessions(course))
    per_fortnight = course.sessions_per_week.per_fortnight()
    order = sorted(per_fortnight, key=lambda s: -per_fortnight[s])  # stable: busiest first
    timetable: dict[str, np.ndarray] = {}
    positions = np.arange(len(cells))
    for offset, stream in enumerate(order):
        n = per_fortnight[stream]
        chosen = []
        for j in range(n):
            ideal = ((j + 0.5) * len(cells) / n + offset) % len(cells)
            distance = np.abs(positions - ideal)
            distance = np.minimum(distance, len(cells) - distance)
            distance = np.where(room > 0, distance, np.inf)
            cell = int(np.argmin(distance))
            if not np.isfinite(distance[cell]):
                raise ValueError("the timetable has no free cell left")
            room[cell] -= 1
            chosen.append(cells[cell])
        timetable[stream] = np.sort(np.array(chosen, dtype=float))
    return timetable


def session_times(course: CourseSettings, horizon_hours: float) -> dict[str, np.ndarray]:
    """Every session start time in [0, horizon), per stream."""
    n_cycles = int(np.ceil(horizon_hours / CYCLE_HOURS))
    repeats = np.arange(n_cycles)[:, None] * CYCLE_HOURS
    result = {}
    for stream, times in cycle_timetable(course).items():
        all_times = (repeats + times[None, :]).ravel()
        result[stream] = np.sort(all_times[all_times < horizon_hours])
    return result


def duty_changes(hours: WorkingHours, headcount: int, horizon_hours: float):
    """When the number of workers on duty changes: (times, counts on duty from then)."""
    times, is_open = working_windows(hours).changes(horizon_hours)
    return times, np.where(is_open, headcount, 0)
