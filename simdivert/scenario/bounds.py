"""Upper bounds on the sizes in scenario and sweep files, each with its reason.

A size that drives memory or time (searches a year, years, replications, a backlog,
staff) carries an upper bound (:func:`at_most`), so a typo such as
``searches_per_year = 1e9`` is refused at once, saying the bound and why, instead of
eating the machine. (Finite numbers, no booleans for numbers: :mod:`.strict`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field


@dataclass(frozen=True)
class AtMost:
    """The check of :func:`at_most` (a class, so that tools and tests can list the bounds)."""

    limit: float
    why: str

    def __call__(self, value: Any) -> Any:
        size = len(value) if isinstance(value, list) else value
        if size is not None and size > self.limit:
            limit = self.limit
            bound = f"{int(limit):,}" if float(limit).is_integer() else f"{limit:g}"
            what = f"{bound} entries" if isinstance(value, list) else bound
            raise ValueError(f"must be at most {what} ({self.why})")
        return value


def at_most(limit: float, why: str) -> AfterValidator:
    """An upper bound on a number (or a list's length), with the reason in the message."""
    return AfterValidator(AtMost(limit, why))


# Bounds shared by several files, with their reasons.
MAX_YEARS = 50.0
MAX_REPLICATIONS = 10_000
MAX_PER_YEAR = 10_000_000  # searches or finds a year
MAX_STAFF = 10_000
MAX_PEOPLE = 1_000_000  # people already waiting
MAX_LIST = 1_000  # surges, staffing changes, areas
MAX_SEED = 2**63 - 1

YEARS_WHY = "a run longer than 50 years is a typo, and memory grows with the years"
REPLICATIONS_WHY = "10,000 replications pin any KPI down; more is a typo"
PER_YEAR_WHY = "20 times the stop and searches of England and Wales a year; a typo"
STAFF_WHY = "more than a national workforce; a typo"
PEOPLE_WHY = "each person waiting is simulated; a million is more than any list"
LIST_WHY = "more than any scenario needs; a typo"

Years = Annotated[float, Field(gt=0), at_most(MAX_YEARS, YEARS_WHY)]
Replications = Annotated[int, Field(gt=0), at_most(MAX_REPLICATIONS, REPLICATIONS_WHY)]
PerYear = Annotated[float, Field(ge=0), at_most(MAX_PER_YEAR, PER_YEAR_WHY)]
Staff = Annotated[float, Field(ge=0), at_most(MAX_STAFF, STAFF_WHY)]
StaffCount = Annotated[int, Field(ge=0), at_most(MAX_STAFF, STAFF_WHY)]
People = Annotated[int, Field(ge=0), at_most(MAX_PEOPLE, PEOPLE_WHY)]
Seed = Annotated[int, Field(ge=0), at_most(MAX_SEED, "a seed is a 63-bit number")]
