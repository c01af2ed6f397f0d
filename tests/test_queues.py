"""Queue lengths from waiting intervals."""

import numpy as np
import pytest

from simdivert.clock import HOURS_PER_WEEK
from simdivert.model.queues import time_average, waiting_area
from simdivert.model.replication import run_replication

from conftest import short_scenario


def test_waiting_area_by_hand():
    starts = np.array([0.0, 1.0, 2.0])
    ends = np.array([2.0, np.nan, 3.0])  # the second is still waiting
    np.testing.assert_allclose(waiting_area(starts, ends, np.arange(5.0)), [0, 1, 3, 5, 6])
    assert time_average(starts, ends, 0.0, 4.0) == pytest.approx(1.5)


def test_weekly_series_agrees_with_the_queue_kpis():
    scenario = short_scenario("run.warmup_days=0", "run.years=0.2")
    result = run_replication(scenario, 4, 0)
    series = result.timeseries
    n_weeks = int(np.ceil(scenario.horizon_hours / HOURS_PER_WEEK))
    assert len(series) == 4 * n_weeks
    weeks = np.minimum(np.arange(1, n_weeks + 1) * HOURS_PER_WEEK, scenario.horizon_hours)
    widths = np.diff(np.concatenate([[0.0], weeks]))
    for stage in ("contact", "assessment", "one_to_one", "course"):
        rows = series[series["stage"] == stage]
        whole_run = np.sum(rows["queue_mean"].to_numpy() * widths) / scenario.horizon_hours
        assert whole_run == pytest.approx(result.kpis[f"{stage}_queue_mean"], rel=1e-9, abs=1e-12)
    contact = series[series["stage"] == "contact"]["waits_started"].sum()
    assert contact == pytest.approx(result.kpis["referrals_per_year"] * scenario.run.years)
