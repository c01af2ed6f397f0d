"""The courts: every sentence follows a conviction, every conviction a prosecution, every
prosecution a charge; the same find goes the same way with and without the scheme."""

from __future__ import annotations

import numpy as np
import pytest

from simdivert.errors import ScenarioError
from simdivert.model.courts import (
    CUSTODY,
    FINE,
    NO_SENTENCE,
    OTHER_SENTENCE,
    cases,
    prison_places,
    scheme_and_status_quo,
)
from simdivert.model.replication import run_replication, simulate
from simdivert.model.rules import CHARGE
from simdivert.scenario.files import load_scenario

from conftest import short_scenario


def test_every_sentence_follows_a_conviction_and_shares_match_the_national_figures():
    settings = load_scenario().courts
    draws = np.random.default_rng(5).random((200_000, 4))
    arm = cases(settings, draws, np.arange(200_000), cautions=0)
    assert np.all(arm.prosecuted[arm.convicted])
    assert np.all((arm.sentence == NO_SENTENCE) == ~arm.convicted)
    assert np.all(~arm.crown_court | arm.prosecuted)
    sentences = np.isin(arm.sentence, [FINE, CUSTODY, OTHER_SENTENCE]).sum()
    assert sentences == arm.convicted.sum() <= arm.prosecuted.sum() <= arm.charges
    convicted = arm.convicted.sum()
    assert convicted / arm.prosecuted.sum() == pytest.approx(25_303 / 27_384, abs=0.003)
    assert np.sum(arm.sentence == FINE) / convicted == pytest.approx(13_951 / 25_303, abs=0.003)
    assert np.sum(arm.sentence == CUSTODY) / convicted == pytest.approx(899 / 25_303, abs=0.002)


def test_a_run_conserves_charges_through_to_sentences():
    scenario = short_scenario("run.years=0.5")
    logs = simulate(scenario, 2, 0)
    scheme, status_quo = scheme_and_status_quo(
        scenario.courts, logs.finds, logs.streams, scenario.launch_hours, scenario.horizon_hours
    )
    finds = logs.finds
    in_period = (finds.hours >= scenario.launch_hours) & (finds.hours < scenario.horizon_hours)
    later = (finds.later_outcome == CHARGE) & (finds.later_outcome_hours < scenario.horizon_hours)
    assert scheme.charges == np.sum(in_period & (finds.outcome == CHARGE)) + np.sum(later)
    assert status_quo.charges == np.sum(in_period & (finds.counterfactual == CHARGE))
    kpis = run_replication(scenario, 2, 0).kpis
    sentenced = kpis["fines_per_year"] + kpis["custodial_sentences_per_year"]
    assert sentenced + kpis["other_sentences_per_year"] == pytest.approx(
        kpis["convictions_per_year"]
    )
    assert kpis["convictions_per_year"] <= kpis["prosecutions_per_year"]
    assert kpis["criminal_records_avoided_per_year"] > 0 and kpis["court_cost_saved_per_year"] > 0


def test_without_the_scheme_nothing_is_avoided():
    kpis = run_replication(short_scenario("policy.diversion=false"), 2, 0).kpis
    for name in ("criminal_records_avoided_per_year", "court_cost_saved_per_year"):
        assert kpis[name] == 0
    assert kpis["prison_places_avoided"] == 0
    assert kpis["prosecutions_per_year"] > 0


def test_prison_places_are_sentences_times_time_served():
    settings = load_scenario().courts
    # 52 custodial sentences a year of 14 weeks, half served: 7 weeks each, 7 places.
    assert prison_places(settings, 52.0) == pytest.approx(7.0 * 52.0 / 52.1786, rel=1e-3)


def test_sentence_shares_that_do_not_fit_are_one_clear_error():
    with pytest.raises(ScenarioError) as caught:
        load_scenario(None, ["courts.fined_share_of_convictions=0.99"])
    assert caught.value.key == "courts"
    assert "at most 1" in caught.value.problem and "\n" not in str(caught.value)
