"""Encounters over the horizon and the first finds of new people, drawn in bulk.

Stop-and-search encounters and other encounters that find drugs arrive as
non-homogeneous Poisson processes whose rate is piecewise constant by hour:
annual rate x (weekday weight x hour-of-day weight, normalised to mean 1) x month of
year (mean 1) x growth (counted from the end of the warm-up) x any surge. Drawing a
Poisson count per hour and placing events uniformly within it is exact for such a
rate, and vectorises; counts and positions come from separate streams so a longer
horizon only adds draws at the end.

Each find is possession for personal use, a user-dealer (excluded unless the scheme
has a post-arrest route) or another excluded offence (supply, production, possession
with other serious offences). Possession and user-dealer finds here are first finds:
each is a new person, with attributes. Finds of people already known (repeat finds)
arise during the run from each person's re-find hazard (:mod:`simdivert.model.police`).

People found before the run began are not forgotten: the pool still at risk at time 0
(first-find rate / desistance rate people, in steady state) is drawn too, and those
whose next find comes before they desist and before the horizon enter the run then,
as a repeat find. Hazards and desistance are memoryless, so no more of their past is
needed, and repeat finds are stationary from the start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.model.random_streams import RandomStreams
from simdivert.scenario.schema import DemandSettings, PopulationSettings, Scenario

POSSESSION, USER_DEALER, EXCLUDED = 0, 1, 2
FIND_KINDS = ("possession", "user_dealer", "excluded")


@dataclass(frozen=True)
class People:
    """Attributes of the people behind first finds, one entry per person.

    Categorical attributes are integer codes into the category tuples of
    :mod:`simdivert.scenario.schema` (``AGE_BANDS``, ...), the scenario's substances
    (``Scenario.substances``) or its list of areas.
    """

    age_band: np.ndarray
    sex: np.ndarray
    ethnic_group: np.ndarray
    substance: np.ndarray
    area: np.ndarray
    frailty: np.ndarray  # re-find hazard multiplier, mean 1
    desist_hours: np.ndarray  # when the person stops being at risk of being found again
    possible_dependence: np.ndarray
    safeguarding_need: np.ndarray
    significant_safeguarding: np.ndarray
    holistic_needs: np.ndarray  # (n, len(HOLISTIC_NEEDS)) booleans

    @property
    def size(self) -> int:
        return self.substance.size

    @property
    def under_18(self) -> np.ndarray:
        return self.age_band == 0


@dataclass(frozen=True)
class Demand:
    """What the police encounter over the horizon, and the people among it."""

    search_hours: np.ndarray
    search_group: np.ndarray  # ethnic group code of the person searched
    search_found: np.ndarray  # the search found drugs
    other_find_hours: np.ndarray
    find_hours: np.ndarray  # every find of a new person, in time order
    find_kind: np.ndarray  # POSSESSION, USER_DEALER or EXCLUDED
    person_find_hours: np.ndarray  # each person's first find in the run, in time order
    person_kind: np.ndarray  # POSSESSION or USER_DEALER
    known_before: np.ndarray  # found before the run began: the first find is a repeat
    people: People  # one per person, in the order of person_find_hours


def hourly_profile(demand: DemandSettings) -> np.ndarray:
    """Relative rate for each hour of the week (168 values with mean 1)."""
    weekday = np.asarray(demand.weekday_weights, dtype=float)
    hour = np.asarray(demand.hour_weights, dtype=float)
    profile = (weekday[:, None] * hour[None, :]).ravel()
    return profile / profile.mean()


def relative_rate(scenario: Scenario, hours: np.ndarray) -> np.ndarray:
    """The demand rate at each time relative to the annual average of the measured window's
    first year: hour-of-week profile x month of year x growth x surges."""
    demand = scenario.demand
    profile = hourly_profile(demand)[(hours % HOURS_PER_WEEK).astype(int)]
    months = np.asarray(demand.month_weights, dtype=float)
    months = months / months.mean()
    dates = np.datetime64(scenario.run.start_date, "h") + hours.astype("timedelta64[h]")
    month = dates.astype("datetime64[M]").astype(np.int64) % 12
    years_on = (hours - scenario.warmup_hours) / HOURS_PER_YEAR
    rate = profile * months[month] * (1.0 + demand.annual_growth) ** years_on
    for surge in demand.surges:
        start = scenario.warmup_hours + surge.start_day * HOURS_PER_DAY
        within = (hours >= start) & (hours < start + surge.days * HOURS_PER_DAY)
        rate = np.where(within, rate * surge.multiplier, rate)
    return rate


def poisson_arrivals(
    streams: RandomStreams, name: str, per_year: float, scenario: Scenario
) -> np.ndarray:
    """Sorted arrival times on [0, horizon) at ``per_year`` times the relative rate."""
    horizon_hours = scenario.horizon_hours
    n_bins = int(np.ceil(horizon_hours))
    starts = np.arange(n_bins, dtype=float)
    widths = np.minimum(starts + 1.0, horizon_hours) - starts
    expected = per_year / HOURS_PER_YEAR * relative_rate(scenario, starts + widths / 2) * widths
    counts = streams.generator(f"{name}.counts").poisson(expected)
    offsets = streams.generator(f"{name}.positions").random(counts.sum())
    times = np.repeat(starts, counts) + offsets * np.repeat(widths, counts)
    return np.sort(times, kind="stable")  # sorted hour by hour already: merges runs


def categorical(rng: np.random.Generator, shares: np.ndarray, n: int) -> np.ndarray:
    """n draws of category codes with the given shares."""
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(n), side="right").astype(np.int8)


def draw_people(
    scenario: Scenario, streams: RandomStreams, first_find_hours: np.ndarray, prefix: str = "person"
) -> People:
    """Attributes for the people first found at the given times, each from its own stream."""
    n = first_find_hours.size

    def stream(name: str) -> np.random.Generator:
        return streams.generator(f"{prefix}.{name}")

    population: PopulationSettings = scenario.population
    substance = categorical(stream("substance"), scenario.substance_shares(population.substance), n)
    dependence_p = scenario.possible_dependence_shares()[substance]
    safeguarding = stream("safeguarding").random((n, 2))
    safeguarding_need = safeguarding[:, 0] < population.safeguarding_need
    needs_p = population.holistic_needs.values()
    refind = scenario.refind
    area_shares = np.array([area.demand_share for area in scenario.areas])
    at_risk_hours = stream("desistance").exponential(HOURS_PER_YEAR / refind.desistance_per_year, n)
    return People(
        age_band=categorical(stream("age"), population.age_band.shares(), n),
        sex=categorical(stream("sex"), population.sex.shares(), n),
        ethnic_group=categorical(stream("ethnic_group"), population.ethnic_group.shares(), n),
        substance=substance,
        area=categorical(stream("area"), area_shares, n),
        frailty=draw_frailty(stream("frailty"), refind.frailty_shape, n),
        desist_hours=first_find_hours + at_risk_hours,
        possible_dependence=stream("dependence").random(n) < dependence_p,
        safeguarding_need=safeguarding_need,
        significant_safeguarding=safeguarding_need
        & (safeguarding[:, 1] < population.significant_safeguarding_share),
        holistic_needs=stream("needs").random((n, needs_p.size)) < needs_p,
    )


def redraw_user_dealers(
    scenario: Scenario, streams: RandomStreams, people: People, user_dealer: np.ndarray
) -> None:
    """Give user-dealers their own population's substance and dependence, where the
    scenario has one, from streams of their own (everyone else's draws do not move)."""
    population = scenario.population.user_dealers
    if population is None:
        return
    n = int(user_dealer.sum())
    people.substance[user_dealer] = categorical(
        streams.generator("person.user_dealer_substance"),
        scenario.substance_shares(population.substance),
        n,
    )
    people.possible_dependence[user_dealer] = (
        streams.generator("person.user_dealer_dependence").random(n)
        < population.possible_dependence
    )


def draw_frailty(rng: np.random.Generator, shape: float, n: int) -> np.ndarray:
    """Gamma frailty with mean 1: a small shape concentrates re-finds on a few people."""
    return rng.gamma(shape, 1.0 / shape, n)


def new_person_finds_per_year(settings: DemandSettings) -> float:
    """The expected yearly first finds of people (possession or user-dealer), no growth."""
    search_find_rate = (
        settings.drug_search_share * settings.find_rate_drug_searches
        + (1 - settings.drug_search_share) * settings.find_rate_other_searches
    )
    finds = settings.searches_per_year * search_find_rate + settings.other_finds_per_year
    person_share = (
        settings.personal_possession_share
        + (1 - settings.personal_possession_share) * settings.user_dealer_share_of_excluded
    )
    return finds * person_share


def draw_known_people(
    scenario: Scenario, streams: RandomStreams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First in-run finds of people found before the run began, their kinds and frailties.

    The frailty is the one that brought them back: those found again are the frailer.

    The pool at risk at time 0 holds Poisson(first-find rate / desistance rate) people;
    each is found again at rate ``rate x frailty x after_recorded_outcome`` (most outcomes
    before the policy are recorded ones) unless they desist first.
    """
    settings, refind = scenario.demand, scenario.refind
    rng = streams.generator("demand.known_people")
    pool = rng.poisson(new_person_finds_per_year(settings) / refind.desistance_per_year)
    frailty = draw_frailty(rng, refind.frailty_shape, pool)
    hazard_per_hour = (
        refind.rate_per_year * refind.after_recorded_outcome * frailty / HOURS_PER_YEAR
    )
    with np.errstate(divide="ignore"):
        refound = rng.exponential(1.0, pool) / hazard_per_hour
    desists = rng.exponential(HOURS_PER_YEAR / refind.desistance_per_year, pool)
    person_share = (
        settings.personal_possession_share
        + (1 - settings.personal_possession_share) * settings.user_dealer_share_of_excluded
    )
    user_dealer = rng.random(pool) >= settings.personal_possession_share / person_share
    enters = (refound < desists) & (refound < scenario.horizon_hours)
    kind = np.where(user_dealer, USER_DEALER, POSSESSION)[enters]
    return refound[enters], kind.astype(np.int8), frailty[enters]


def draw_demand(scenario: Scenario, streams: RandomStreams) -> Demand:
    """Encounters, first finds and the people behind them, over the whole horizon."""
    settings = scenario.demand
    search_hours = poisson_arrivals(
        streams, "demand.searches", settings.searches_per_year, scenario
    )
    outcome = streams.generator("demand.search_outcome").random((search_hours.size, 2))
    equity = scenario.equity
    search_group = categorical(
        streams.generator("demand.search_group"), equity.search_shares(), search_hours.size
    )
    for_drugs = outcome[:, 0] < settings.drug_search_share
    find_rate = np.where(
        for_drugs,
        settings.find_rate_drug_searches * equity.find_rate_factors()[search_group],
        settings.find_rate_other_searches,
    )
    search_found = outcome[:, 1] < find_rate
    search_finds = search_hours[search_found]
    other_find_hours = poisson_arrivals(
        streams, "demand.other_finds", settings.other_finds_per_year, scenario
    )
    # Each find's ethnic group: the searched person's, unknown (-1) for other encounters.
    find_order = np.argsort(np.concatenate([search_finds, other_find_hours]), kind="stable")
    find_hours = np.concatenate([search_finds, other_find_hours])[find_order]
    find_group = np.concatenate(
        [search_group[search_found], np.full(other_find_hours.size, -1, np.int8)]
    )[find_order]
    kind_u = streams.generator("demand.find_kind").random((find_hours.size, 2))
    possession = kind_u[:, 0] < settings.personal_possession_share
    user_dealer = ~possession & (kind_u[:, 1] < settings.user_dealer_share_of_excluded)
    find_kind = np.where(possession, POSSESSION, np.where(user_dealer, USER_DEALER, EXCLUDED))
    known_hours, known_kind, known_frailty = draw_known_people(scenario, streams)
    new = find_kind != EXCLUDED
    person_hours = np.concatenate([find_hours[new], known_hours])
    order = np.argsort(person_hours, kind="stable")
    person_hours = person_hours[order]
    known_before = np.concatenate([np.zeros(new.sum(), bool), np.ones(known_hours.size, bool)])[
        order
    ]
    people = draw_people(scenario, streams, person_hours)
    people.frailty[known_before] = known_frailty[order[known_before] - new.sum()]
    # People found in a search are of the searched person's group; the others keep the
    # group drawn from the population mix.
    group = np.concatenate([find_group[new], np.full(known_hours.size, -1, np.int8)])[order]
    searched = group >= 0
    people.ethnic_group[searched] = group[searched]
    person_kind = np.concatenate([find_kind[new], known_kind])[order].astype(np.int8)
    redraw_user_dealers(scenario, streams, people, person_kind == USER_DEALER)
    return Demand(
        search_hours=search_hours,
        search_group=search_group,
        search_found=search_found,
        other_find_hours=other_find_hours,
        find_hours=find_hours,
        find_kind=find_kind.astype(np.int8),
        person_find_hours=person_hours,
        person_kind=person_kind,
        known_before=known_before,
        people=people,
    )
