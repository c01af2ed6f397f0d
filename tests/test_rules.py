"""The scheme rules asked directly: each built-in scheme's published rules, find by find.

Every find here is recorded, offered and accepted at the scene (its uniforms say so), so
what the rules decide shows only the person, the time and the person's history.
"""

from __future__ import annotations

import numpy as np
import pytest

from simdivert.clock import HOURS_PER_DAY
from simdivert.model.demand import People
from simdivert.model.provider import COMPLETED, LEFT_AT_COURSE, NOT_CONTACTED
from simdivert.model.replication import run_replication
from simdivert.model.rules import (
    CHARGE,
    DECISION_FIELDS,
    DIVERTED,
    NO_LATER_OUTCOME,
    NOT_RECORDED,
    SCENE_COLUMNS,
    SchemeRules,
)
from simdivert.scenario.files import load_scenario
from simdivert.scenario.policy_settings import OfferOddsRatio
from simdivert.scenario.schema import AGE_BANDS, HOLISTIC_NEEDS, OUTCOMES, Scenario

ADULT = AGE_BANDS.index("age_25_to_34")
UNDER_18 = AGE_BANDS.index("under_18")
FINDS = 10  # find numbers the tests use
# Uniforms of a find that is not an informal word, recorded, offered and accepted.
OFFERED_AND_ACCEPTED = {
    "scene.informal": 0.999,
    "scene.recorded": 0.0,
    "scene.offer": 0.0,
    "scene.accept": 0.0,
    "scene.mix": 0.0,  # the first outcome of the mix: charge
    "scene.other_offence": 0.999,  # possession alone
}


def people(age_bands: list[int], area: int = 0) -> People:
    """People with the given age bands, the first substance and ethnic group, in one area."""
    n = len(age_bands)
    codes = np.zeros(n, np.int64)
    no = np.zeros(n, bool)
    return People(
        age_band=np.asarray(age_bands, np.int64),
        sex=codes,
        ethnic_group=codes,
        substance=codes,
        area=np.full(n, area),
        frailty=np.ones(n),
        desist_hours=np.full(n, np.inf),
        possible_dependence=no,
        safeguarding_need=no,
        significant_safeguarding=no,
        holistic_needs=np.zeros((n, len(HOLISTIC_NEEDS)), bool),
    )


def rules_for(
    scenario: Scenario,
    age_bands: list[int],
    user_dealer: list[bool] | None = None,
    area: int = 0,
    draws: dict[str, float] | None = None,
) -> SchemeRules:
    uniforms = {**OFFERED_AND_ACCEPTED, **(draws or {})}
    columns = {name: [uniforms[name]] * FINDS for name in SCENE_COLUMNS}
    dealer = np.asarray(user_dealer if user_dealer is not None else [False] * len(age_bands))
    known = np.zeros(len(age_bands), bool)
    return SchemeRules(scenario, people(age_bands, area), dealer, known, columns)


def decide(rules: SchemeRules, person: int, find: int, now: float) -> dict:
    return dict(zip(DECISION_FIELDS, rules.decide(person, find, now), strict=True))


def days(n: float) -> float:
    return n * HOURS_PER_DAY


@pytest.fixture(scope="module")
def west_midlands() -> Scenario:
    return load_scenario("west_midlands")


@pytest.fixture(scope="module")
def avon() -> Scenario:
    return load_scenario("avon_somerset")


@pytest.fixture(scope="module")
def durham() -> Scenario:
    return load_scenario("durham_checkpoint")


def test_nothing_is_diverted_before_launch_and_the_outcome_is_the_counterfactual(west_midlands):
    rules = rules_for(west_midlands, [ADULT])
    before = decide(rules, 0, 0, west_midlands.launch_hours - 1)
    assert not before["live"]
    assert before["outcome"] == before["counterfactual"] == CHARGE
    assert decide(rules, 0, 1, west_midlands.launch_hours)["outcome"] == DIVERTED


def test_without_a_scheme_no_find_is_ever_live():
    status_quo = load_scenario("status_quo")
    rules = rules_for(status_quo, [ADULT])
    decision = decide(rules, 0, 0, status_quo.horizon_hours - 1)
    assert not decision["live"]
    assert decision["outcome"] == CHARGE


