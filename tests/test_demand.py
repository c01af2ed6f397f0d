"""Demand: the Poisson process, its profile, known people and the recording uplift."""

import numpy as np
import pytest

from simdivert.clock import HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.model.demand import draw_demand, hourly_profile, poisson_arrivals
from simdivert.model.random_streams import RandomStreams
from simdivert.model.replication import simulate
from simdivert.model.rules import DIVERTED, NOT_RECORDED

from conftest import short_scenario


def arrivals(per_year, years, seed=1):
    """Arrivals over whole years from time 0, with the default scenario's profiles."""
    scenario = short_scenario(f"run.years={years}", "run.warmup_days=0")
    return poisson_arrivals(RandomStreams(seed, 0), "test", per_year, scenario)


def test_hourly_profile_has_mean_one(scenario):
    profile = hourly_profile(scenario.demand)
    assert profile.shape == (168,)
    assert profile.mean() == pytest.approx(1.0)


def test_arrival_count_matches_the_rate(scenario):
    """Poisson total over a year: mean 100,000, sd 316; allow 5 sd."""
    times = arrivals(100_000, 1)
    assert abs(times.size - 100_000) < 5 * np.sqrt(100_000)
    assert np.all(np.diff(times) >= 0) and times.min() >= 0 and times.max() < HOURS_PER_YEAR


def test_arrivals_follow_the_weekly_profile(scenario):
    times = arrivals(500_000, 1, seed=2)
    counts = np.bincount((times % HOURS_PER_WEEK).astype(int), minlength=168)
    expected = hourly_profile(scenario.demand) * times.size / 168
    # Every hour of the week within 6 sd of its expected count.
    assert np.all(np.abs(counts - expected) < 6 * np.sqrt(expected))


def test_a_longer_horizon_only_adds_arrivals_at_the_end(scenario):
    short = arrivals(20_000, 1)
    longer = arrivals(20_000, 2)
    np.testing.assert_array_equal(longer[: short.size], short)


def test_annual_growth_raises_the_second_year():
    grown = short_scenario("demand.annual_growth=0.5", "run.years=2", "run.warmup_days=0")
    times = poisson_arrivals(RandomStreams(3, 0), "g", 50_000, grown)
    first, second = np.sum(times < HOURS_PER_YEAR), np.sum(times >= HOURS_PER_YEAR)
    assert second / first == pytest.approx(1.5, rel=0.03)


def test_month_weights_and_surges_shape_demand():
    scenario = short_scenario(
        "run.years=1",
        "run.warmup_days=0",
        "run.start_date=2024-01-01",
        "demand.month_weights=[2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
        "demand.surges=[{ start_day = 182, days = 91, multiplier = 1.3 }]",
    )
    times = poisson_arrivals(RandomStreams(4, 0), "s", 100_000, scenario)
    days = times / 24
    january = np.sum(days < 31) / 31
    february = np.sum((days >= 31) & (days < 59)) / 28
    assert january / february == pytest.approx(2.0, rel=0.05)
    surge = np.sum((days >= 182) & (days < 273)) / 91
    before = np.sum((days >= 91) & (days < 182)) / 91
    assert surge / before == pytest.approx(1.3, rel=0.05)


def test_recording_uplift_is_generated_from_informal_finds():
    scenario = short_scenario("run.years=1", "policy.launch_after_days=0")
    finds = simulate(scenario, 11, 0).finds
    uplift = finds.recorded.sum() / finds.recorded_without_policy.sum() - 1
    assert uplift == pytest.approx(0.30, abs=0.03)
    # Finds recorded only because of the policy had no police action without it.
    uplift_cases = finds.recorded & ~finds.recorded_without_policy
    assert uplift_cases.sum() > 0
    assert np.all(finds.counterfactual[uplift_cases] == NOT_RECORDED)


def test_status_quo_refers_nobody_and_records_no_uplift():
    finds = simulate(short_scenario("policy.diversion=false"), 11, 0).finds
    assert not np.any(finds.outcome == DIVERTED)
    np.testing.assert_array_equal(finds.recorded, finds.recorded_without_policy)
    np.testing.assert_array_equal(finds.outcome, finds.counterfactual)


def test_same_first_finds_whatever_the_provider(scenario):
    """Common random numbers: provider settings do not change the demand drawn."""
    other = short_scenario("provider.drug_workers=9", "engagement.patience_days=5")
    a = draw_demand(scenario, RandomStreams(5, 1))
    b = draw_demand(other, RandomStreams(5, 1))
    np.testing.assert_array_equal(a.person_find_hours, b.person_find_hours)
    np.testing.assert_array_equal(a.people.substance, b.people.substance)


def test_repeat_finds_are_stationary_from_the_start():
    """People found before the run are re-found too: no build-up of repeat finds."""
    scenario = short_scenario("policy.diversion=false", "run.years=3", "run.warmup_days=0")
    shares = []
    for replication in range(3):
        finds = simulate(scenario, 3, replication).finds
        year = (finds.hours // HOURS_PER_YEAR).astype(int)
        shares.append([finds.repeat[year == y].mean() for y in range(3)])
    first, last = np.mean(shares, axis=0)[[0, 2]]
    assert first > 0.1
    assert abs(first - last) < 0.02
