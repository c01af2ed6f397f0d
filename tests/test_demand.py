"""Demand: the Poisson process, its profile and the recording uplift."""

import numpy as np
import pytest
from conftest import short_scenario

from simdivert.clock import HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.demand import draw_demand, hourly_profile, poisson_arrivals
from simdivert.policy import decide_at_scene
from simdivert.streams import RandomStreams


def test_hourly_profile_has_mean_one(scenario):
    profile = hourly_profile(scenario.demand)
    assert profile.shape == (168,)
    assert profile.mean() == pytest.approx(1.0)


def test_arrival_count_matches_the_rate(scenario):
    """Poisson total over a year: mean 100,000, sd 316; allow 5 sd."""
    times = poisson_arrivals(np.random.default_rng(1), 100_000, scenario.demand, HOURS_PER_YEAR)
    assert abs(times.size - 100_000) < 5 * np.sqrt(100_000)
    assert np.all(np.diff(times) >= 0) and times.min() >= 0 and times.max() < HOURS_PER_YEAR


def test_arrivals_follow_the_weekly_profile(scenario):
    times = poisson_arrivals(np.random.default_rng(2), 500_000, scenario.demand, HOURS_PER_YEAR)
    counts = np.bincount((times % HOURS_PER_WEEK).astype(int), minlength=168)
    expected = hourly_profile(scenario.demand) * times.size / 168
    # Every hour of the week within 6 sd of its expected count.
    assert np.all(np.abs(counts - expected) < 6 * np.sqrt(expected))


def test_annual_growth_raises_the_second_year():
    grown = short_scenario("demand.annual_growth=0.5").demand
    times = poisson_arrivals(np.random.default_rng(3), 50_000, grown, 2 * HOURS_PER_YEAR)
    first, second = np.sum(times < HOURS_PER_YEAR), np.sum(times >= HOURS_PER_YEAR)
    assert second / first == pytest.approx(1.5, rel=0.03)


def test_recording_uplift_is_generated_from_informal_finds():
    scenario = short_scenario("run.years=1", "demand.informal_share_without_policy=0.2308")
    streams = RandomStreams(11, 0)
    demand = draw_demand(scenario, streams)
    scene = decide_at_scene(scenario, demand, streams)
    uplift = scene.recorded.sum() / scene.recorded_without_policy.sum() - 1
    assert uplift == pytest.approx(0.30, abs=0.03)
    assert np.all(scene.referred <= scene.recorded)
    # Uplift cases had no recorded outcome without the policy.
    assert np.all(scene.counterfactual_outcome[scene.uplift_case] == -1)


def test_status_quo_refers_nobody_and_records_no_uplift():
    scenario = short_scenario("policy.diversion=false")
    streams = RandomStreams(11, 0)
    demand = draw_demand(scenario, streams)
    scene = decide_at_scene(scenario, demand, streams)
    assert not scene.referred.any()
    np.testing.assert_array_equal(scene.recorded, scene.recorded_without_policy)


def test_same_finds_whatever_the_provider(scenario):
    """Common random numbers: provider settings do not change the demand drawn."""
    other = short_scenario("provider.drug_workers=9", "engagement.patience_days=5")
    a = draw_demand(scenario, RandomStreams(5, 1))
    b = draw_demand(other, RandomStreams(5, 1))
    np.testing.assert_array_equal(a.find_hours, b.find_hours)
    np.testing.assert_array_equal(a.people.substance, b.people.substance)
