"""The shape of a group-session timetable: the fortnight's cells and how many sessions
each can hold. The scenario checks its sessions fit; the rota (``model/roster.py``) fills it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from simdivert.clock import DAY_NAMES, HOURS_PER_DAY, HOURS_PER_WEEK

if TYPE_CHECKING:  # numpy is imported where arrays are made: validating a scenario never needs it
    import numpy as np

    from simdivert.scenario.schema import CourseSettings

CYCLE_WEEKS = 2
CYCLE_HOURS = CYCLE_WEEKS * HOURS_PER_WEEK


def cycle_cells(course: CourseSettings) -> np.ndarray:
    """Start times (hours into the fortnight) of every timetable cell, in time order."""
    import numpy as np

    return np.array(_cell_hours(course))


def _cell_hours(course: CourseSettings) -> list[float]:
    """:func:`cycle_cells` as a list: validating a scenario counts them without numpy."""
    days = sorted({DAY_NAMES.index(d) for d in course.session_days})
    starts = sorted(set(course.session_start_hours))
    cells = [
        week * HOURS_PER_WEEK + day * HOURS_PER_DAY + hour
        for week in range(CYCLE_WEEKS)
        for day in days
        for hour in starts
    ]
    return sorted(cells)


def sessions_per_fortnight(sessions_per_week: Mapping[str, float]) -> dict[str, int]:
    """Each stream's sessions a fortnight (a timetable repeats every fortnight)."""
    return {stream: round(CYCLE_WEEKS * n) for stream, n in sessions_per_week.items()}


def concurrent_sessions(course: CourseSettings) -> int:
    """How many sessions can run at the same time with the facilitators available."""
    return course.facilitators // course.facilitators_per_session


def timetable_capacity(course: CourseSettings) -> int:
    """The most sessions a fortnight the timetable can hold."""
    return len(_cell_hours(course)) * concurrent_sessions(course)
