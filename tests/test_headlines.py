"""Headline KPIs in plain words: the numbers they quote and the target verdicts."""

import math

import pandas as pd
import pytest
from synthetic_outputs import comparison_table

from simdivert.headlines import (
    MET,
    MISSED,
    TOO_CLOSE,
    Estimate,
    comparison_headlines,
    count,
    headlines,
    in_ten,
    target_verdict,
)
from simdivert.scenario import TargetSettings

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
        "About 4,840 people a year are referred to the provider (95% CI 4,820 to 4,870), "
        "about 93 a week."
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
    assert "7,240 counting the outcome each find would otherwise have had" in text
    assert "35% of the published figure" in text


def test_comparison_sentences_report_only_clear_differences():
    lines = comparison_headlines(comparison_table())
    texts = [h.text for h in lines]
    assert (
        "west_midlands: referrals a year is higher by 4,840 people/year than in status_quo "
        "(95% CI of the difference 4,800 to 4,890 people/year)." in texts
    )
    # The baseline has no wait (nobody referred): no difference can be stated.
    assert not any("wait to assessment" in t for t in texts)


def test_police_hours_with_nothing_published_give_no_ratio():
    zero = (0.0, 0.0, 0.0)
    lines = headlines(
        summary(
            police_hours_saved_published_per_year=zero, police_hours_saved_adjusted_per_year=zero
        ),
        TargetSettings(),
    )
    assert "of the published figure" not in text_of(lines, "police_hours_saved_adjusted_per_year")
