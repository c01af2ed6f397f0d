"""The scenario's values the page lets people change, read from the scenario and its schema.

Every scalar value of a scenario (a number, a yes/no, a choice, a date) is a lever: the
page walks the resolved scenario and asks the pydantic schema for each value's bounds
and choices, so a parameter added to the schema appears on the page with no change
here. The main levers (:func:`main_levers`: :data:`MAIN_LEVERS` and each of the
scenario's course streams) carry words, units and help for commissioners; the rest are
shown under their dotted key. Lists (areas, surges, profiles) are not scalars: the page
edits the areas' go-live dates and the surges, and the rest of a list is changed in a
TOML file and uploaded.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from simdivert.scenario.schema import Scenario


@dataclass(frozen=True)
class Lever:
    """One value of a scenario that the page can change."""

    key: str  # the dotted key, as ``--set`` takes it
    value: Any  # its value in the scenario as loaded
    label: str
    help: str = ""
    low: float | None = None  # inclusive bounds from the schema, where it gives them
    high: float | None = None
    choices: tuple[str, ...] = ()  # a Literal's values
    step: float | None = None  # the widget's step, where the main levers give one

    @property
    def kind(self) -> str:
        """``bool``, ``choice``, ``int``, ``float``, ``date`` or ``text``."""
        if isinstance(self.value, bool):
            return "bool"
        if self.choices:
            return "choice"
        if isinstance(self.value, int):
            return "int"
        if isinstance(self.value, float):
            return "float"
        if isinstance(self.value, date):
            return "date"
        return "text"


@dataclass(frozen=True)
class Words:
    """How the page names a main lever: its label (with the unit) and help text."""

    label: str
    help: str
    step: float | None = None


SHARE = "a share from 0 to 1"

# The main levers (issue 16): rollout, offer and adoption, eligibility, drug workers,
# facilitators, sessions a week by stream, demand growth and surges. Rollout by area
# and the surges are lists, edited by the page itself (see the module docstring).
MAIN_LEVERS: dict[str, dict[str, Words]] = {
    "Horizon": {
        "run.years": Words(
            "Years measured (after the warm-up)",
            "How long the forecast runs, in years, after the warm-up that fills the pathway.",
        ),
        "run.warmup_days": Words(
            "Warm-up (days)",
            "Simulated before measuring starts, so people's histories have begun; not counted.",
        ),
        "run.start_date": Words(
            "Start date (a Monday)", "The first day simulated: the warm-up starts then."
        ),
    },
    "Rollout": {
        "policy.diversion": Words(
            "Diversion scheme in force",
            "Off: the status quo, formal and informal outcomes only.",
        ),
        "policy.launch_after_days": Words(
            "Launch (measured days before the scheme starts)",
            "Days measured without the scheme first (365: a year before the launch, to "
            "compare with); each area then goes live after its own delay, below.",
        ),
    },
    "Offer and adoption": {
        "policy.adoption.start_share": Words(
            "Officers' adoption at go-live (share of eligible finds offered)",
            f"The share of eligible finds officers offer diversion to when an area goes live "
            f"({SHARE}), for a reference find (the odds ratios below change it by find).",
        ),
        "policy.adoption.mature_share": Words(
            "Officers' adoption once embedded (share offered)",
            f"The share offered once the scheme is embedded ({SHARE}); adoption rises from "
            "the start share to it along a logistic curve.",
        ),
        "policy.adoption.half_way_days": Words(
            "Adoption half way after (days from go-live)",
            "When adoption is half way from its start share to its mature share.",
        ),
        "policy.adoption.spread_days": Words(
            "Adoption spread (days)",
            "How gradual the rise is: about four spreads from 12% to 88% of the way.",
        ),
        "policy.accept_share": Words(
            "Acceptance at the scene (share of offers)",
            f"The person agrees to be referred ({SHARE}).",
        ),
        "policy.informal_finds_recorded_share": Words(
            "Recording uplift taken up (share of informal finds now recorded)",
            "Of the finds that got only an informal word before the policy, the share now "
            f"recorded and so eligible ({SHARE}); 1 gives the full published uplift.",
        ),
    },
    "Eligibility": {
        "policy.adults_only": Words("Adults only", "Under-18s are never offered diversion."),
        "policy.first_time_only": Words(
            "First-time finds only",
            "Only people with no previous find are offered diversion.",
        ),
        "policy.once_only": Words(
            "Offered once per person only",
            "A second find is dealt with formally (Avon and Somerset's rule).",
        ),
        "policy.bar_after_disengagement_days": Words(
            "Bar on a new offer after not engaging (days)",
            "Someone who does not engage is not offered diversion again for this long.",
        ),
        "policy.non_engagement_outcome": Words(
            "Outcome for not engaging",
            "'none': no penalty; 'charge': prosecuted (by postal requisition).",
        ),
        "policy.contract_days": Words(
            "Deferred-prosecution contract (days)",
            "0: none; Durham's Checkpoint contract is four months (about 120 days).",
        ),
        "demand.personal_possession_share": Words(
            "Finds that are personal possession (eligible share)",
            f"The rest (supply, possession with other serious offences) is never eligible "
            f"({SHARE}).",
        ),
    },
    "Provider capacity": {
        "provider.drug_workers": Words(
            "Drug workers in post (FTE)",
            "Full-time equivalents making assessment calls and one-to-one sessions.",
            0.5,
        ),
        "course.facilitators": Words(
            "Group facilitators (people)",
            "Facilitators running the group course; each session needs "
            "course.facilitators_per_session of them.",
        ),
        # then the sessions a week of each of the scenario's streams: main_levers()
    },
    "Demand": {
        "demand.annual_growth": Words(
            "Demand growth (share a year)",
            "Finds grow by this share each year (0.1 is 10% a year; negative: falling).",
        ),
        "demand.searches_per_year": Words(
            "Stop and searches a year",
            "The force's stop and searches a year before growth (all grounds).",
        ),
    },
}
STREAMS_GROUP = "Provider capacity"  # where each course stream's sessions a week go


def main_levers(scenario: Scenario) -> dict[str, dict[str, Words]]:
    """The main levers of a scenario: :data:`MAIN_LEVERS`, with the sessions a week of
    each of its course streams (the keys of ``course.sessions_per_week``, its own
    streams included) under provider capacity."""
    streams = {
        f"course.sessions_per_week.{stream}": Words(
            f"Group sessions a week: {stream.replace('_', ' ')}",
            "Sessions a week of this stream; 0.5 is one a fortnight.",
            0.5,
        )
        for stream in scenario.streams
    }
    return {
        group: {**words, **streams} if group == STREAMS_GROUP else words
        for group, words in MAIN_LEVERS.items()
    }


def main_keys(scenario: Scenario) -> frozenset[str]:
    """The dotted keys of the scenario's main levers."""
    return frozenset(key for group in main_levers(scenario).values() for key in group)