def test_an_informal_word_is_recorded_under_the_scheme_and_gets_a_community_resolution(
    west_midlands,
):
    draws = {name: [OFFERED_AND_ACCEPTED[name]] * FINDS for name in SCENE_COLUMNS}
    draws["scene.informal"] = [0.0] * FINDS  # an informal word without the scheme
    draws["scene.offer"] = [0.999] * FINDS  # and not offered
    rules = SchemeRules(west_midlands, people([ADULT]), np.array([False]), np.array([False]), draws)
    decision = decide(rules, 0, 0, west_midlands.launch_hours)
    assert decision["counterfactual"] == NOT_RECORDED
    assert decision["recorded"]
    assert decision["outcome"] == OUTCOMES.index("community_resolution")


def test_west_midlands_bars_a_re_offer_for_12_months_after_not_engaging(west_midlands):
    rules = rules_for(west_midlands, [ADULT])
    start = west_midlands.launch_hours
    assert decide(rules, 0, 0, start)["outcome"] == DIVERTED
    rules.diverted(0, 0, start)
    ended = start + days(30)
    assert rules.referral_ended(0, 0, NOT_CONTACTED, ended) == NO_LATER_OUTCOME  # no penalty
    within = decide(rules, 0, 1, ended + days(364))
    assert within["barred"] and within["outcome"] == CHARGE
    after = decide(rules, 0, 2, ended + days(365))
    assert not after["barred"] and after["outcome"] == DIVERTED


def test_west_midlands_completers_may_be_diverted_again_any_number_of_times(west_midlands):
    rules = rules_for(west_midlands, [ADULT])
    now = west_midlands.launch_hours
    for find in range(4):
        assert decide(rules, 0, find, now)["outcome"] == DIVERTED
        rules.diverted(0, find, now)
        now += days(60)
        assert rules.referral_ended(0, find, COMPLETED, now) == NO_LATER_OUTCOME
        now += days(1)


def test_west_midlands_offers_no_user_dealer_diversion(west_midlands):
    rules = rules_for(west_midlands, [ADULT], user_dealer=[True])
    decision = decide(rules, 0, 0, west_midlands.launch_hours)
    assert decision["outcome"] == decision["counterfactual"] == CHARGE


def test_avon_offers_diversion_once_only_and_charges_not_engaging(avon):
    rules = rules_for(avon, [ADULT, ADULT])
    start = avon.launch_hours
    rules.diverted(0, 0, start)
    assert rules.referral_ended(0, 0, COMPLETED, start + days(60)) == NO_LATER_OUTCOME
    second = decide(rules, 0, 1, start + days(400))
    assert not second["barred"] and second["outcome"] == CHARGE  # once only, not a bar
    rules.diverted(1, 2, start)
    assert rules.referral_ended(1, 2, LEFT_AT_COURSE, start + days(60)) == CHARGE


def test_durham_breach_of_the_contract_means_prosecution(durham):
    rules = rules_for(durham, [ADULT])
    start = durham.launch_hours
    rules.diverted(0, 0, start)
    during = decide(rules, 0, 1, start + days(119))
    assert during["breach"] and during["outcome"] == CHARGE
    assert rules.breached(0) == (0, CHARGE)  # the contract's find is prosecuted too
    # The contract ended with the breach: the next find may be diverted again.
    assert decide(rules, 0, 2, start + days(119.5))["outcome"] == DIVERTED


def test_durham_contract_lasts_its_days_only(durham):
    rules = rules_for(durham, [ADULT])
    start = durham.launch_hours
    rules.diverted(0, 0, start)
    after = decide(rules, 0, 1, start + days(120))
    assert not after["breach"] and after["outcome"] == DIVERTED


def test_durham_prosecuting_not_engaging_ends_the_contract(durham):
    rules = rules_for(durham, [ADULT])
    start = durham.launch_hours
    rules.diverted(0, 0, start)
    assert rules.referral_ended(0, 0, NOT_CONTACTED, start + days(20)) == CHARGE
    assert not decide(rules, 0, 1, start + days(30))["breach"]


