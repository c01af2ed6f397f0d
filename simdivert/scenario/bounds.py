"""What a number in a scenario or sweep file may be: finite, not a boolean, and of a sane size.

Every model of a file inherits :class:`StrictModel`, so a new field picks these rules up
without saying so: ``inf`` and ``nan`` are refused wherever a number is read (a key that
means "no limit" says so with :data:`NoLimit`), and ``true`` is never taken for 1 where a
number is meant. A size that drives memory or time (searches a year, years, replications,
a backlog) carries an upper bound with its reason (:func:`at_most`), so a typo such as
``searches_per_year = 1e9`` is refused at once instead of eating the machine.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


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


def _not_nan(value: float) -> float:
    if math.isnan(value):
        raise ValueError("must be a number, not nan")
    return value


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
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
# A value that may be infinite on purpose ("no limit", e.g. patience that never runs out).
NoLimit = Annotated[float, Field(allow_inf_nan=True), AfterValidator(_not_nan)]


def _may_be_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    return any(_may_be_bool(arg) for arg in typing.get_args(annotation))


class _TrueOrFalse:
    """Stands in for a boolean where a number is meant, so that validation fails at that
    key, showing what was written (pydantic would take ``true`` for 1)."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


def _no_bools(value: Any) -> Any:
    if isinstance(value, bool):
        return _TrueOrFalse(value)
    if isinstance(value, list):
        return [_TrueOrFalse(v) if isinstance(v, bool) else v for v in value]
    return value


class StrictModel(BaseModel):
    """Frozen; unknown keys, ``inf``/``nan`` and booleans for numbers are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {
            key: value
            if key not in fields or _may_be_bool(fields[key].annotation)
            else _no_bools(value)
            for key, value in data.items()
        }
