"""Extreme inputs: no demand, no staff, unlimited capacity.

Each has an answer that needs no simulation to know: nothing happens; everything
piles up; nobody waits for anything but the clock.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.model.replication import run_replication
from simdivert.model.results import Window
from simdivert.model.roster import session_times

from conftest import NO_SESSIONS, ROUND_THE_CLOCK, short_scenario

NO_DEMAND = ("demand.searches_per_year=0", "demand.other_finds_per_year=0")


def test_zero_demand_gives_an_idle_provider():
    scenario = short_scenario(*NO_DEMAND)
    result = run_replication(scenario, 1, 0, keep_events=True)
    kpis = result.kpis
    assert len(result.events) == 0
    for name in ("encounters_per_year", "referrals_per_year", "in_system_at_end"):
        assert kpis[name] == 0
    for stage in ("contact", "assessment", "one_to_one", "course"):
        assert kpis[f"{stage}_queue_mean"] == 0
    assert kpis["drug_worker_utilisation"] == 0
    assert kpis["police_hours_saved_published_per_year"] == 0
    # Shares and waits of nobody are undefined, not zero.
    assert math.isnan(kpis["share_assessed"]) and math.isnan(kpis["assessment_wait_mean_days"])
    assert (result.timeseries["queue_mean"] == 0).all()


def test_zero_demand_runs_from_the_command_line(tmp_path):
    args = ["run", "--years", "0.1", "--reps", "2", "--workers", "1", "--out", tmp_path / "idle"]
    for key in (*NO_DEMAND, "policy.launch_after_days=0"):
        args += ["--set", key]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "idle" / "summary.csv").set_index("kpi")
    assert summary.loc["referrals_per_year", "mean"] == 0
    assert np.isnan(summary.loc["share_assessed", "mean"])


def test_zero_drug_workers_everyone_reached_waits_for_assessment():
    # A referral team makes the calls (with drug workers making them, nobody is reached:
    # tests/test_pathway.py).
    scenario = short_scenario(
        "provider.drug_workers=0", "run.warmup_days=0", "contact.attempt_minutes=0"
    )
    result = run_replication(scenario, 2, 0, keep_events=True)
    kpis, events = result.kpis, result.events
    horizon = scenario.horizon_hours
    contacted = events["first_contact_hours"] < horizon
    assert kpis["share_assessed"] == 0 and kpis["share_completed"] == 0
    assert kpis["waiting_for_assessment_at_end"] == contacted.sum()
    assert math.isnan(kpis["drug_worker_utilisation"])  # no hours on duty to divide by
    # Nobody leaves the assessment queue: its time average is the mean time since contact.
    since_contact = horizon - events.loc[contacted, "first_contact_hours"]
    assert kpis["assessment_queue_mean"] == pytest.approx(since_contact.sum() / horizon)
    # The weekly series only grows.
    weekly = result.timeseries.query("stage == 'assessment'")["queue_mean"].to_numpy()
    assert np.all(np.diff(weekly) >= 0) and weekly[-1] > 50


def test_zero_facilitators_nobody_finishes_a_group_course():
    scenario = short_scenario(
        "course.facilitators=0",
        NO_SESSIONS,
    )
    result = run_replication(scenario, 2, 0, keep_events=True)
    events = result.events
    group = events["assessed"] & (events["route"].astype(str) == "group")
    assert group.sum() > 100
    assert (events.loc[group, "state"].astype(str) == "in_system").all()
    completed = events["state"].astype(str) == "completed"
    assert (events.loc[completed, "route"].astype(str) == "one_to_one").all()
    assert math.isnan(result.kpis["facilitator_utilisation"])
    assert math.isnan(result.kpis["group_session_fill_rate"])


def test_unlimited_drug_workers_nobody_queues_for_assessment():
    """Ten thousand workers on duty round the clock, contact at once: no wait at all."""
    scenario = short_scenario(
        *ROUND_THE_CLOCK,
        "provider.drug_workers=10000",
        "provider.availability=1",
        "provider.admin_share=0",
        "contact.first_attempt_delay_hours=0",
        "contact.answer_probability=1",
        "contact.attempt_minutes=0",
    )
    result = run_replication(scenario, 3, 0, keep_events=True)
    kpis, events = result.kpis, result.events
    assert kpis["share_waited_for_assessment"] == 0
    assert kpis["assessment_queue_wait_mean_days"] == 0
    assert kpis["assessment_queue_mean"] == 0
    assert kpis["first_contact_wait_mean_days"] == 0
    assert kpis["assessment_wait_mean_days"] == 0
    # Utilisation is the hours of calls the referrals bring over 10,000 workers' hours.
    window = Window(scenario.launch_hours, scenario.horizon_hours)
    one_to_one = events["route"].astype(str) == "one_to_one"
    busy = window.overlap_hours(
        events["assessment_hours"].to_numpy(), events["assessment_end_hours"].to_numpy()
    ) + window.overlap_hours(
        events.loc[one_to_one, "intervention_booked_hours"].to_numpy(),
        events.loc[one_to_one, "intervention_end_hours"].to_numpy(),
    )
    assert busy > 100
    expected = busy / (10000 * (window.end - window.start))
    assert kpis["drug_worker_utilisation"] == pytest.approx(expected, rel=1e-9)


def test_unlimited_places_everyone_gets_the_first_session_after_the_notice():
    """With more places than people, the wait for a group session is set by the timetable."""
    scenario = short_scenario("course.places_per_session=100000", "engagement.max_rebookings=0")
    events = run_replication(scenario, 4, 0, keep_events=True).events
    timetable = session_times(scenario)
    booked = events["assessed"] & events["intervention_booked_hours"].notna()
    booked &= events["route"].astype(str) == "group"
    assert booked.sum() > 500
    notice = scenario.course.booking_notice_hours
    for stream in scenario.streams:
        rows = events[booked & (events["stream"].astype(str) == stream)]
        earliest = rows["assessment_end_hours"].to_numpy() + notice
        times = timetable[stream]
        first_session = times[np.searchsorted(times, earliest, side="left")]
        np.testing.assert_array_equal(rows["intervention_booked_hours"].to_numpy(), first_session)
