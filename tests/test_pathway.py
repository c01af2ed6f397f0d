"""The provider pathway: bookings, rota, conservation and extreme cases."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simdivert.model.provider import COMPLETED, SessionBook
from simdivert.model.replication import run_replication, simulate
from simdivert.model.roster import cycle_session_times, session_times, working_windows
from simdivert.scenario.course_streams import BUILTIN_STREAMS as STREAMS

from conftest import short_scenario

TERMINAL = {
    "completed",
    "not_contacted",
    "disengaged_assessment",
    "disengaged_one_to_one",
    "disengaged_course",
}


def test_session_book_fills_sessions_in_order():
    book = SessionBook.from_timetable(
        STREAMS, {s: np.array([10.0, 20.0, 30.0]) for s in STREAMS}, [2] * len(STREAMS)
    )
    assert [book.book(0, 0.0) for _ in range(5)] == [0, 0, 1, 1, 2]
    assert book.book(0, 0.0) == 2
    assert book.book(0, 0.0) == -1  # all full
    assert book.book(1, 15.0) == 1  # the first session after the earliest time
    assert book.book(1, 35.0) == -1


def test_timetable_runs_the_sessions_asked_for(scenario):
    times = cycle_session_times(scenario.course, 0.0, 4 * 168.0)
    weekly = scenario.course.sessions_per_week
    assert len(times["cannabis"]) == 4 * weekly["cannabis"]
    assert len(times["nitrous_oxide"]) == 4 * weekly["nitrous_oxide"]
    every = np.concatenate(list(times.values()))
    # One session at a time: three facilitators, two a session.
    assert len(np.unique(every)) == len(every)


def test_each_staffing_period_has_its_own_timetable():
    scenario = short_scenario(
        "run.years=1",
        "run.warmup_days=0",
        "staffing=[{ from_day = 182, sessions_per_week = { cannabis = 10, cocaine = 1,"
        " nitrous_oxide = 0.5, general = 0.5, under_18 = 1.5 } }]",
    )
    cannabis = session_times(scenario)["cannabis"] / 24
    assert np.sum(cannabis < 182) == pytest.approx(7 * 26, abs=7)
    assert np.sum(cannabis >= 182) == pytest.approx(10 * 26, abs=10)


def test_contact_attempts_fall_in_working_hours(scenario):
    pathway = simulate(scenario, 2, 0).pathway
    windows = working_windows(scenario.provider)
    reached = ~np.isnan(pathway.first_contact_hours)
    contact = pathway.first_contact_hours[reached]
    np.testing.assert_array_equal(windows.next_open(contact), contact)
    delay = scenario.contact.first_attempt_delay_hours
    assert np.all(contact >= pathway.referral_hours[reached] + delay)
    never = pathway.state == 2
    assert np.all(pathway.contact_attempts[never] == scenario.contact.max_attempts)


def check_log(events: pd.DataFrame) -> None:
    """Invariants every event log must satisfy."""
    referred = events[events["outcome"] == "diverted"]
    states = referred["state"].astype(str)
    assert set(states) <= TERMINAL | {"in_system"}
    assert events.loc[events["outcome"] != "diverted", "state"].isna().all()
    terminal = states != "in_system"
    assert referred.loc[terminal, "end_hours"].notna().all()
    assert referred.loc[~terminal, "end_hours"].isna().all()
    assert (referred.loc[terminal, "end_hours"] >= referred.loc[terminal, "find_hours"]).all()
    called = referred["assessment_hours"].notna()
    assert (
        referred.loc[called, "assessment_hours"] >= referred.loc[called, "first_contact_hours"]
    ).all()
    assert (referred.loc[called, "first_contact_hours"] >= referred.loc[called, "find_hours"]).all()
    assert referred.loc[states == "completed", "assessed"].all()
    booked = referred["intervention_booked_hours"].notna() & referred["assessed"]
    assert (
        referred.loc[booked, "intervention_booked_hours"]
        >= referred.loc[booked, "assessment_end_hours"]
    ).all()
    assert referred.loc[states == "not_contacted", "first_contact_hours"].isna().all()
    assert (referred.loc[~referred["assessed"], "route"].astype(str) == "none").all()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drug_workers=st.integers(0, 4),
    answer=st.floats(0.0, 1.0),
    engage=st.floats(0.0, 1.0),
    attend=st.floats(0.0, 1.0),
    rebookings=st.integers(0, 3),
    sessions_per_course=st.integers(1, 3),
    cannabis_sessions=st.sampled_from([0, 0.5, 3, 8]),
    patience=st.floats(0.5, 200.0),
    seed=st.integers(0, 10_000),
)
def test_every_referral_is_accounted_for(
    drug_workers,
    answer,
    engage,
    attend,
    rebookings,
    sessions_per_course,
    cannabis_sessions,
    patience,
    seed,
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
        f"course.sessions_per_course={sessions_per_course}",
        f"course.sessions_per_week.cannabis={cannabis_sessions}",
    )
    result = run_replication(scenario, seed, 0, keep_events=True)
    kpis, events = result.kpis, result.events
    check_log(events)
    shares = [kpis[f"share_{s}"] for s in (*TERMINAL, "in_system_at_end")]
    assert kpis["referrals_per_year"] > 0  # the demand above always refers someone
    assert abs(sum(shares) - 1.0) < 1e-9
    cohort = (events["outcome"] == "diverted") & (events["find_hours"] >= scenario.warmup_hours)
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


def test_completing_a_course_means_attending_every_session():
    scenario = short_scenario(
        "course.sessions_per_course=3",
        "course.facilitators=6",
        "course.sessions_per_week.cannabis=20",
    )
    logs = simulate(scenario, 5, 0)
    attended = sum(sum(stream) for stream in logs.sessions.attended)
    pathway = logs.pathway
    group_completers = np.sum((pathway.state == COMPLETED) & (pathway.route == 1))
    assert group_completers > 50
    # Every completer attended three sessions; others attended fewer.
    assert attended >= 3 * group_completers


def test_no_drug_workers_means_nobody_is_reached_when_they_make_the_calls():
    scenario = short_scenario("provider.drug_workers=0")
    pathway = simulate(scenario, 1, 0).pathway
    assert pathway.attempt_starts.size == 0 and np.isnan(pathway.first_contact_hours).all()
    assert set(pathway.state.tolist()) == {0}  # everyone still waiting for a first call
    queue = run_replication(scenario, 1, 0).timeseries
    weekly = queue[queue["stage"] == "contact"]["queue_mean"].to_numpy()
    assert np.all(np.diff(weekly) >= 0) and weekly[-1] > weekly[1]  # grows with arrivals


def test_no_drug_workers_means_no_assessments_and_a_growing_queue():
    """A referral team makes the contact calls (no drug worker's time)."""
    scenario = short_scenario("provider.drug_workers=0", "contact.attempt_minutes=0")
    pathway = simulate(scenario, 1, 0).pathway
    assert np.isnan(pathway.assessment_hours).all()
    contacted = pathway.first_contact_hours
    assert np.sum(contacted < scenario.horizon_hours) > 100
    assert set(pathway.state.tolist()) <= {0, 2}  # in the system, or never reached
    queue = run_replication(scenario, 1, 0).timeseries
    weekly = queue[queue["stage"] == "assessment"]["queue_mean"].to_numpy()
    assert np.all(np.diff(weekly) >= 0) and weekly[-1] > weekly[1]  # grows with arrivals


def test_ample_drug_workers_leave_only_the_contact_delay():
    scenario = short_scenario("provider.drug_workers=200")
    kpis = run_replication(scenario, 1, 0).kpis
    # With a worker always free the queue wait is only the time to the next shift start,
    # for a call that would not end by the end of this one.
    assert kpis["assessment_queue_wait_mean_days"] < 0.05
    pathway = simulate(scenario, 1, 0).pathway
    called = ~np.isnan(pathway.assessment_hours)
    waited = called & (pathway.assessment_hours > pathway.first_contact_hours + 1e-6)
    assert waited.any()
    assert np.allclose(pathway.assessment_hours[waited] % 24, scenario.provider.day_start_hour)
    would_end = pathway.first_contact_hours[waited] % 24 + (
        pathway.assessment_end_hours[waited] - pathway.assessment_hours[waited]
    )
    failed = pathway.state[waited] == 3  # a failed call is booked for the whole assessment
    assert np.all((would_end > scenario.provider.day_end_hour) | failed)
    assert abs(kpis["assessment_wait_mean_days"] - kpis["first_contact_wait_mean_days"]) < 0.05


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    workers=st.integers(2, 5),
    extra=st.integers(1, 3),
    cannabis_sessions=st.sampled_from([6, 7, 9]),
    seed=st.integers(0, 1000),
)
def test_more_staff_never_lengthens_a_wait(workers, extra, cannabis_sessions, seed):
    """Common random numbers: the same people, more drug workers or more places.

    The queue wait for a drug worker and the wait for a group place may only shorten;
    a tolerance of a hundredth of a day allows for people who now engage, and so queue,
    where before they had left. More places go into the same sessions: more sessions a
    week would move sessions around the timetable, so one person's next session can
    come later (2 workers, 9 cannabis sessions against 11, seed 0: +0.03 days).
    """

    def waits(drug_workers, places):
        scenario = short_scenario(
            f"provider.drug_workers={drug_workers}",
            f"course.sessions_per_week.cannabis={cannabis_sessions}",
            f"course.places_per_session={places}",
            "course.facilitators=6",
        )
        kpis = run_replication(scenario, seed, 0).kpis
        return kpis["assessment_queue_wait_mean_days"], kpis["course_wait_mean_days"]

    places = 8
    base_queue, base_course = waits(workers, places)
    more_queue, _ = waits(workers + extra, places)
    _, more_course = waits(workers, places + extra)
    assert more_queue <= base_queue + 0.01
    assert more_course <= base_course + 0.25


