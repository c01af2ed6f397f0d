"""Replications: reproducibility, worker-count independence, confidence intervals."""

import pandas as pd
from scipy import stats

from simdivert.experiments.executors import LocalPoolExecutor
from simdivert.experiments.replications import (
    paired_comparison,
    run_replications,
    summarise,
)
from simdivert.kpis import kpi_unit
from simdivert.stats import t_interval

from conftest import short_scenario, whole_window_kpis


def test_same_seed_same_results(scenario):
    a = run_replications(scenario, 2, seed=42)
    b = run_replications(scenario, 2, seed=42)
    pd.testing.assert_frame_equal(a.replications, b.replications)
    pd.testing.assert_frame_equal(a.summary, b.summary)


def test_different_seeds_differ(scenario):
    a = run_replications(scenario, 1, seed=1).replications
    b = run_replications(scenario, 1, seed=2).replications
    assert not a.equals(b)


def test_worker_count_does_not_change_results(scenario):
    one = run_replications(scenario, 3, seed=9)
    with LocalPoolExecutor(2) as pool:
        two = run_replications(scenario, 3, seed=9, executor=pool)
    pd.testing.assert_frame_equal(one.replications, two.replications)


def test_every_kpi_has_a_unit(scenario):
    table = run_replications(scenario, 1, seed=1).replications
    assert set(table.columns) - {"replication"} == whole_window_kpis(scenario)
    assert all(kpi_unit(name) for name in whole_window_kpis(scenario))


def test_summary_columns():
    table = pd.DataFrame({"replication": [0, 1], "referrals_per_year": [10.0, 12.0]})
    summary = summarise(table)
    assert list(summary.columns) == ["kpi", "mean", "ci_low", "ci_high", "unit"]
    assert summary.loc[0, "mean"] == 11.0 and summary.loc[0, "unit"] == "people/year"


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(scenario):
    a = run_replications(scenario, 2, seed=3)
    b = run_replications(scenario, 2, seed=3)
    table = paired_comparison([a, b], ["base", "same"])
    same = table[table["scenario"] == "same"].dropna(subset=["mean"])
    assert len(same) > 20
    assert (same["diff_mean"] == 0).all()
    assert (same["diff_ci_low"] == 0).all() and (same["diff_ci_high"] == 0).all()
    assert list(table.columns) == [
        "kpi",
        "scenario",
        "mean",
        "ci_low",
        "ci_high",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
    ]


def test_paired_intervals_are_narrower_than_unpaired(scenario):
    """Common random numbers: with more staff the noise of demand cancels in the difference.

    More than the default 5: with 4, who now also make the contact calls, the service is
    saturated and utilisation stops following demand."""
    more_staff = short_scenario("provider.drug_workers=6")
    a = run_replications(scenario, 5, seed=3).replications
    b = run_replications(more_staff, 5, seed=3).replications
    kpi = "drug_worker_utilisation"
    _, low, high = t_interval((b[kpi] - a[kpi]).to_numpy())
    welch = stats.ttest_ind(b[kpi], a[kpi], equal_var=False).confidence_interval(0.95)
    assert high - low < (welch.high - welch.low) / 2