# Set by the page itself, outside the generic levers: the seed and replications (run
# options) and the scenario's name and description.
PAGE_KEYS = frozenset(
    {
        "name",
        "description",
        "run.replications",
        "run.seed",
    }
)


def _unwrap(annotation: Any) -> Any:
    """The model class or type inside ``X | None`` and ``Annotated[X, ...]``."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(options[0]) if len(options) == 1 else annotation
    return annotation


def _field(model: type[BaseModel], parts: list[str]) -> Any:
    """The pydantic field of a dotted key (None where the schema does not say)."""
    info = None
    for depth, part in enumerate(parts):
        info = model.model_fields.get(part)
        if info is None:
            return None
        inner = _unwrap(info.annotation)
        if typing.get_origin(inner) is dict and depth == len(parts) - 2:
            return FieldInfo.from_annotation(typing.get_args(inner)[1])  # a mapping's value
        if depth < len(parts) - 1:
            if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
                return None
            model = inner
    return info


def _bounds(info: Any, integer: bool) -> tuple[float | None, float | None]:
    """Inclusive bounds (a whole number above a strict bound for an integer)."""
    low = high = None
    for item in info.metadata if info is not None else ():
        if isinstance(item, Ge):
            low = _number(item.ge)
        elif isinstance(item, Gt):
            low = _number(item.gt) + (1 if integer else 0)
        if isinstance(item, Le):
            high = _number(item.le)
        elif isinstance(item, Lt):
            high = _number(item.lt) - (1 if integer else 0)
    return low, high


def _number(bound: Any) -> float:
    return float(bound)


def _choices(info: Any) -> tuple[str, ...]:
    annotation = _unwrap(info.annotation) if info is not None else None
    if typing.get_origin(annotation) is Literal:
        return tuple(str(a) for a in typing.get_args(annotation))
    return ()


def _leaves(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _leaves(value, f"{dotted}.")
        elif isinstance(value, bool | int | float | str | date) and value is not None:
            yield dotted, value


def _label(key: str) -> str:
    return key.rsplit(".", 1)[-1].replace("_", " ")


def scenario_levers(scenario: Scenario) -> list[Lever]:
    """Every scalar value of the scenario as a lever, in the schema's order."""
    levers = []
    words = {key: w for group in main_levers(scenario).values() for key, w in group.items()}
    for key, value in _leaves(scenario.model_dump()):
        info = _field(Scenario, key.split("."))
        if isinstance(value, float) and not math.isfinite(value):
            continue
        integer = isinstance(value, int) and not isinstance(value, bool)
        low, high = _bounds(info, integer)
        word = words.get(key)
        levers.append(
            Lever(
                key,
                value,
                word.label if word else _label(key),
                word.help if word else key,
                low,
                high,
                _choices(info),
                word.step if word else None,
            )
        )
    return levers


def section(key: str) -> str:
    """The scenario table a key belongs to (``provider``), for grouping the other levers."""
    return key.split(".", 1)[0] if "." in key else "scenario"


def changed(lever: Lever, value: Any) -> bool:
    """Whether a widget's value differs from the scenario's (floats within rounding)."""
    if lever.kind == "float":
        return not math.isclose(float(value), lever.value, rel_tol=1e-12, abs_tol=1e-12)
    return bool(value != lever.value)