def test_in_person_streams_have_their_own_session_size():
    scenario = short_scenario(
        'course.in_person_streams=["under_18"]', "course.in_person_places_per_session=4"
    )
    sessions = simulate(scenario, 1, 0).sessions
    under_18 = scenario.streams.index("under_18")
    assert max(sessions.booked[under_18]) == 4
    assert max(sessions.booked[scenario.streams.index("cannabis")]) == 12


def test_reactive_slots_open_and_close_in_the_session_book():
    book = SessionBook.from_timetable(
        STREAMS,
        {s: np.array([10.0, 30.0]) for s in STREAMS},
        [1] * len(STREAMS),
        {"cannabis": np.array([20.0, 40.0])},
    )
    assert book.times[0] == [10.0, 20.0, 30.0, 40.0]
    assert [book.book(0, 0.0) for _ in range(2)] == [0, 2]  # the slots are closed
    assert book.projected_wait(0, 5.0) == np.inf
    book.add_sessions(0, 15.0)
    assert book.projected_wait(0, 5.0) == 15.0  # the slot at 20 is open now
    assert book.book(0, 0.0) == 1
    book.remove_sessions(0, 15.0)  # the one at 20 is booked and stays; 40 goes
    assert book.kind[0] == [0, 2, 0, 3] and book.book(0, 0.0) == -1
    # The waiting list: the places held after now, and the one person left unplaced.
    assert [book.waiting(0, now) for now in (0.0, 10.0, 20.0, 40.0)] == [4, 3, 2, 1]


