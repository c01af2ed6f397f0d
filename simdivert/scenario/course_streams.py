"""Course streams are scenario data: the keys of ``course.sessions_per_week``.

Every under-18 referred goes to the youth stream; an adult goes by main substance, to
the stream ``course.streams`` maps it to, else to the stream of its name, else to
``general``. A force adds a stream by giving it sessions (``ketamine = 1``) and mapping
a substance to it. The built-in names come first, in :data:`BUILTIN_STREAMS` order, then
a scenario's own in file order: a referral's stream code indexes that list, and the
timetable (and so every result) does not depend on the order a file lists them in.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, NonNegativeFloat

from simdivert.scenario.bounds import at_most
from simdivert.scenario.strict import NotBool

if TYPE_CHECKING:
    from simdivert.scenario.schema import Scenario

BUILTIN_STREAMS = ("cannabis", "cocaine", "nitrous_oxide", "general", "under_18")
YOUTH_STREAM = "under_18"  # every under-18 referred goes to it
FALLBACK_STREAM = "general"  # an adult whose substance has no stream of its own


def _not_a_year(name: str) -> str:
    if re.fullmatch(r"y[0-9]+", name):
        raise ValueError(
            f"{name!r} reads as a year of a KPI (y0, y1...): name the stream otherwise"
        )
    return name


# A course stream's name (it ends KPI names: ``group_session_fill_rate_<stream>``, so it
# never reads as a year).
StreamName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$"), AfterValidator(_not_a_year)]
SessionsAWeek = Annotated[NonNegativeFloat, at_most(100, "more than 14 sessions a day; a typo")]


def _whole_fortnights(sessions: dict[str, float]) -> dict[str, float]:
    """Each stream's sessions a whole number a fortnight; the streams in their order
    (:data:`BUILTIN_STREAMS` first, then the others as given)."""
    for stream, value in sessions.items():
        if not math.isclose(2 * value, round(2 * value)):
            raise ValueError(f"{stream}: sessions a week must be a multiple of 0.5 (got {value:g})")
    builtin = {s: sessions[s] for s in BUILTIN_STREAMS if s in sessions}
    return {**builtin, **{s: v for s, v in sessions.items() if s not in builtin}}


# Group sessions a week of each course stream (its keys are the scenario's streams);
# 0.5 means one a fortnight.
SessionsPerStream = Annotated[
    dict[StreamName, Annotated[SessionsAWeek, NotBool]],
    Field(min_length=1, max_length=100),
    AfterValidator(_whole_fortnights),
]


def stream_of(scenario: Scenario, substance: str) -> str:
    """The course stream of an adult's substance: as mapped in ``course.streams``, else
    the stream of its name, else :data:`FALLBACK_STREAM`."""
    if substance in scenario.course.streams:
        return scenario.course.streams[substance]
    return substance if substance in scenario.streams else FALLBACK_STREAM


def check_streams(scenario: Scenario) -> None:
    """Every stream named anywhere is a key of course.sessions_per_week, and so is every
    substance's stream and the youth stream (a ValueError naming the dotted key)."""
    course, streams = scenario.course, scenario.streams
    if YOUTH_STREAM not in streams:
        raise ValueError(
            f"course.sessions_per_week.{YOUTH_STREAM}: missing (every under-18 referred "
            "goes to this stream; give 0 for none)"
        )
    for name in scenario.substances:
        stream = stream_of(scenario, name)
        if stream in streams:
            continue
        if name in course.streams:
            raise ValueError(
                f"course.streams.{name}: {stream!r} is not a stream (a key of "
                "course.sessions_per_week)"
            )
        raise ValueError(
            f"course.sessions_per_week.{stream}: missing (substance {name!r} goes to "
            f"{stream!r} unless course.streams maps it to another stream)"
        )
    named = [(f"course.in_person_streams.{i}", s) for i, s in enumerate(course.in_person_streams)]
    if course.reactive is not None:
        named += [
            (f"course.reactive.streams.{i}", s) for i, s in enumerate(course.reactive.streams)
        ]
    for index, change in enumerate(scenario.staffing):
        named += [
            (f"staffing.{index}.sessions_per_week.{s}", s) for s in change.sessions_per_week or {}
        ]
    for key, name in named:
        if name not in streams:
            raise ValueError(f"{key}: {name!r} is not a stream (a key of course.sessions_per_week)")


def unreachable_streams(scenario: Scenario) -> list[str]:
    """Streams with sessions, at any staffing level, that no substance goes to: their
    sessions run empty. Allowed (a substance may be left out of a scenario, say for a
    test, without rewriting its timetable); front ends warn."""
    reached = {YOUTH_STREAM, *(stream_of(scenario, name) for name in scenario.substances)}
    periods = scenario.staffing_periods()
    return [
        stream
        for stream in scenario.streams
        if stream not in reached
        and any(period.course.sessions_per_week[stream] > 0 for period in periods)
    ]