def test_durham_is_for_adults_and_has_a_route_for_user_dealers(durham):
    rules = rules_for(durham, [UNDER_18, ADULT], user_dealer=[False, True])
    start = durham.launch_hours
    assert decide(rules, 0, 0, start)["outcome"] != DIVERTED
    assert decide(rules, 1, 1, start)["outcome"] == DIVERTED


def test_thames_valley_youth_scheme_starts_in_its_pilot_area_then_goes_force_wide():
    thames_valley = load_scenario("thames_valley")
    youth = thames_valley.policy.youth
    assert youth is not None and youth.force_wide_after_days is not None
    launch = thames_valley.launch_hours
    pilot = rules_for(thames_valley, [UNDER_18], area=0)
    assert decide(pilot, 0, 0, launch)["outcome"] == DIVERTED
    late_area = 1  # adults go live a year after launch
    rules = rules_for(thames_valley, [UNDER_18, ADULT], area=late_area)
    assert not decide(rules, 0, 0, launch)["live"]
    force_wide = launch + days(youth.force_wide_after_days)
    assert decide(rules, 0, 1, force_wide)["outcome"] == DIVERTED
    assert not decide(rules, 1, 2, force_wide)["live"]
    assert decide(rules, 1, 3, launch + days(365))["outcome"] == DIVERTED


def with_policy(scenario: Scenario, **policy) -> Scenario:
    """The scenario with some policy values changed (validated again; its priors dropped,
    since a changed table may no longer have the values they name)."""
    data = scenario.model_dump()
    data["policy"].update(policy)
    data["uncertainty"] = {}
    return Scenario.model_validate(data)


def test_the_offer_follows_the_adoption_curve_from_go_live(west_midlands):
    adoption = west_midlands.policy.adoption
    launch = west_midlands.launch_hours
    # A find offered at a uniform between the share at launch and a year on.
    early, late = adoption.share(np.array([0.5, 365.5]))
    assert early < late
    u = (early + late) / 2
    rules = rules_for(west_midlands, [ADULT], draws={"scene.offer": u, "scene.mix": 0.99})
    assert not decide(rules, 0, 0, launch)["offered"]
    assert decide(rules, 0, 0, launch + days(365))["outcome"] == DIVERTED


def test_the_offer_depends_on_the_counterfactual_outcome(west_midlands):
    scenario = with_policy(
        west_midlands,
        adoption={"start_share": 0.5},
        offer_odds_ratio={"charge": 0.0, "caution": 9.0},
        prior_find_odds_ratio=1.0,
    )
    charge_mix, caution_mix = 0.0, 0.3  # the mix's first outcome is a charge, then a caution
    launch = scenario.launch_hours
    heading_for_charge = rules_for(scenario, [ADULT], draws={"scene.mix": charge_mix})
    assert decide(heading_for_charge, 0, 0, launch)["outcome"] == CHARGE
    # Odds 9 x 1: a 90% chance, so a uniform of 0.85 is offered.
    draws = {"scene.mix": caution_mix, "scene.offer": 0.85}
    heading_for_caution = rules_for(scenario, [ADULT], draws=draws)
    assert decide(heading_for_caution, 0, 0, launch)["outcome"] == DIVERTED


def test_gateways_exclude_substances_and_people_with_a_record(west_midlands):
    launch = west_midlands.launch_hours
    not_cannabis = with_policy(west_midlands, eligible_substances=["cocaine"])
    assert not decide(rules_for(not_cannabis, [ADULT]), 0, 0, launch)["offered"]
    first_time = with_policy(west_midlands, first_time_only=True)
    rules = rules_for(first_time, [ADULT])
    assert decide(rules, 0, 0, launch)["outcome"] == DIVERTED
    assert not decide(rules, 0, 1, launch + days(1))["offered"]  # found before: a record


def test_a_fixed_term_pilot_makes_no_offer_after_its_end(west_midlands):
    pilot = with_policy(west_midlands, end_after_days=180)
    rules = rules_for(pilot, [ADULT])
    assert decide(rules, 0, 0, pilot.launch_hours + days(179))["outcome"] == DIVERTED
    after = decide(rules, 0, 1, pilot.launch_hours + days(181))
    assert not after["live"] and after["outcome"] == after["counterfactual"]


