"""The default scenario meets the published West Midlands figures (issue 2's targets)."""

import pytest

from simdivert.experiment import run_replications
from simdivert.scenario_files import load_scenario


@pytest.fixture(scope="module")
def mature_year():
    scenario = load_scenario()
    return run_replications(scenario, 4, scenario.run.seed, workers=2).summary.set_index("kpi")


def test_referrals_per_year(mature_year):
    assert 4500 <= mature_year.loc["referrals_per_year", "mean"] <= 5500


def test_over_seventy_percent_assessed(mature_year):
    assert mature_year.loc["share_assessed", "ci_low"] >= 0.70


def test_substance_mix(mature_year):
    assert 0.80 <= mature_year.loc["share_cannabis", "mean"] <= 0.85
    assert 0.05 <= mature_year.loc["share_cocaine", "mean"] <= 0.10


def test_recording_uplift_of_thirty_percent(mature_year):
    assert mature_year.loc["recording_uplift", "mean"] == pytest.approx(0.30, abs=0.02)


def test_waits_are_plausible(mature_year):
    assert mature_year.loc["assessment_wait_p90_days", "mean"] <= 14
    assert mature_year.loc["course_wait_p90_days", "mean"] <= 21


def test_adjusted_hours_saved_are_below_the_published_claim(mature_year):
    published = mature_year.loc["police_hours_saved_published_per_year", "mean"]
    adjusted = mature_year.loc["police_hours_saved_adjusted_per_year", "mean"]
    assert 0 < adjusted < published
