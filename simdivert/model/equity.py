"""Disproportionality at each stage: the relative rate index (RRI) of each ethnic group
against white people, before and after the launch.

At each stage a group's rate is its count at the stage over its count at the stage
before (the population for searches); the RRI is that rate over white people's. An
RRI above 1 means the group is more likely than white people to go on to the stage.

- search: stop and searches per person in the force area's population;
- find: searches that find drugs per search;
- recorded: recorded possession offences per possession find;
- offer: possession finds diverted (offered diversion and accepting it) per recorded
  possession offence;
- formal: formal outcomes (charge, caution, penalty notice, or a later charge) per
  recorded possession offence.

Searches are of the searched person's group (:mod:`simdivert.model.demand`); later stages
of the group of the person found. Stages with a white count of 0 have no RRI (NaN).
"""

from __future__ import annotations

import math

import numpy as np

from simdivert.kpis import RRI_STAGES
from simdivert.model.demand import POSSESSION, Demand
from simdivert.model.police import FindsLog
from simdivert.model.rules import CHARGE, DIVERTED, FORMAL_CODES
from simdivert.scenario.schema import ETHNIC_GROUPS, Scenario

WHITE = ETHNIC_GROUPS.index("white")


def _counts(mask: np.ndarray, group: np.ndarray) -> np.ndarray:
    return np.bincount(group[mask], minlength=len(ETHNIC_GROUPS)).astype(float)


def stage_counts(
    scenario: Scenario, demand: Demand, finds: FindsLog, start: float, end: float
) -> dict[str, np.ndarray]:
    """Counts by ethnic group at each stage over [start, end), with the population first."""
    searched = (demand.search_hours >= start) & (demand.search_hours < end)
    in_window = (finds.hours >= start) & (finds.hours < end)
    possession = in_window & (demand.person_kind[finds.person] == POSSESSION)
    group = demand.people.ethnic_group[finds.person]
    recorded = possession & finds.recorded
    formal = np.isin(finds.outcome, FORMAL_CODES) | (finds.later_outcome == CHARGE)
    return {
        "population": scenario.equity.population.values().astype(float),
        "search": _counts(searched, demand.search_group),
        "find": _counts(searched & demand.search_found, demand.search_group),
        "possession_find": _counts(possession, group),
        "recorded": _counts(recorded, group),
        "offer": _counts(recorded & (finds.outcome == DIVERTED), group),
        "formal": _counts(recorded & formal, group),
    }


# Each stage's denominator.
_BEFORE = {
    "search": "population",
    "find": "search",
    "recorded": "possession_find",
    "offer": "recorded",
    "formal": "recorded",
}


def rri(counts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The RRI of every group at each stage (white's is 1 by definition)."""
    out = {}
    for stage in RRI_STAGES:
        numerator, denominator = counts[stage], counts[_BEFORE[stage]]
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(denominator > 0, numerator / denominator, math.nan)
            out[stage] = rate / rate[WHITE] if rate[WHITE] > 0 else np.full(rate.size, math.nan)
    return out


def equity_kpis(
    scenario: Scenario, demand: Demand, finds: FindsLog, windows: list[tuple[str, float, float]]
) -> dict[str, float]:
    """``rri_<stage>_<group>`` for every group but white, per window suffix."""
    kpis: dict[str, float] = {}
    for suffix, start, end in windows:
        index = rri(stage_counts(scenario, demand, finds, start, end))
        for stage, values in index.items():
            for k, group in enumerate(ETHNIC_GROUPS):
                if k != WHITE:
                    kpis[f"rri_{stage}_{group}{suffix}"] = float(values[k])
    return kpis
