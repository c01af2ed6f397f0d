"""Headline KPIs in plain words: the numbers they quote and the target verdicts."""

import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.kpis import COMPARED_KPIS, kpi_label
from simdivert.numbers import count, money
from simdivert.outputs.readers import read_output_folder
from simdivert.reporting.headlines import (
    MET,
    MISSED,
    TOO_CLOSE,
    Estimate,
    comparison_headlines,
    headlines,
    in_ten,
    target_verdict,
)
from simdivert.scenario.schema import TargetSettings

NAN = math.nan


def summary(**kpis: tuple[float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"kpi": k, "mean": m, "ci_low": lo, "ci_high": hi} for k, (m, lo, hi) in kpis.items()]
    )


def text_of(lines, kpi: str) -> str:
    (line,) = [h for h in lines if h.kpi == kpi]
    return line.text


def test_counts_are_rounded_to_three_significant_figures():
    assert [count(v) for v in (4844, 93.2, 20587, 7.25, 999.6)] == [
        "4,840",
        "93",
        "20,600",
        "7.2",
        "1,000",
    ]


def test_shares_in_tens_or_hundreds():
    assert in_ten(0.818) == "about 8 in 10"
    assert in_ten(0.04) == "about 4 in 100"
    assert in_ten(0.97) == "about 97 in 100"


@pytest.mark.parametrize(
    ("estimate", "verdict"),
    [
        (Estimate(9.0, 8.5, 9.5), MET),
        (Estimate(13.0, 12.0, 14.5), TOO_CLOSE),
        (Estimate(16.0, 15.0, 17.0), MISSED),
        (Estimate(13.0, NAN, NAN), MET),  # one replication: the mean alone
    ],
)
def test_a_target_is_met_only_when_the_whole_interval_is_within_it(estimate, verdict):
    assert target_verdict(estimate, 14.0) == verdict


def test_sentences_quote_the_summary_and_the_target():
    lines = headlines(
        summary(
            referrals_per_year=(4844.0, 4818.0, 4870.0),
            share_assessed=(0.818, 0.815, 0.820),
            assessment_wait_p90_days=(8.9, 8.84, 8.96),
            course_wait_p90_days=(22.0, 21.2, 23.1),
        ),
        TargetSettings(assessment_wait_p90_days=14, course_wait_p90_days=21),
    )
    assert text_of(lines, "referrals_per_year") == (
        "About 4,840 people a year are referred to the provider while the scheme runs "
        "(95% CI 4,820 to 4,870), about 93 a week."
    )
    assert text_of(lines, "share_assessed") == (
        "About 8 in 10 people referred complete the assessment (81.8%; 95% CI 81.5% to 82.0%)."
    )
    assert text_of(lines, "assessment_wait_p90_days") == (
        "9 in 10 people who had an assessment call had it within 8.9 days of being referred "
        "(95% CI 8.8 to 9.0 days); the target is 9 in 10 within 14 days."
    )
    verdicts = {h.kpi: h.verdict for h in lines}
    assert verdicts["assessment_wait_p90_days"] == MET
    assert verdicts["course_wait_p90_days"] == MISSED


def test_missing_or_undefined_kpis_give_no_sentence():
    lines = headlines(
        summary(referrals_per_year=(100.0, 90.0, 110.0), course_wait_p90_days=(NAN, NAN, NAN)),
        TargetSettings(),
    )
    assert [h.kpi for h in lines] == ["referrals_per_year"]


def test_one_replication_says_there_is_no_interval():
    lines = headlines(summary(share_completed=(0.6, NAN, NAN)), TargetSettings())
    assert "one replication, so no confidence interval" in text_of(lines, "share_completed")


def test_nobody_referred():
    lines = headlines(
        summary(referrals_per_year=(0.0, 0.0, 0.0), share_assessed=(NAN, NAN, NAN)),
        TargetSettings(),
    )
    assert [h.text for h in lines] == ["Nobody is referred to the provider."]


def test_police_hours_name_both_methods():
    lines = headlines(
        summary(
            police_hours_saved_published_per_year=(20587.0, 20476.0, 20697.0),
            police_hours_saved_adjusted_per_year=(7238.0, 7174.0, 7303.0),
        ),
        TargetSettings(),
    )
    text = text_of(lines, "police_hours_saved_adjusted_per_year")
    assert "20,600 by the published method" in text
    assert "7,240 by the adjusted method, which counts the officer time of the outcome" in text
    assert "35% of the published figure" in text


@pytest.fixture(scope="module")
def comparison(reported_comparison):
    return read_output_folder(reported_comparison).comparison


def about(comparison, scenario: str) -> list[str]:
    return [h.text for h in comparison_headlines(comparison) if h.scenario == scenario]


