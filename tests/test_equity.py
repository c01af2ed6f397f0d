"""Equity: searches and finds by ethnic group, people's group from their find, and the
relative rate index at each stage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simdivert.model.demand import draw_demand
from simdivert.model.equity import rri, stage_counts
from simdivert.model.random_streams import RandomStreams
from simdivert.model.replication import run_replication, simulate
from simdivert.scenario.schema import ETHNIC_GROUPS

from conftest import short_scenario

BLACK = ETHNIC_GROUPS.index("black")


def test_the_find_rate_factors_keep_the_average_find_rate():
    equity = short_scenario().equity
    assert float(equity.search_shares() @ equity.find_rate_factors()) == pytest.approx(1.0)
    factors = equity.find_rate_factors()
    assert factors[BLACK] / factors[0] == pytest.approx(0.79)


def test_search_and_find_rates_by_group_echo_the_inputs():
    scenario = short_scenario("run.years=2")
    logs = simulate(scenario, 3, 0)
    index = rri(stage_counts(scenario, logs.demand, logs.finds, 0.0, scenario.horizon_hours))
    assert index["search"][BLACK] == pytest.approx(4.8, rel=0.04)
    assert index["find"][BLACK] == pytest.approx(0.79, rel=0.06)
    assert index["search"][0] == 1.0


def test_people_found_in_a_search_are_of_the_searched_group():
    scenario = short_scenario()
    demand = draw_demand(scenario, RandomStreams(1, 0))
    found = demand.search_hours[demand.search_found]
    groups = demand.search_group[demand.search_found]
    first = ~demand.known_before
    at = np.searchsorted(found, demand.person_find_hours[first])
    from_search = (at < found.size) & (
        found[np.minimum(at, found.size - 1)] == demand.person_find_hours[first]
    )
    people_groups = demand.people.ethnic_group[first][from_search]
    assert np.mean(people_groups == groups[at[from_search]]) > 0.99  # ties at equal times aside


def test_the_search_group_has_its_own_stream():
    a = draw_demand(short_scenario(), RandomStreams(1, 0))
    b = draw_demand(short_scenario("equity.find_rate_ratio.black=0.5"), RandomStreams(1, 0))
    assert np.array_equal(a.search_group, b.search_group)
    assert np.array_equal(a.search_hours, b.search_hours)
    assert a.search_found.sum() != b.search_found.sum()


def test_without_the_scheme_there_is_no_offer_to_compare():
    kpis = run_replication(short_scenario("policy.diversion=false"), 1, 0).kpis
    assert math.isnan(kpis["rri_offer_black"])
    assert kpis["rri_formal_black"] > 1  # the formal-outcome odds ratio of Black people
