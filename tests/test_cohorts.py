"""Cohorts followed by name: people referred in a window and their state by a later day."""

from __future__ import annotations

import math

import pytest

from simdivert.errors import ScenarioError
from simdivert.kpis import COHORT_STATES, is_kpi, kpi_label, kpi_unit
from simdivert.model.replication import run_replication
from simdivert.scenario.files import load_scenario

from conftest import short_scenario

COHORTS = (
    'cohorts=[{ name = "early", to_day = 30, followed_to_day = 60 }, '
    '{ name = "all", to_day = 91.25, followed_to_day = 91.25 }, '
    '{ name = "late", from_day = 30, to_day = 60, followed_to_day = 400 }]'
)


@pytest.fixture(scope="module")
def kpis() -> dict[str, float]:
    scenario = short_scenario("run.years=0.25", "run.warmup_days=0", COHORTS)
    return run_replication(scenario, 5, 0).kpis


def test_a_cohorts_states_sum_to_its_referrals(kpis):
    for name in ("early", "all"):
        state = {s: kpis[f"cohort_{name}_{s}"] for s in COHORT_STATES}
        assert state["referred"] > 50
        assert state["completed"] + state["disengaged"] + state["in_pathway"] == state["referred"]
        assert state["completed"] <= state["assessed"] <= state["referred"]
        assert state["disengaged"] > 0 and state["in_pathway"] > 0


def test_the_whole_policy_period_followed_to_the_end_matches_the_pathway_kpis(kpis):
    assert kpis["cohort_all_in_pathway"] == kpis["in_system_at_end"]
    years = 0.25  # the run: the policy period from the launch (day 0) to day 91.25
    assert kpis["cohort_all_referred"] == pytest.approx(kpis["referrals_per_year"] * years)


def test_a_cohort_followed_past_the_run_is_nan(kpis):
    assert all(math.isnan(kpis[f"cohort_late_{s}"]) for s in COHORT_STATES)


def test_cohort_kpis_are_named_from_the_scenario_and_known_to_the_catalogue():
    assert is_kpi("cohort_pilot_year_completed") and kpi_unit("cohort_x_referred") == "people"
    assert kpi_label("cohort_pilot_year_in_pathway") == "cohort pilot_year: still in the pathway"
    assert not is_kpi("cohort_pilot_year_finished")
    assert [c.name for c in load_scenario("west_midlands").cohorts] == ["pilot_year"]


@pytest.mark.parametrize(
    ("cohorts", "message"),
    [
        ('[{ name = "a", from_day = 10, to_day = 10, followed_to_day = 20 }]', "to_day (10)"),
        ('[{ name = "a", to_day = 30, followed_to_day = 20 }]', "followed_to_day (20)"),
        (
            '[{ name = "a", to_day = 1, followed_to_day = 1 }, '
            '{ name = "a", to_day = 2, followed_to_day = 2 }]',
            "two cohorts have the same name",
        ),
        ('[{ name = "Pilot year", to_day = 1, followed_to_day = 1 }]', "cohorts.0.name"),
    ],
)
def test_bad_cohorts_fail_in_one_line(cohorts, message):
    with pytest.raises(ScenarioError) as error:
        load_scenario("west_midlands", [f"cohorts={cohorts}"])
    assert message in str(error.value) and "\n" not in str(error.value)
