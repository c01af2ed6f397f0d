"""The one definition of each stage wait: finished waits, waits so far, and that the
KPIs and the report's figure (from the event log) read the same waits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simdivert.model.replication import event_table, simulate
from simdivert.model.results import step_times
from simdivert.outputs.readers import read_output_folder, read_stage_waits
from simdivert.waits import StepTimes, finished_waits, in_days, waits_so_far

NAN = np.nan
HORIZON = 100.0


def steps() -> StepTimes:
    """Three referrals: one through to a group session, one still waiting for the call at
    the horizon, one assessed for a group but not yet booked."""
    return StepTimes(
        referral=np.array([0.0, 10.0, 20.0]),
        first_contact=np.array([5.0, 30.0, 25.0]),
        assessment=np.array([8.0, NAN, 40.0]),
        assessment_end=np.array([9.0, NAN, 41.0]),
        booked=np.array([50.0, NAN, NAN]),
        assessed=np.array([True, False, True]),
        group=np.array([True, False, True]),
        one_to_one=np.array([False, False, False]),
        end=np.array([60.0, NAN, NAN]),
    )


def test_finished_waits_count_only_waits_that_ended():
    waits = finished_waits(steps(), HORIZON)
    np.testing.assert_array_equal(waits["first_contact"], [5.0, 20.0, 5.0])
    np.testing.assert_array_equal(waits["assessment"], [8.0, 20.0])
    np.testing.assert_array_equal(waits["assessment_queue"], [3.0, 15.0])
    np.testing.assert_array_equal(waits["course"], [41.0])
    assert waits["one_to_one"].size == 0


def test_waits_so_far_run_unfinished_waits_to_the_horizon():
    measured = waits_so_far(steps(), HORIZON)
    to_call, contacted = measured["assessment"]
    np.testing.assert_array_equal(to_call, [8.0, 90.0, 20.0])
    assert contacted.all()
    to_course, group = measured["course"]
    np.testing.assert_array_equal(to_course, [41.0, 59.0])
    np.testing.assert_array_equal(group, [True, False, True])


def test_waits_so_far_count_people_still_waiting_to_be_reached():
    """Not yet reached at the horizon: waiting, counted; never reached and no longer
    chased: left, not counted."""
    waiting = StepTimes(
        referral=np.array([10.0, 20.0]),
        first_contact=np.array([NAN, NAN]),
        assessment=np.array([NAN, NAN]),
        assessment_end=np.array([NAN, NAN]),
        booked=np.array([NAN, NAN]),
        assessed=np.array([False, False]),
        group=np.array([False, False]),
        one_to_one=np.array([False, False]),
        end=np.array([NAN, 70.0]),
    )
    to_call, counted = waits_so_far(waiting, HORIZON)["assessment"]
    np.testing.assert_array_equal(to_call, [90.0])
    np.testing.assert_array_equal(counted, [True, False])


def test_a_wait_so_far_is_never_shorter_than_the_finished_wait(scenario):
    logs = simulate(scenario, seed=2, replication=0)
    log = logs.pathway
    horizon = scenario.horizon_hours
    every = step_times(log)
    finished = finished_waits(every, horizon)
    so_far, counted = waits_so_far(every, horizon)["assessment"]
    called = ~np.isnan(every.assessment)
    assert np.all(counted[called])  # every finished wait is counted so far, as it was
    np.testing.assert_array_equal(so_far[called[counted]], finished["assessment"])
    open_waits = so_far[~called[counted]]
    assert open_waits.size > 0 and np.all(open_waits >= 0)


def test_the_report_reads_the_waits_the_kpis_count(reported_run):
    """The waiting-time figure's data (from events.parquet) gives the KPIs' P90."""
    folder = read_output_folder(reported_run)
    waits = read_stage_waits(reported_run / "events.parquet", folder.run)
    replications = pd.read_csv(reported_run / "replications.csv")
    for replication, kpi in replications.set_index("replication")[
        "assessment_wait_p90_days"
    ].items():
        mine = waits[(waits["replication"] == replication) & (waits["stage"] == "assessment")]
        assert np.quantile(mine["wait_days"], 0.9) == pytest.approx(kpi, rel=1e-12)


def test_in_days():
    assert in_days(np.array([48.0]))[0] == 2.0


def test_the_event_table_carries_every_step_the_waits_need(scenario):
    logs = simulate(scenario, seed=2, replication=0)
    events = event_table(scenario, logs, 0)
    for column in (
        "first_contact_hours",
        "assessment_hours",
        "assessment_end_hours",
        "intervention_booked_hours",
    ):
        assert column in events