def test_a_custody_route_decides_only_on_finds_that_lead_to_arrest(durham):
    assert durham.policy.decided_in == "custody"
    launch = durham.launch_hours
    warning = OUTCOMES.index("cannabis_warning")
    at_scene = rules_for(durham, [ADULT], draws={"scene.mix": 0.35})  # a cannabis warning
    decision = decide(at_scene, 0, 0, launch)
    assert decision["counterfactual"] == warning and decision["outcome"] == warning
    arrested = rules_for(durham, [ADULT], draws={"scene.mix": 0.0})  # heading for a charge
    assert decide(arrested, 0, 0, launch)["outcome"] == DIVERTED


def test_avon_deals_with_a_second_find_formally(avon):
    rules = rules_for(avon, [ADULT], draws={"scene.mix": 0.99})  # would get no further action
    start = avon.launch_hours
    rules.diverted(0, 0, start)
    second = decide(rules, 0, 1, start + days(400))
    assert second["counterfactual"] != CHARGE and second["outcome"] == CHARGE


def test_cannabis_finds_escalate_from_warning_to_penalty_notice_to_charge(west_midlands):
    assert west_midlands.police.cannabis_escalation
    warning, notice = OUTCOMES.index("cannabis_warning"), OUTCOMES.index("penalty_notice")
    # Not offered, and each find's own draw says a cannabis warning.
    rules = rules_for(west_midlands, [ADULT], draws={"scene.offer": 0.999, "scene.mix": 0.35})
    start = west_midlands.launch_hours
    outcomes = []
    for find in range(4):
        outcome = decide(rules, 0, find, start + days(find))["outcome"]
        rules.recorded(0, outcome)
        outcomes.append(outcome)
    assert outcomes == [warning, notice, CHARGE, CHARGE]


def test_the_offer_odds_ratios_follow_the_outcomes_in_order():
    assert tuple(OfferOddsRatio.model_fields) == (*OUTCOMES, "not_recorded")


def test_possession_alongside_another_offence_is_offered_less(west_midlands):
    scenario = with_policy(
        west_midlands,
        adoption={"start_share": 0.5},
        offer_odds_ratio={"charge": 1.0},
        prior_find_odds_ratio=1.0,
        other_offence_offer_odds_ratio=0.25,
    )
    launch = scenario.launch_hours
    # A uniform of 0.3 is offered at a 50% chance, not at odds 0.25 (a 20% chance).
    alone = {"scene.offer": 0.3, "scene.other_offence": 0.999}
    assert decide(rules_for(scenario, [ADULT], draws=alone), 0, 0, launch)["offered"]
    alongside = {"scene.offer": 0.3, "scene.other_offence": 0.0}
    assert not decide(rules_for(scenario, [ADULT], draws=alongside), 0, 0, launch)["offered"]
    # A user-dealer's find is not possession alone: the ratio does not apply.
    dealer = with_policy(scenario, user_dealer_route=True, user_dealer_offer_share=0.5)
    rules = rules_for(dealer, [ADULT], user_dealer=[True], draws=alongside)
    assert decide(rules, 0, 0, launch)["offered"]


def test_avon_offers_possession_alongside_another_offence_less_over_a_run():
    """Over a run: fewer offers where the other offence lowers the odds, on the same
    encounters (the share has its own column of draws, so the demand does not move)."""
    short = ["run.years=1.5", "run.warmup_days=0", "demand.other_offence_share=0.5"]
    less = load_scenario("avon_somerset", short)
    level = load_scenario("avon_somerset", [*short, "policy.other_offence_offer_odds_ratio=1"])
    kpis_less = run_replication(less, seed=3, replication=0).kpis
    kpis_level = run_replication(level, seed=3, replication=0).kpis
    assert kpis_less["offers_per_year"] < kpis_level["offers_per_year"]
    assert kpis_less["encounters_per_year"] == kpis_level["encounters_per_year"]
