"""The default scenarios meet the published West Midlands figures (issues 2 and 3)."""

import pytest

from simdivert.experiment import paired_comparison, run_replications
from simdivert.scenario_files import load_scenario

REPLICATIONS = 4


@pytest.fixture(scope="module")
def comparison():
    """West Midlands against the status quo, three years (one before launch), paired."""
    scenarios = [load_scenario(name) for name in ("status_quo", "west_midlands")]
    seed = scenarios[0].run.seed
    experiments = [run_replications(s, REPLICATIONS, seed, workers=2) for s in scenarios]
    return paired_comparison(experiments, ["status_quo", "west_midlands"]).set_index(
        ["scenario", "kpi"]
    )


@pytest.fixture(scope="module")
def west_midlands(comparison):
    return comparison.loc["west_midlands"]


def change(comparison, kpi: str) -> float:
    """Relative change of a KPI, West Midlands against the status quo."""
    return (
        comparison.loc[("west_midlands", kpi), "diff_mean"]
        / comparison.loc[("status_quo", kpi), "mean"]
    )


def test_referrals_per_year(west_midlands):
    assert 4500 <= west_midlands.loc["referrals_per_year", "mean"] <= 5500


def test_over_seventy_percent_assessed(west_midlands):
    assert west_midlands.loc["share_assessed", "ci_low"] >= 0.70


def test_substance_mix(west_midlands):
    assert 0.80 <= west_midlands.loc["share_cannabis", "mean"] <= 0.85
    assert 0.05 <= west_midlands.loc["share_cocaine", "mean"] <= 0.10


def test_recorded_possession_rises_thirty_percent_at_launch(west_midlands):
    assert west_midlands.loc["recording_uplift", "mean"] == pytest.approx(0.30, abs=0.02)
    change_at_launch = west_midlands.loc["recorded_possession_change_at_launch", "mean"]
    assert change_at_launch == pytest.approx(0.30, abs=0.05)


def test_waits_are_plausible(west_midlands):
    assert west_midlands.loc["assessment_wait_p90_days", "mean"] <= 14
    assert west_midlands.loc["course_wait_p90_days", "mean"] <= 21


def test_charges_and_cautions_fall_two_years_on(comparison):
    assert change(comparison, "charges_per_year_y2") == pytest.approx(-0.71, abs=0.10)
    assert change(comparison, "cautions_per_year_y2") == pytest.approx(-0.80, abs=0.10)


def test_rereferral_rate_under_five_percent(west_midlands):
    assert west_midlands.loc["rereferral_rate", "mean"] < 0.05


def test_formal_outcomes_for_black_men(west_midlands):
    assert west_midlands.loc["formal_outcome_share_black_male_y0", "mean"] == pytest.approx(
        0.46, abs=0.05
    )
    assert west_midlands.loc["formal_outcome_share_black_male_y2", "mean"] == pytest.approx(
        0.125, abs=0.05
    )


def test_adjusted_hours_saved_are_below_the_published_claim(west_midlands):
    published = west_midlands.loc["police_hours_saved_published_per_year", "mean"]
    adjusted = west_midlands.loc["police_hours_saved_adjusted_per_year", "mean"]
    assert 0 < adjusted < published
