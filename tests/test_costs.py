"""Costs: price years, part-time and sessional staff, scaled overhead, contract prices,
the per-crime police method and the net public cost against the status quo."""

from __future__ import annotations

import pytest

from simdivert.errors import ScenarioError
from simdivert.model.replication import run_replication
from simdivert.scenario.files import load_scenario
from simdivert.scenario.prices import GDP_DEFLATOR, convert

from conftest import short_scenario

# A small force: a ninth of West Midlands' searches, a part-time drug worker, sessional
# facilitators, a small fixed overhead and a share of the staff cost.
SMALL_FORCE = (
    "demand.searches_per_year=3000",
    "demand.other_finds_per_year=260",
    "provider.drug_workers=0.6",
    "course.facilitators=2",
    "course.sessions_per_week={ cannabis = 1, cocaine = 0.5, nitrous_oxide = 0.5, general = 0.5, "
    "under_18 = 0.5 }",
    'costs.facilitator_pay="sessional"',
    "costs.facilitator_cost_per_hour=30",
    "costs.provider_overhead_per_year=15000",
    "costs.overhead_share_of_staff_cost=0.15",
)
YEAR = ("run.years=1", "run.warmup_days=14", "policy.launch_after_days=0")


def test_amounts_are_converted_to_the_scenario_price_year():
    assert convert(168, "2010/11", "2022/23") == pytest.approx(168 * 100 / 77.5)
    assert convert(5.0, "2019/20", "2019/20") == 5.0
    costs = load_scenario().costs
    assert costs.price_year == "2023/24"
    expected = 36.51 * GDP_DEFLATOR["2023/24"] / GDP_DEFLATOR["2014/15"]
    assert costs.pounds("police_cost_per_hour") == pytest.approx(expected)
    assert costs.pounds("drug_worker_cost_per_fte_year") == 42000  # a bare number: 2023/24
    moved = load_scenario(None, ['costs.price_year="2022/23"']).costs
    assert moved.pounds("police_cost_per_possession_crime") == pytest.approx(1290)


def test_an_unknown_price_year_names_the_key():
    with pytest.raises(ScenarioError) as caught:
        load_scenario(None, ['costs.police_cost_per_hour={ amount = 36.51, price_year = "2014" }'])
    assert caught.value.key == "costs.police_cost_per_hour.price_year"
    assert "price year" in caught.value.problem


def test_the_per_crime_method_needs_its_price():
    with pytest.raises(ScenarioError) as caught:
        load_scenario(
            None,
            [
                'costs.police_cost_method="per_possession_crime"',
                "costs.police_cost_per_possession_crime={}",
            ],
        )
    assert caught.value.key.startswith("costs")


def test_sessional_facilitators_are_paid_for_the_sessions_run():
    scenario = short_scenario(*YEAR, *SMALL_FORCE, "costs.cost_per_group_session=0")
    kpis = run_replication(scenario, 1, 0).kpis
    course = scenario.course
    sessional = (
        kpis["group_sessions_per_year"]
        * course.facilitators_per_session
        * (course.session_hours + course.prep_hours_per_session)
        * 30
    )
    staff = 0.6 * 42000 + sessional
    assert kpis["provider_cost_per_year"] == pytest.approx(staff * 1.15 + 15000)


def test_a_small_force_gets_a_plausible_price_per_referral():
    kpis = run_replication(short_scenario(*YEAR, *SMALL_FORCE), 1, 0).kpis
    assert 300 < kpis["referrals_per_year"] < 900
    # Published contract prices for such schemes are some £100-£300 a referral.
    assert 80 < kpis["cost_per_referral"] < 300
    assert kpis["provider_cost_per_year"] < 150_000


def test_a_contract_price_is_what_the_commissioner_pays():
    prices = ("costs.contract_price_per_referral=150", "costs.contract_price_per_year=20000")
    kpis = run_replication(short_scenario(*YEAR, *prices), 1, 0).kpis
    assert kpis["commissioning_cost_per_year"] == pytest.approx(
        150 * kpis["referrals_per_year"] + 20000
    )
    assert kpis["cost_per_referral"] == pytest.approx(150 + 20000 / kpis["referrals_per_year"])
    assert kpis["provider_cost_per_year"] != kpis["commissioning_cost_per_year"]


def test_net_public_cost_is_commissioning_less_savings():
    kpis = run_replication(short_scenario(*YEAR), 1, 0).kpis
    savings = (
        kpis["police_cost_saved_per_year"]
        + kpis["court_cost_saved_per_year"]
        + kpis["prison_cost_saved_per_year"]
    )
    assert kpis["net_public_cost_per_year"] == pytest.approx(
        kpis["commissioning_cost_per_year"] - savings
    )
    per_crime = run_replication(
        short_scenario(*YEAR, 'costs.police_cost_method="per_possession_crime"'), 1, 0
    ).kpis
    assert per_crime["net_public_cost_per_year"] == pytest.approx(
        kpis["net_public_cost_per_year"]
        + kpis["police_cost_saved_per_year"]
        - kpis["police_cost_saved_per_crime_method_per_year"]
    )


def test_the_status_quo_costs_and_saves_nothing():
    kpis = run_replication(short_scenario(*YEAR, "policy.diversion=false"), 1, 0).kpis
    assert kpis["commissioning_cost_per_year"] == 0
    assert kpis["net_public_cost_per_year"] == 0
