"""A national-scale run: 43 forces of mixed sizes, 5 years, one replication each.

England and Wales have 43 territorial police forces. Each force here is the default
scenario (West Midlands, about 26,000 searches and 5,200 referrals a year once the
scheme runs) scaled by a size factor: searches, other finds, drug workers and group
sessions all scale with it. Each runs the default's 56 warm-up days, then 5 years: the
pre-policy year and four policy years.

| forces | size factor | like |
|---|---|---|
| 1 | 6.0 | the Metropolitan Police (about 30% of the country's searches) |
| 5 | 1.0 | the large metropolitan forces (West Midlands, Greater Manchester, ...) |
| 12 | 0.5 | mid-sized forces |
| 25 | 0.15 | small, mostly rural forces |

The factors sum to 20.75, so the country makes about 547,000 searches a year, as
published for England and Wales (535,000-543,000 in 2022/23 and 2023/24), and about
108,000 referrals a year. Staffing keeps each force's load near the default's: drug
workers (FTE in post) are the default's x the factor; sessions a week per stream are the
default's x the factor, to the nearest half (at least one a fortnight where the
default runs any); facilitators the default's x the factor, rounded, or as many as the
timetable needs. Forces run as independent tasks on a process pool, largest first.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from simdivert.model.replication import run_replication
from simdivert.scenario.schema import Scenario
from simdivert.scenario.timetable import sessions_per_fortnight, timetable_capacity

SIZE_MIX = ((1, 6.0), (5, 1.0), (12, 0.5), (25, 0.15))
YEARS = 5.0


def size_factors() -> list[float]:
    """The 43 forces' size factors, largest first."""
    return [factor for count, factor in SIZE_MIX for _ in range(count)]


def _nearest_half(value: float, base: float) -> float:
    if base == 0:
        return 0.0
    return max(round(value * 2) / 2, 0.5)


def scaled_force(scenario: Scenario, factor: float, years: float = YEARS) -> Scenario:
    """The scenario for a force ``factor`` times the size of the default one."""
    demand = scenario.demand.model_copy(
        update={
            "searches_per_year": scenario.demand.searches_per_year * factor,
            "other_finds_per_year": scenario.demand.other_finds_per_year * factor,
        }
    )
    provider = scenario.provider.model_copy(
        update={"drug_workers": scenario.provider.drug_workers * factor}
    )
    sessions = {
        s: _nearest_half(base * factor, base)
        for s, base in scenario.course.sessions_per_week.items()
    }
    course = scenario.course.model_copy(
        update={
            "sessions_per_week": sessions,
            "facilitators": max(1, round(scenario.course.facilitators * factor)),
        }
    )
    needed = sum(sessions_per_fortnight(sessions).values())
    per_session = course.facilitators_per_session
    while timetable_capacity(course) < needed:  # room for every session in the fortnight
        course = course.model_copy(update={"facilitators": course.facilitators + per_session})
    run = scenario.run.model_copy(update={"years": years})
    scaled = scenario.model_copy(
        update={"run": run, "demand": demand, "provider": provider, "course": course}
    )
    return Scenario.model_validate(scaled.model_dump())  # copies skip validation: check


def _force_task(args: tuple[Scenario, int]) -> tuple[float, float]:
    scenario, force = args
    start = time.perf_counter()
    result = run_replication(scenario, scenario.run.seed, force)
    return time.perf_counter() - start, result.kpis["referrals_per_year"]


@dataclass(frozen=True)
class NationalRun:
    """Wall time of the whole run, and per-force figures."""

    wall_seconds: float
    workers: int
    forces: int
    force_seconds: list[float]
    referrals_per_year: float  # all forces, once the scheme runs (the policy years)


def run_national(scenario: Scenario, workers: int = 2, years: float = YEARS) -> NationalRun:
    """Every force once, on ``workers`` processes (pool start-up included in the wall time)."""
    tasks = [(scaled_force(scenario, f, years), i) for i, f in enumerate(size_factors())]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_force_task, tasks))
    wall = time.perf_counter() - start
    return NationalRun(
        wall_seconds=wall,
        workers=workers,
        forces=len(tasks),
        force_seconds=[r[0] for r in results],
        referrals_per_year=math.fsum(r[1] for r in results),
    )


def total_size() -> float:
    """The country's size in default-scenario forces."""
    return math.fsum(size_factors())