def test_reactive_sessions_shorten_a_growing_course_queue():
    """One cannabis session a fortnight cannot keep up; with the rule, sessions are added
    once the projected wait passes 14 days, and the wait to a session falls."""
    tight = (
        "course.sessions_per_week={ cannabis = 0.5, cocaine = 0.5, nitrous_oxide = 0.5, "
        "general = 0.5, under_18 = 0.5 }",
        "run.years=0.5",
    )
    rule = (
        'course.reactive={ streams = ["cannabis"], add_above_wait_days = 14, '
        'remove_below_wait_days = 7, lead_time_days = 7, session_days = ["Tue", "Thu"], '
        "session_start_hour = 18 }"
    )
    fixed = run_replication(short_scenario(*tight), 1, 0).kpis
    reactive = run_replication(short_scenario(*tight, rule), 1, 0).kpis
    assert fixed["reactive_sessions_added_per_year"] == 0
    assert reactive["reactive_sessions_added_per_year"] > 0
    assert reactive["course_wait_so_far_p90_days"] < fixed["course_wait_so_far_p90_days"]
    assert reactive["facilitator_hours_used_per_year"] > fixed["facilitator_hours_used_per_year"]
    # No draw depends on the rule: the same people are found first (repeat finds follow
    # what happened to them, so those may differ).
    first = [simulate(short_scenario(*tight, *extra), 1, 0).demand for extra in ((), (rule,))]
    np.testing.assert_array_equal(first[0].people.substance, first[1].people.substance)


