"""The league table of a comparison: the schemes side by side, paired differences."""

from __future__ import annotations

import math

import pandas as pd

from simdivert.reporting.league import difference_text, league_rows, mean_text


def comparison_table() -> pd.DataFrame:
    rows = []
    for scenario, referrals, share in (("base", 0.0, math.nan), ("a", 5000.0, 0.7)):
        diff = referrals - 0.0
        rows += [
            ("referrals_per_year", scenario, referrals, diff, diff - 100, diff + 100),
            ("share_completed", scenario, share, math.nan, math.nan, math.nan),
            ("charges_per_year_y1", scenario, 1400.0 - referrals / 5, -referrals / 5, -1100, -900),
            ("charges_per_year", scenario, 1.0, 0.0, 0.0, 0.0),
        ]
    columns = ["kpi", "scenario", "mean", "diff_mean", "diff_ci_low", "diff_ci_high"]
    table = pd.DataFrame(rows, columns=columns)
    return table.assign(ci_low=table["mean"], ci_high=table["mean"])


def test_rows_in_league_order_with_per_year_kpis_in_the_last_policy_year():
    rows = league_rows(comparison_table(), ["base", "a"])
    assert [row.kpi for row in rows] == [
        "referrals_per_year",
        "share_completed",
        "charges_per_year_y1",
    ]


def test_the_base_has_no_difference_and_the_others_a_paired_one():
    referrals, share, charges = league_rows(comparison_table(), ["base", "a"])
    assert difference_text(referrals.cells["base"], referrals.unit) == ""
    assert difference_text(referrals.cells["a"], referrals.unit) == "Δ +5,000 (4,900 to 5,100)"
    assert mean_text(share.cells["a"], share.unit) == "70.0"
    assert mean_text(share.cells["base"], share.unit) == "–"
    assert difference_text(charges.cells["a"], charges.unit) == "Δ −1,000 (−1,100 to −900)"
    assert charges.cells["a"].clear and not referrals.cells["base"].clear
