"""Who is on duty when: drug workers' rota and the group-session timetable.

Each day, each drug worker in post is present with the scenario's availability
(leave, sickness and training are absences); present workers spend the admin share of
their time off client calls, so the number on calls is the present number times
(1 - admin share), rounded up or down at random with the right expectation. Evening
shifts add hours on the evening days, staffed by a share of that day's workers on calls
(as extra hours, not taken from the day shift). Staffing may change over time.

A timetable repeats every fortnight, so a stream can run a session every other week.
Sessions are placed in (day, start hour) cells; each cell holds as many concurrent
sessions as the facilitators can staff. Each staffing period has its own timetable.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, overload

import numpy as np

from simdivert.clock import DAY_NAMES, HOURS_PER_DAY, WeeklyWindows
from simdivert.scenario.timetable import (
    CYCLE_HOURS,
    concurrent_sessions,
    cycle_cells,
    sessions_per_fortnight,
)

if TYPE_CHECKING:
    from simdivert.scenario.schema import CourseSettings, Scenario, Workforce, WorkingHours


def working_windows(hours: WorkingHours) -> WeeklyWindows:
    """The weekly windows in which a team works."""
    return WeeklyWindows(hours.working_days, hours.day_start_hour, hours.day_end_hour)


def cycle_timetable(course: CourseSettings) -> dict[str, np.ndarray]:
    """Session start times within one fortnight, per stream.

    Each stream's sessions are spread evenly over the fortnight; a session goes in the
    free cell nearest its ideal time, so streams share cells only when they must.
    """
    cells = cycle_cells(course)
    room = np.full(len(cells), concurrent_sessions(course))
    per_fortnight = sessions_per_fortnight(course.sessions_per_week)
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


def cycle_session_times(course: CourseSettings, start: float, end: float) -> dict[str, np.ndarray]:
    """Session start times in [start, end) of a timetable whose fortnights begin at time 0."""
    first_cycle = int(np.floor(start / CYCLE_HOURS))
    n_cycles = int(np.ceil(end / CYCLE_HOURS)) - first_cycle
    repeats = (first_cycle + np.arange(n_cycles))[:, None] * CYCLE_HOURS
    result = {}
    for stream, times in cycle_timetable(course).items():
        all_times = (repeats + times[None, :]).ravel()
        result[stream] = np.sort(all_times[(all_times >= start) & (all_times < end)])
    return result


def session_times(scenario: Scenario) -> dict[str, np.ndarray]:
    """Every session start time over the horizon, per stream, period by period."""
    parts = [
        cycle_session_times(period.course, period.start_hours, period.end_hours)
        for period in scenario.staffing_periods()
    ]
    return {stream: np.concatenate([part[stream] for part in parts]) for stream in parts[0]}


def reactive_slot_times(scenario: Scenario) -> dict[str, np.ndarray]:
    """When sessions may be added, per stream with a reactive rule (``course.reactive``):
    each of its session days at its start hour, over the horizon."""
    reactive = scenario.course.reactive
    if reactive is None:
        return {}
    n_days = int(np.ceil(scenario.horizon_hours / HOURS_PER_DAY))
    day = np.arange(n_days)
    chosen = day[np.isin(day % 7, [DAY_NAMES.index(d) for d in reactive.session_days])]
    times = chosen * HOURS_PER_DAY + reactive.session_start_hour
    times = times[times < scenario.horizon_hours].astype(float)
    return {stream: times for stream in reactive.streams}


def _stochastic_round(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Round down or up at random so that the expectation is the value itself."""
    return np.floor(values + rng.random(values.size)).astype(np.int64)


