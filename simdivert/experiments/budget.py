"""What a run will cost, estimated before it starts, and a refusal if the machine cannot
pay: the one place that sizes work before any replication runs.

A replication's memory and time grow with the finds it simulates: the scenario's new
finds a year over the horizon (with growth and surges), the people found again, the
people at risk at the start and any backlog. The constants are measured on West
Midlands at ten times its demand (``docs/PERFORMANCE.md``): over one year 315,000
finds by this count, 0.51 CPU seconds and 272 MB maximum resident (138 MB of it the
process); over five years, with the provider's queues growing, 768,000 finds, 9.4 CPU
seconds and 884 MB (``benchmarks/bench_budget.py``). The constants cover the worse of
the two with room to spare. A run whose estimate exceeds the memory this machine has
free, or that would take more than a day, is refused unless forced; the schema's
bounds stop sizes that are typos long before.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simdivert.clock import HOURS_PER_YEAR
from simdivert.errors import UserError
from simdivert.model.demand import new_person_finds_per_year
from simdivert.scenario.schema import Scenario

BYTES_PER_FIND = 1_500  # peak memory of a replication per find (measured 0.5 to 1 kB)
EVENT_BYTES_PER_FIND = 400  # a find's rows in a kept event log, in the parent process
WORKER_BASE_BYTES = 150_000_000  # a worker process with numpy, pandas and SimPy loaded
CPU_SECONDS_PER_FIND = 20e-6  # measured 1.7 (one year) to 12 (five years) microseconds
MAX_WALL_HOURS = 24.0
EXP_OVERFLOW = 700.0  # math.exp overflows a float just above 709


@dataclass(frozen=True)
class Estimate:
    """The cost of a batch of replications on ``workers`` processes (None: a cluster's)."""

    replications: int
    finds: float  # in all replications together
    peak_bytes: float  # on this machine
    wall_hours: float | None  # None: the cluster's workers are not known here

    def describe(self) -> str:
        time = "" if self.wall_hours is None else f", about {_hours(self.wall_hours)}"
        return (
            f"{self.replications:,} replications of about "
            f"{_count(self.finds / self.replications)} finds each: about "
            f"{_count(self.peak_bytes / 1e9, 1)} GB of memory{time}"
        )


def _count(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}" if value < 1e12 else f"{value:.2g}"


def _hours(hours: float) -> str:
    return f"{hours * 60:.0f} minutes" if hours < 1 else f"{_count(hours, 1)} hours"


def finds_per_replication(scenario: Scenario) -> float:
    """The finds (and people) one replication simulates, erring high."""
    demand, refind = scenario.demand, scenario.refind
    years = scenario.horizon_hours / HOURS_PER_YEAR
    growth = math.log1p(demand.annual_growth)
    if growth * years > EXP_OVERFLOW:  # demand beyond counting by the end of the run
        return math.inf
    mean_growth = 1.0 if growth == 0 else math.expm1(growth * years) / (growth * years)
    surge = max([1.0, *(s.multiplier for s in demand.surges)])
    new_finds = new_person_finds_per_year(demand) * years * mean_growth * surge
    multiplier = max(
        refind.after_no_police_action,
        refind.after_recorded_outcome,
        refind.during_diversion,
        refind.after_completion,
        refind.after_disengagement,
    )
    found_again = refind.rate_per_year * multiplier * min(1 / refind.desistance_per_year, years)
    at_risk = new_person_finds_per_year(demand) / refind.desistance_per_year
    searches = (demand.searches_per_year + demand.other_finds_per_year) * years * mean_growth
    waiting = len(scenario.backlog.waiting())
    # Every search is drawn, though few find drugs: one costs about a tenth of a find.
    return new_finds * (1 + found_again) + at_risk + searches * surge * 0.1 + waiting


def available_memory_bytes() -> float:
    """Memory this machine can give without swapping (MemAvailable), else free pages."""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def estimate(
    batch: Sequence[tuple[Scenario, int]], workers: int | None, keep_events: bool = False
) -> Estimate:
    """The cost of running each (scenario, replications) of ``batch``."""
    replications = sum(n for _, n in batch)
    per_find = [(finds_per_replication(s), n) for s, n in batch]
    finds = sum(f * n for f, n in per_find)
    largest = max((f for f, _ in per_find), default=0.0)
    in_parallel = 1 if workers is None else max(1, min(workers, replications))
    peak = float(WORKER_BASE_BYTES)  # this process
    if workers is not None:
        peak += in_parallel * (largest * BYTES_PER_FIND + (WORKER_BASE_BYTES if workers > 1 else 0))
    if keep_events:
        peak += finds * EVENT_BYTES_PER_FIND
    wall = None if workers is None else finds * CPU_SECONDS_PER_FIND / in_parallel / 3600
    return Estimate(replications, finds, peak, wall)


def check_budget(
    batch: Sequence[tuple[Scenario, int]],
    workers: int | None,
    keep_events: bool = False,
    force: bool = False,
) -> Estimate:
    """The estimate; a UserError before anything runs if the machine cannot pay for it
    (unless ``force``)."""
    cost = estimate(batch, workers, keep_events)
    if force:
        return cost
    free = available_memory_bytes()
    if cost.peak_bytes > free:
        raise UserError(
            f"too big for this machine: {cost.describe()}, and {free / 1e9:.1f} GB are free; "
            "use fewer replications or workers, a shorter run, or force it"
        )
    if cost.wall_hours is not None and cost.wall_hours > MAX_WALL_HOURS:
        raise UserError(
            f"too long for one go: {cost.describe()} (more than a day); use fewer "
            "replications, a shorter run, more workers, or force it"
        )
    return cost
