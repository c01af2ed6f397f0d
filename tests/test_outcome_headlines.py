"""Reoffending, courts, net cost and equity in words, from a summary alone."""

from __future__ import annotations

import math

import pandas as pd

from simdivert.reporting.headlines import estimates
from simdivert.reporting.outcome_headlines import downstream_headlines


def summary(rows: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(k, *v, "") for k, v in rows.items()],
        columns=["kpi", "mean", "ci_low", "ci_high", "unit"],
    )


ROWS = {
    "reoffending_12_months": (0.26, 0.25, 0.27),
    "reoffending_12_months_status_quo": (0.30, 0.29, 0.31),
    "reoffending_12_months_completed": (0.21, 0.20, 0.22),
    "reoffending_12_months_completed_status_quo": (0.30, 0.29, 0.31),
    "reoffending_24_months": (math.nan, math.nan, math.nan),
    "reoffences_avoided_per_year": (277.0, 261.0, 294.0),
    "prosecutions_per_year": (807.0, 794.0, 820.0),
    "convictions_per_year": (744.0, 729.0, 759.0),
    "criminal_records_per_year": (893.0, 877.0, 909.0),
    "criminal_records_avoided_per_year": (1303.0, 1288.0, 1318.0),
    "commissioning_cost_per_year": (471_000.0, 470_000.0, 472_000.0),
    "cost_per_referral": (90.0, 89.0, 91.0),
    "net_public_cost_per_year": (-433_000.0, -452_000.0, -414_000.0),
    "rri_search_black_y0": (4.7, 4.6, 4.8),
    "rri_search_black_y2": (4.8, 4.7, 4.9),
    "rri_formal_black_y0": (1.11, 1.08, 1.15),
    "rri_formal_black_y2": (1.08, 0.97, 1.19),
}


def texts(rows: dict) -> dict[str, str]:
    table = summary(rows)
    return {h.kpi: h.text for h in downstream_headlines(estimates(table), list(table["kpi"]))}


def test_reoffending_is_stated_against_the_same_people_without_the_scheme():
    lines = texts(ROWS)
    text = lines["reoffending_12_months"]
    assert "26% (95% CI 25% to 27%)" in text and "against 30%" in text
    assert "of people who completed diversion, 21%" in text
    assert "too short to say" in lines["reoffending_24_months"]
    assert "About 277 people a year" in lines["reoffences_avoided_per_year"]


def test_a_negative_net_cost_is_a_saving():
    text = texts(ROWS)["net_public_cost_per_year"]
    assert "saves the public purse about £433,000 a year" in text
    assert "£90 per referral" in text
    costly = texts({**ROWS, "net_public_cost_per_year": (50_000.0, 40_000.0, 60_000.0)})
    assert "costs the public purse about £50,000" in costly["net_public_cost_per_year"]


def test_courts_and_equity_sentences():
    lines = texts(ROWS)
    assert "807 prosecutions a year" in lines["prosecutions_per_year"]
    assert "1,300 a year are avoided" in lines["criminal_records_per_year"]
    equity = lines["rri_formal_black"]
    assert "searched 4.80 times (before the launch 4.70)" in equity
    assert "given a formal outcome when recorded 1.08 times (before the launch 1.11)" in equity


def test_no_figures_no_sentences():
    assert texts({"referrals_per_year": (10.0, 9.0, 11.0)}) == {}