def workforce_by_day(
    workforce: Workforce, posts: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Full caseloads at work each day (in post, not off sick, new starters ramped up)
    from the posts funded each day (``provider.workforce``; fractional posts count
    their fraction). One post at a time, day by day; its own random stream."""
    n_days = posts.size
    slots = int(np.ceil(posts.max())) if n_days else 0
    at_work = np.zeros(n_days)
    leave_per_day = workforce.turnover_per_year / 365.0
    sick_per_day = workforce.sickness_spells_per_year / 365.0
    lag = workforce.recruitment_lag_days
    for slot in range(slots):
        weight = np.clip(posts - slot, 0.0, 1.0)  # this post's funded share each day
        vacant_until = lag if rng.random() < workforce.vacancy_share else -1.0
        started = -math.inf  # the day the present worker started (ramp-up)
        sick_until = -1.0
        funded_before = weight[0] > 0
        for day in range(n_days):
            funded = weight[day] > 0
            if funded and not funded_before and day > 0:
                vacant_until = day + lag  # a new post: recruited first
            funded_before = funded
            if not funded:
                continue
            if day < vacant_until:
                continue
            if vacant_until >= 0 and day >= vacant_until:
                started, vacant_until = float(day), -1.0
            if rng.random() < leave_per_day:
                vacant_until = day + lag
                continue
            if day < sick_until:
                continue
            if rng.random() < sick_per_day:
                spell = max(1.0, math.ceil(rng.exponential(workforce.sickness_spell_mean_days)))
                sick_until = day + spell
                continue
            ramp = workforce.ramp_up_days
            share = min(1.0, (day - started + 1) / ramp) if ramp > 0 else 1.0
            at_work[day] += weight[day] * share
    return at_work


def workers_on_calls_by_day(
    scenario: Scenario, rng: np.random.Generator, workforce_rng: np.random.Generator | None = None
) -> np.ndarray:
    """Drug workers on client calls on each day of the horizon (before evening shares);
    with ``provider.workforce`` set, from the workforce at work (``workforce_rng``)."""
    provider = scenario.provider
    n_days = int(np.ceil(scenario.horizon_hours / HOURS_PER_DAY))
    day_start = np.arange(n_days) * HOURS_PER_DAY
    periods = scenario.staffing_periods()
    starts = np.array([period.start_hours for period in periods])
    in_post = np.array([period.drug_workers for period in periods])[
        np.searchsorted(starts, day_start, side="right") - 1
    ]
    if provider.workforce.active:
        if workforce_rng is None:
            raise ValueError("provider.workforce needs its own random stream")
        in_post = workforce_by_day(provider.workforce, in_post, workforce_rng)
    whole = np.floor(in_post).astype(np.int64)
    present = rng.binomial(whole, provider.availability) + (
        rng.random(n_days) < (in_post - whole) * provider.availability
    )
    return _stochastic_round(rng, present * (1.0 - provider.admin_share))


def duty_changes(
    scenario: Scenario, rng: np.random.Generator, workforce_rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """When the number of drug workers on calls changes: (times, number on calls from then).

    The first entry is at time 0; times increase strictly.
    """
    provider = scenario.provider
    on_calls = workers_on_calls_by_day(scenario, rng, workforce_rng)
    n_days = on_calls.size
    evening_share = _stochastic_round(rng, on_calls * provider.evening_staff_share)
    day = np.arange(n_days)
    weekday = day % 7
    working = np.isin(weekday, [DAY_NAMES.index(d) for d in provider.working_days])
    evening = np.isin(weekday, [DAY_NAMES.index(d) for d in provider.evening_days])
    base = day * HOURS_PER_DAY
    shift_starts = [base[working] + provider.day_start_hour]
    shift_ends = [base[working] + provider.day_end_hour]
    counts = [on_calls[working]]
    if provider.evening_end_hour is not None:
        shift_starts.append(base[evening] + provider.day_end_hour)
        shift_ends.append(base[evening] + provider.evening_end_hour)
        counts.append(evening_share[evening])
    starts, ends = np.concatenate(shift_starts), np.concatenate(shift_ends)
    shift_counts = np.concatenate(counts)
    times = np.concatenate([[0.0], ends, starts])
    values = np.concatenate([[0], np.zeros(ends.size, np.int64), shift_counts])
    is_start = np.concatenate([[False], np.zeros(ends.size, bool), np.ones(starts.size, bool)])
    order = np.lexsort((is_start, times))  # at equal times a shift's start follows an end
    times, values = times[order], values[order]
    keep = times < scenario.horizon_hours
    times, values = times[keep], values[keep]
    last_at_time = np.append(times[1:] != times[:-1], True)
    times, values = times[last_at_time], values[last_at_time]
    changed = np.append(True, values[1:] != values[:-1])
    return times[changed], values[changed]


@overload
def on_duty_hours(times: np.ndarray, counts: np.ndarray, start: float, end: float) -> float: ...
@overload
def on_duty_hours(
    times: np.ndarray, counts: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray: ...
def on_duty_hours(
    times: np.ndarray, counts: np.ndarray, start: float | np.ndarray, end: float | np.ndarray
) -> float | np.ndarray:
    """Worker-hours on calls over [start, end) (or over each pair of arrays of them) for a
    step function from duty_changes."""
    times, counts = np.asarray(times, dtype=float), np.asarray(counts, dtype=float)
    # Worker-hours from time 0 to each change, then linear up to the next.
    at_changes = np.concatenate([[0.0], np.cumsum(counts[:-1] * np.diff(times))])

    def worker_hours_to(t: np.ndarray) -> np.ndarray:
        k = np.maximum(np.searchsorted(times, t, side="right") - 1, 0)
        return at_changes[k] + counts[k] * (np.maximum(t, times[0]) - times[k])

    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    hours = np.where(end > start, worker_hours_to(end) - worker_hours_to(start), 0.0)
    return float(hours) if hours.ndim == 0 else hours
