"""The provider pathway: bookings, rota, conservation and extreme cases."""

import numpy as np
import pandas as pd
from conftest import short_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simdivert.model import run_replication
from simdivert.pathway import SessionBook, first_contact
from simdivert.roster import session_times, working_windows

TERMINAL = {
    "completed",
    "not_contacted",
    "disengaged_assessment",
    "disengaged_one_to_one",
    "disengaged_course",
}


def test_session_book_fills_sessions_in_order():
    book = SessionBook.from_timetable(
        {
            s: np.array([10.0, 20.0])
            for s in ("cannabis", "cocaine", "nitrous_oxide", "general", "under_18")
        },
        places=2,
    )
    assert [book.book(0, 0.0) for _ in range(5)] == [0, 0, 1, 1, -1]
    assert book.book(1, 15.0) == 1  # the first session after the earliest time
    assert book.book(1, 25.0) == -1


def test_timetable_runs_the_sessions_asked_for(scenario):
    times = session_times(scenario.course, 4 * 168.0)
    weekly = scenario.course.sessions_per_week
    assert len(times["cannabis"]) == 4 * weekly.cannabis
    assert len(times["nitrous_oxide"]) == 4 * weekly.nitrous_oxide
    every = np.concatenate(list(times.values()))
    # One session at a time: three facilitators, two a session.
    assert len(np.unique(every)) == len(every)


def test_contact_attempts_fall_in_working_hours(scenario):
    windows = working_windows(scenario.provider)
    referral = np.random.default_rng(0).uniform(0, 2000, 500)
    u = np.random.default_rng(1).random((500, scenario.contact.max_attempts))
    contact, attempts, last = first_contact(referral, u, scenario, windows)
    reached = ~np.isnan(contact)
    np.testing.assert_array_equal(windows.next_open(contact[reached]), contact[reached])
    assert np.all(
        contact[reached] >= referral[reached] + scenario.contact.first_attempt_delay_hours
    )
    assert np.all(attempts[~reached] == scenario.contact.max_attempts)
    assert np.all(last >= np.nan_to_num(contact, nan=0))


def check_log(events: pd.DataFrame, horizon: float) -> None:
    """Invariants every event log must satisfy."""
    states = events["state"].astype(str)
    assert set(states) <= TERMINAL | {"in_system"}
    terminal = states != "in_system"
    assert events.loc[terminal, "end_hours"].notna().all()
    assert events.loc[~terminal, "end_hours"].isna().all()
    assert (events.loc[terminal, "end_hours"] >= events.loc[terminal, "referral_hours"]).all()
    called = events["assessment_hours"].notna()
    assert (
        events.loc[called, "assessment_hours"] >= events.loc[called, "first_contact_hours"]
    ).all()
    assert (events.loc[called, "first_contact_hours"] >= events.loc[called, "referral_hours"]).all()
    completed = states == "completed"
    assert events.loc[completed, "assessed"].all()
    booked = events["intervention_booked_hours"].notna() & events["assessed"]
    assert (
        events.loc[booked, "intervention_booked_hours"]
        >= events.loc[booked, "assessment_end_hours"]
    ).all()
    assert (events.loc[states == "not_contacted", "first_contact_hours"].isna()).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drug_workers=st.integers(0, 4),
    answer=st.floats(0.0, 1.0),
    engage=st.floats(0.0, 1.0),
    attend=st.floats(0.0, 1.0),
    rebookings=st.integers(0, 3),
    cannabis_sessions=st.sampled_from([0, 0.5, 3, 8]),
    patience=st.floats(0.5, 200.0),
    seed=st.integers(0, 10_000),
)
def test_every_referral_is_accounted_for(
    drug_workers, answer, engage, attend, rebookings, cannabis_sessions, patience, seed
):
    scenario = short_scenario(
        "run.years=0.1",
        "run.warmup_days=7",
        "demand.searches_per_year=8000",
        "demand.other_finds_per_year=500",
        f"provider.drug_workers={drug_workers}",
        f"contact.answer_probability={answer}",
        f"engagement.assessment_engage_probability={engage}",
        f"engagement.group_attend_probability={attend}",
        f"engagement.max_rebookings={rebookings}",
        f"engagement.patience_days={patience}",
        f"course.sessions_per_week.cannabis={cannabis_sessions}",
    )
    result = run_replication(scenario, seed, 0, keep_events=True)
    kpis, events = result.kpis, result.events
    check_log(events, scenario.horizon_hours)
    shares = [kpis[f"share_{s}"] for s in (*TERMINAL, "in_system_at_end")]
    if kpis["referrals_per_year"] > 0:
        assert abs(sum(shares) - 1.0) < 1e-9
        cohort = events["referral_hours"] >= scenario.warmup_hours
        assert kpis["in_system_at_end"] == (events.loc[cohort, "state"] == "in_system").sum()
    for wait in (
        "first_contact_wait_mean_days",
        "assessment_wait_mean_days",
        "course_wait_mean_days",
        "one_to_one_wait_mean_days",
    ):
        assert np.isnan(kpis[wait]) or kpis[wait] >= 0
    if drug_workers == 0:
        assert not events["assessed"].any()


def test_no_drug_workers_means_no_assessments_and_a_growing_queue():
    scenario = short_scenario("provider.drug_workers=0")
    events = run_replication(scenario, 1, 0, keep_events=True).events
    assert events["assessment_hours"].isna().all()
    contacted = np.sort(events["first_contact_hours"].dropna().to_numpy())
    contacted = contacted[contacted < scenario.horizon_hours]
    # The queue is everyone contacted so far: it only grows.
    assert len(contacted) > 100
    assert (events["state"].astype(str).isin({"in_system", "not_contacted"})).all()


def test_ample_drug_workers_leave_only_the_contact_delay():
    scenario = short_scenario("provider.drug_workers=200")
    kpis = run_replication(scenario, 1, 0).kpis
    # With a worker always free the queue wait is only the time to the next shift start.
    assert kpis["assessment_queue_wait_mean_days"] < 0.01
    assert abs(kpis["assessment_wait_mean_days"] - kpis["first_contact_wait_mean_days"]) < 0.01


def test_more_drug_workers_never_lengthen_the_wait():
    """Common random numbers: the same people, more staff."""
    waits = [
        run_replication(short_scenario(f"provider.drug_workers={n}"), 3, 0).kpis[
            "assessment_queue_wait_mean_days"
        ]
        for n in (2, 3, 5)
    ]
    assert waits[0] >= waits[1] >= waits[2]
