"""Encounters over the horizon and the possession finds they produce, drawn in bulk.

Stop-and-search encounters and other encounters that find drugs arrive as
non-homogeneous Poisson processes whose rate is piecewise constant by hour:
annual rate x (weekday weight x hour-of-day weight, normalised to mean 1) x growth.
Drawing a Poisson count per hour and placing events uniformly within it is exact for
such a rate, and vectorises. Each find is then eligible (possession for personal use)
or excluded (supply, production, other serious offences); each eligible find is a
person with attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simdivert.clock import HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.scenario import DemandSettings, PopulationSettings, Scenario
from simdivert.streams import RandomStreams


@dataclass(frozen=True)
class People:
    """Attributes of the people behind eligible finds, one entry per find.

    Categorical attributes are integer codes into the category tuples of
    :mod:`simdivert.scenario` (``AGE_BANDS``, ``SUBSTANCES``, ...).
    """

    age_band: np.ndarray
    sex: np.ndarray
    ethnic_group: np.ndarray
    substance: np.ndarray
    possible_dependence: np.ndarray
    safeguarding_need: np.ndarray
    significant_safeguarding: np.ndarray
    holistic_needs: np.ndarray  # (n, len(HOLISTIC_NEEDS)) booleans

    @property
    def under_18(self) -> np.ndarray:
        return self.age_band == 0


@dataclass(frozen=True)
class Demand:
    """What the police encounter over the horizon."""

    search_hours: np.ndarray
    other_find_hours: np.ndarray
    find_hours: np.ndarray  # all finds, in time order
    eligible: np.ndarray  # per find: possession for personal use
    people: People  # per eligible find

    @property
    def eligible_hours(self) -> np.ndarray:
        return self.find_hours[self.eligible]


def hourly_profile(demand: DemandSettings) -> np.ndarray:
    """Relative rate for each hour of the week (168 values with mean 1)."""
    weekday = np.asarray(demand.weekday_weights, dtype=float)
    hour = np.asarray(demand.hour_weights, dtype=float)
    profile = (weekday[:, None] * hour[None, :]).ravel()
    return profile / profile.mean()


def poisson_arrivals(
    rng: np.random.Generator, per_year: float, demand: DemandSettings, horizon_hours: float
) -> np.ndarray:
    """Sorted arrival times on [0, horizon) for the profiled, growing rate."""
    n_bins = int(np.ceil(horizon_hours))
    starts = np.arange(n_bins, dtype=float)
    widths = np.minimum(starts + 1.0, horizon_hours) - starts
    profile = hourly_profile(demand)[(starts % HOURS_PER_WEEK).astype(int)]
    growth = (1.0 + demand.annual_growth) ** ((starts + widths / 2) / HOURS_PER_YEAR)
    expected = per_year / HOURS_PER_YEAR * profile * growth * widths
    counts = rng.poisson(expected)
    times = np.repeat(starts, counts) + rng.random(counts.sum()) * np.repeat(widths, counts)
    return np.sort(times)


def _categorical(rng: np.random.Generator, shares: np.ndarray, n: int) -> np.ndarray:
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(n), side="right").astype(np.int8)


def draw_people(streams: RandomStreams, population: PopulationSettings, n: int) -> People:
    """Attributes for n people, each from its own stream."""
    substance = _categorical(
        streams.generator("person.substance"), population.substance.shares(), n
    )
    dependence_p = population.possible_dependence.values()[substance]
    safeguarding = streams.generator("person.safeguarding").random((n, 2))
    safeguarding_need = safeguarding[:, 0] < population.safeguarding_need
    needs_p = population.holistic_needs.values()
    return People(
        age_band=_categorical(streams.generator("person.age"), population.age_band.shares(), n),
        sex=_categorical(streams.generator("person.sex"), population.sex.shares(), n),
        ethnic_group=_categorical(
            streams.generator("person.ethnic_group"), population.ethnic_group.shares(), n
        ),
        substance=substance,
        possible_dependence=streams.generator("person.dependence").random(n) < dependence_p,
        safeguarding_need=safeguarding_need,
        significant_safeguarding=safeguarding_need
        & (safeguarding[:, 1] < population.significant_safeguarding_share),
        holistic_needs=streams.generator("person.needs").random((n, needs_p.size)) < needs_p,
    )


def draw_demand(scenario: Scenario, streams: RandomStreams) -> Demand:
    """Encounters, finds and the people behind eligible finds, over the whole horizon."""
    settings = scenario.demand
    horizon = scenario.horizon_hours
    search_hours = poisson_arrivals(
        streams.generator("demand.searches"), settings.searches_per_year, settings, horizon
    )
    outcome = streams.generator("demand.search_outcome").random((search_hours.size, 2))
    for_drugs = outcome[:, 0] < settings.drug_search_share
    find_rate = np.where(
        for_drugs, settings.find_rate_drug_searches, settings.find_rate_other_searches
    )
    search_finds = search_hours[outcome[:, 1] < find_rate]
    other_find_hours = poisson_arrivals(
        streams.generator("demand.other_finds"), settings.other_finds_per_year, settings, horizon
    )
    find_hours = np.sort(np.concatenate([search_finds, other_find_hours]))
    eligible = (
        streams.generator("demand.eligibility").random(find_hours.size)
        < settings.personal_possession_share
    )
    people = draw_people(streams, scenario.population, int(eligible.sum()))
    return Demand(search_hours, other_find_hours, find_hours, eligible, people)