def test_a_waiting_list_threshold_adds_sessions_too():
    """The same tight timetable, with the rule on the waiting list only (no wait
    threshold): sessions are added once more than 30 people wait for a cannabis place,
    and the wait falls as with the wait threshold."""
    tight = (
        "course.sessions_per_week={ cannabis = 0.5, cocaine = 0.5, nitrous_oxide = 0.5, "
        "general = 0.5, under_18 = 0.5 }",
        "run.years=0.5",
    )
    by_list = (
        'course.reactive={ streams = ["cannabis"], add_above_waiting = 30, '
        'remove_below_waiting = 10, lead_time_days = 7, session_days = ["Tue", "Thu"], '
        "session_start_hour = 18 }"
    )
    never = by_list.replace("add_above_waiting = 30", "add_above_waiting = 100000")
    fixed = run_replication(short_scenario(*tight, never), 1, 0).kpis
    reactive = run_replication(short_scenario(*tight, by_list), 1, 0).kpis
    assert fixed["reactive_sessions_added_per_year"] == 0
    assert reactive["reactive_sessions_added_per_year"] > 0
    assert reactive["course_wait_so_far_p90_days"] < fixed["course_wait_so_far_p90_days"]


def test_an_overbooked_session_takes_bookings_above_its_places():
    book = SessionBook.from_timetable(
        STREAMS,
        {s: np.array([10.0, 30.0]) for s in STREAMS},
        [2] * len(STREAMS),
        None,
        [3] * len(STREAMS),
    )
    assert [book.book(0, 0.0) for _ in range(4)] == [0, 0, 0, 1]


def test_overbooking_turns_away_attenders_above_the_places_and_rebooks_them():
    """Everyone turns up: a session booked to twice its places turns half away, nobody
    sits in a place that is not there, and without overbooking nobody is turned away."""
    everyone = ("engagement.group_attend_probability=1", "engagement.patience_days=inf")
    over = "course.overbooking={ share_over = 1.0 }"
    plain = simulate(short_scenario(*everyone), 1, 0)
    overbooked = simulate(short_scenario(*everyone, over), 1, 0)
    for stream, places in enumerate(overbooked.sessions.places):
        assert max(overbooked.sessions.attended[stream]) <= places
        assert max(overbooked.sessions.booked[stream]) <= 2 * places
    assert sum(map(sum, overbooked.sessions.turned_away)) > 0
    assert sum(map(sum, plain.sessions.turned_away)) == 0
    kpis = {
        name: run_replication(short_scenario(*everyone, *extra), 1, 0).kpis
        for name, extra in (("plain", ()), ("over", (over,)))
    }
    assert kpis["plain"]["overbooked_sessions_per_year"] == 0
    assert kpis["plain"]["turned_away_per_year"] == 0
    assert kpis["over"]["overbooked_sessions_per_year"] > 0
    assert kpis["over"]["turned_away_per_year"] > 0


def test_overbooking_to_expected_attendance_fills_places_no_shows_leave_empty():
    """With many no-shows on a tight timetable, booking to the expected attendance fills
    more places and shortens the wait; the same people are found (no draw shifts)."""
    tight = (
        "course.sessions_per_week={ cannabis = 1, cocaine = 0.5, nitrous_oxide = 0.5, "
        "general = 0.5, under_18 = 0.5 }",
        "engagement.group_attend_probability=0.6",
        "run.years=0.5",
    )
    over = "course.overbooking={ to_expected_attendance = true }"
    fixed = run_replication(short_scenario(*tight), 1, 0).kpis
    overbooked = run_replication(short_scenario(*tight, over), 1, 0).kpis
    assert overbooked["group_session_fill_rate"] > fixed["group_session_fill_rate"]
    assert overbooked["course_wait_so_far_p90_days"] < fixed["course_wait_so_far_p90_days"]
    first = [simulate(short_scenario(*tight, *extra), 1, 0).demand for extra in ((), (over,))]
    np.testing.assert_array_equal(first[0].people.substance, first[1].people.substance)
