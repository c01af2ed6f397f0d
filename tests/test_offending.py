"""Reoffending: arms, the paired status quo on common random numbers, censoring, and the
calibration to Durham Checkpoint's trial."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simdivert.clock import HOURS_PER_YEAR
from simdivert.model.offending import (
    ARMS,
    COMPLETED_ARM,
    FORMAL_ARM,
    INFORMAL_ARM,
    index_events,
    outcome_arms,
    years_to_offence,
)
from simdivert.model.replication import run_replication, simulate
from simdivert.model.rules import DIVERTED, NOT_RECORDED, OUTCOMES
from simdivert.scenario.files import load_scenario

from conftest import short_scenario

ONE_POLICY_YEAR = ("run.years=1.2", "run.warmup_days=14", "policy.launch_after_days=0")


def test_outcomes_fall_in_the_formal_or_informal_arm():
    codes = np.array([OUTCOMES.index(o) for o in OUTCOMES] + [NOT_RECORDED])
    arms = outcome_arms(codes)
    formal = {"charge", "caution", "penalty_notice"}
    expected = [FORMAL_ARM if o in formal else INFORMAL_ARM for o in OUTCOMES] + [INFORMAL_ARM]
    assert arms.tolist() == expected
    assert outcome_arms(np.array([DIVERTED])).tolist() == [INFORMAL_ARM]  # resolved by the pathway


def test_the_share_reoffending_follows_the_gamma_frailty_formula():
    settings = load_scenario().offending
    n = 400_000
    rng = np.random.default_rng(3)
    unit = rng.exponential(1.0, n)
    frailty = rng.gamma(settings.frailty_shape, 1 / settings.frailty_shape, n)
    years = years_to_offence(settings, unit, frailty, np.full(n, 2), np.full(n, FORMAL_ARM))
    rate, k = settings.rate_per_year * settings.age_band_ratio.age_25_to_34, settings.frailty_shape
    expected = 1 - (1 + rate * 2 / k) ** (-k)
    assert np.mean(years <= 2) == pytest.approx(expected, abs=0.003)


def test_without_the_scheme_both_arms_are_the_same_people_with_the_same_numbers():
    kpis = run_replication(short_scenario(*ONE_POLICY_YEAR, "policy.diversion=false"), 1, 0).kpis
    assert kpis["reoffending_12_months"] == kpis["reoffending_12_months_status_quo"]
    assert not math.isnan(kpis["reoffending_12_months"])
    assert kpis["reoffences_avoided_per_year"] == 0


def test_equal_multipliers_make_the_scheme_change_nothing():
    same = [
        f"offending.after_{arm}=1.0" for arm in ("completion", "disengagement", "informal_outcome")
    ]
    kpis = run_replication(short_scenario(*ONE_POLICY_YEAR, *same), 1, 0).kpis
    for arm in ("", *(f"_{a}" for a in ARMS)):
        name = f"reoffending_12_months{arm}"
        assert kpis[name] == kpis[f"{name}_status_quo"], name


def test_completers_reoffend_less_than_the_same_people_would_have():
    kpis = run_replication(short_scenario(*ONE_POLICY_YEAR), 1, 0).kpis
    assert (
        kpis["reoffending_12_months_completed"] < kpis["reoffending_12_months_completed_status_quo"]
    )
    assert kpis["reoffending_12_months_formal"] == kpis["reoffending_12_months_formal_status_quo"]
    assert kpis["reoffences_avoided_per_year"] > 0


def test_only_people_followed_for_the_whole_period_count():
    short = run_replication(short_scenario("run.years=0.9", "policy.launch_after_days=0"), 1, 0)
    assert math.isnan(short.kpis["reoffending_12_months"])
    assert math.isnan(short.kpis["reoffending_24_months"])
    kpis = run_replication(short_scenario(*ONE_POLICY_YEAR), 1, 0).kpis
    assert not math.isnan(kpis["reoffending_12_months"])
    assert math.isnan(kpis["reoffending_24_months"])


def test_other_draws_are_not_shifted_by_the_offending_process():
    base = run_replication(short_scenario(*ONE_POLICY_YEAR), 1, 0).kpis
    other = run_replication(
        short_scenario(*ONE_POLICY_YEAR, "offending.rate_per_year=2"), 1, 0
    ).kpis
    assert other["reoffending_12_months"] > base["reoffending_12_months"]
    changed = {
        k
        for k in base
        if base[k] != other[k] and not (math.isnan(base[k]) and math.isnan(other[k]))
    }
    assert changed <= {k for k in base if k.startswith("reoffen") or "reoffence" in k}


def test_durham_checkpoint_trial_is_reproduced_at_24_months():
    """Fitted: offending.rate_per_year (48% of adults prosecuted reoffend within 24 months)
    and offending.after_completion (35% of completers); Checkpoint is for adults."""
    scenario = load_scenario("durham_checkpoint", ["run.years=3.1", "policy.launch_after_days=0"])
    logs = simulate(scenario, 1, 0)
    events = index_events(
        scenario.offending,
        logs.demand.people,
        logs.finds,
        logs.pathway,
        scenario.launch_hours,
        scenario.horizon_hours,
        logs.streams,
    )
    followed = events.hours + 2 * HOURS_PER_YEAR <= scenario.horizon_hours
    adult = logs.demand.people.age_band[events.person] > 0
    within = events.years_to_offence <= 2
    prosecuted = followed & adult & (events.arm == FORMAL_ARM)
    completed = followed & (events.arm == COMPLETED_ARM)
    assert within[prosecuted].mean() == pytest.approx(0.48, abs=0.04)
    assert within[completed].mean() == pytest.approx(0.35, abs=0.02)
    kpis = run_replication(scenario, 1, 0).kpis
    assert kpis["reoffending_24_months_completed"] == within[completed].mean()


def test_every_person_found_in_the_period_has_one_index_event_and_one_arm():
    scenario = short_scenario(*ONE_POLICY_YEAR)
    logs = simulate(scenario, 4, 0)
    start, end = scenario.launch_hours, scenario.horizon_hours
    events = index_events(
        scenario.offending, logs.demand.people, logs.finds, logs.pathway, start, end, logs.streams
    )
    finds = logs.finds
    in_period = (finds.hours >= start) & (finds.hours < end)
    assert np.array_equal(np.sort(events.person), np.unique(finds.person[in_period]))
    arms = np.bincount(events.arm + 1, minlength=len(ARMS) + 1)
    assert arms.sum() == events.person.size
    assert np.isnan(events.years_to_offence[events.arm == -1]).all()
    assert set(np.unique(events.status_quo_arm)) <= {FORMAL_ARM, INFORMAL_ARM}