def test_comparison_states_the_change_in_formal_outcomes(comparison):
    table = comparison.table.set_index(["kpi", "scenario"])
    (formal,) = [t for t in about(comparison, "west_midlands") if t.startswith("Formal outcomes")]
    base = table.loc[("charges_per_year_y1", "status_quo")]
    mine = table.loc[("charges_per_year_y1", "west_midlands")]
    fall = -mine["diff_mean"] / base["mean"]
    assert formal.startswith(
        "Formal outcomes in policy year 1 (y1), against status_quo on the same finds: "
        f"charges fall {fall:.0%} ({count(base['mean'])} → {count(mine['mean'])} a year; "
        f"95% CI of the difference {count(mine['diff_ci_low'])} to "
        f"{count(mine['diff_ci_high'])} outcomes/year); cautions fall"
    )
    (share,) = [t for t in about(comparison, "west_midlands") if "formal-outcome share" in t]
    assert "the group with the highest share under status_quo" in share


def test_comparison_gives_police_hours_by_each_named_method(comparison):
    simulated = comparison.police_hours_saved_simulated().set_index("scenario")
    table = comparison.table.set_index(["kpi", "scenario"])
    for scenario in comparison.others:
        (hours,) = [t for t in about(comparison, scenario) if t.startswith("Police officer hours")]
        published = table.loc[("police_hours_saved_published_per_year", scenario), "mean"]
        adjusted = table.loc[("police_hours_saved_adjusted_per_year", scenario), "mean"]
        assert f"{count(published)} by the published method, which counts every referral" in hours
        assert f"{count(adjusted)} by the adjusted method, which counts the officer time" in hours
        assert (
            f"{count(simulated.loc[scenario, 'mean'])} simulated, all officer hours on "
            f"possession finds under status_quo less under {scenario}, on the same finds, a "
            "year over y1" in hours
        )


def test_comparison_gives_costs_and_waits_against_each_scenario_target(comparison):
    lines = [h for h in comparison_headlines(comparison) if h.scenario == "thames_valley"]
    (cost,) = [h.text for h in lines if h.kpi == "provider_cost_per_year"]
    assert cost.startswith("The provider costs about £") and "for each person who completes" in cost
    waits = {h.kpi: h.verdict for h in lines if h.verdict is not None}
    assert set(waits) == {"assessment_wait_p90_days", "course_wait_p90_days"}
    # Against the status quo, which refers nobody, only referrals have a difference; the
    # shares, waits and utilisation of a pathway it does not have are not compared.
    compared = [h for h in lines if h.kpi in COMPARED_KPIS and h.verdict is None]
    assert [h.kpi for h in compared] == ["referrals_per_year"]
    assert compared[0].text.startswith("Referrals a year: higher by")
    assert not any(h.kpi == "comparison" for h in lines)


def test_schemes_compared_state_clear_pathway_differences(tmp_path):
    """Thames Valley's pilot covers one area in 8: far fewer referrals than West Midlands.
    Under a year: no whole policy year, so the police hours have no simulated figure."""
    out = tmp_path / "schemes"
    options = ["--years", "0.3", "--reps", "2", "--workers", "1", "--out", str(out)]
    options += ["--set", "run.warmup_days=7", "--set", "policy.launch_after_days=0"]
    # Officers have adopted the scheme (the share five years on): the pilot's area shows.
    for key in ("start_share", "mature_share"):
        options += ["--set", f"policy.adoption.{key}=0.72"]
    result = CliRunner().invoke(app, ["compare", "west_midlands", "thames_valley", *options])
    assert result.exit_code == 0, result.output
    comparison = read_output_folder(out).comparison
    lines = comparison_headlines(comparison)
    row = comparison.table.set_index(["kpi", "scenario"]).loc[
        ("referrals_per_year", "thames_valley")
    ]
    (referrals,) = [h.text for h in lines if h.kpi == "referrals_per_year"]
    assert referrals == (
        f"Referrals a year: lower by {count(-row['diff_mean'])} people/year than in "
        f"west_midlands (95% CI of the difference {count(row['diff_ci_low'])} to "
        f"{count(row['diff_ci_high'])} people/year)."
    )
    (hours,) = [h.text for h in lines if h.kpi == "police_hours_saved_adjusted_per_year"]
    assert "simulated" not in hours
    assert any(h.text.startswith("Formal outcomes in the whole measured period") for h in lines)


def test_money_and_labels_in_words():
    assert [money(v) for v in (1_234_567, 48_900.4, 117.6, -2_500)] == [
        "£1.23m",
        "£48,900",
        "£118",
        "−£2,500",
    ]
    assert kpi_label("charges_per_year_y2") == "charges, policy year 2 (y2)"
    assert kpi_label("formal_outcome_share_black_male_y0") == (
        "formal-outcome share, Black men, the year before the launch (y0)"
    )


def test_police_hours_with_nothing_published_give_no_ratio():
    zero = (0.0, 0.0, 0.0)
    lines = headlines(
        summary(
            police_hours_saved_published_per_year=zero, police_hours_saved_adjusted_per_year=zero
        ),
        TargetSettings(),
    )
    assert "of the published figure" not in text_of(lines, "police_hours_saved_adjusted_per_year")
