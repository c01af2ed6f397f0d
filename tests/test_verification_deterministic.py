"""Deterministic cases with answers computed by hand.

The demand generator only makes Poisson referrals, so these cases drive the provider
model directly: referral times are written out, durations are ``fixed`` and every
probability is 0 or 1 (or a chosen uniform draw against a known threshold), so each
time in the log can be worked out on paper. Times are model hours from Monday 00:00.
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from simdivert.model.draws import FindDraws
from simdivert.model.provider import (
    COMPLETED,
    IN_SYSTEM,
    LEFT_AT_ASSESSMENT,
    ROUTE_GROUP,
    ROUTE_ONE_TO_ONE,
    PathwayLog,
    ProviderModel,
    pathway_samplers,
)
from simdivert.model.random_streams import RandomStreams
from simdivert.model.results import Window, capacity_kpis, queue_kpis
from simdivert.model.roster import duty_changes, session_times
from simdivert.scenario.course_streams import BUILTIN_STREAMS
from simdivert.scenario.schema import Scenario

from conftest import NO_SESSIONS, ROUND_THE_CLOCK, short_scenario

CANNABIS = BUILTIN_STREAMS.index("cannabis")
CERTAIN = (
    "run.warmup_days=0",
    "provider.availability=1",
    "provider.admin_share=0",
    "contact.first_attempt_delay_hours=0",
    "contact.answer_probability=1",
    "contact.attempt_minutes=0",
    "engagement.assessment_engage_probability=1",
    "engagement.one_to_one_engage_probability=1",
    "engagement.group_attend_probability=1",
    "engagement.patience_days=1e9",
    'provider.assessment_minutes={ dist = "fixed", value = 60 }',
    'provider.one_to_one_minutes={ dist = "fixed", value = 75 }',
    "provider.failed_call_minutes=10",
    "provider.one_to_one_notice_hours=0",
)


def certain_scenario(*overrides: str) -> Scenario:
    return short_scenario(*CERTAIN, *overrides)


def simulate(
    scenario: Scenario,
    referral_hours: list[float],
    route: list[int] | None = None,
    columns: dict[str, list[float]] | None = None,
) -> tuple[ProviderModel, PathwayLog]:
    """Run the provider model on hand-made referrals (adult cannabis, group unless routed).

    Referral ``i`` is find ``i``. Durations come from the scenario's (fixed)
    distributions; ``columns`` replace per-find draws by name, e.g.
    ``{"pathway.assessment_engage": [0.5, 0.5]}``. Drug workers on calls follow the
    scenario's rota (availability 1 and no admin share, so exactly ``drug_workers``).
    """
    n = len(referral_hours)
    draws = FindDraws(RandomStreams(0, 0), pathway_samplers(scenario), first_rows=n)
    for name, values in (columns or {}).items():
        draws.columns[name][:n] = values
    env = simpy.Environment()
    duty = duty_changes(scenario, np.random.default_rng(0))
    provider = ProviderModel(env, scenario, draws, duty)
    routes = route if route is not None else [ROUTE_GROUP] * n

    def referrals():
        for find, when in enumerate(referral_hours):
            yield env.timeout(when - env.now)
            provider.refer(find, CANNABIS, routes[find])

    env.process(referrals())
    env.run(until=scenario.horizon_hours)
    return provider, provider.finish()


def test_one_worker_overloaded_queue_grows_by_the_difference():
    """D/D/1: a referral every 30 minutes, an hour's assessment each.

    The n-th person (from 0) starts at n hours and so waits n x 30 minutes.
    """
    scenario = certain_scenario(*ROUND_THE_CLOCK, "provider.drug_workers=1", NO_SESSIONS)
    provider, log = simulate(scenario, [0.0, 0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(log.first_contact_hours, [0.0, 0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(log.assessment_hours, [0.0, 1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(log.assessment_end_hours, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert log.assessed.all()
    # Waiting for assessment: 0 + 0.5 + 1 + 1.5 + 2 = 5 person-hours over [0, 5).
    assert queue_kpis(log, Window(0.0, 5.0))["assessment_queue_mean"] == pytest.approx(1.0)
    # Busy the first five hours of ten.
    kpis = capacity_kpis(scenario, log, provider.sessions, provider.duty, Window(0.0, 10.0))
    assert kpis["drug_worker_utilisation"] == pytest.approx(0.5)


def test_two_workers_serve_in_arrival_order():
    """D/D/2: a referral every 15 minutes, an hour each: pairs start an hour apart."""
    scenario = certain_scenario(*ROUND_THE_CLOCK, "provider.drug_workers=2", NO_SESSIONS)
    _, log = simulate(scenario, [0.0, 0.25, 0.5, 0.75, 1.0, 1.25])
    np.testing.assert_allclose(log.assessment_hours, [0.0, 0.25, 1.0, 1.25, 2.0, 2.25])
    waits = log.assessment_hours - log.first_contact_hours
    np.testing.assert_allclose(waits, [0.0, 0.0, 0.5, 0.5, 1.0, 1.0])


def test_calls_happen_in_working_hours_and_no_call_runs_past_the_shift_end():
    """Mon-Fri 09:00-17:00, one drug worker, an hour per assessment.

    Fri 16:30 (112.5 h): contacted at once, but an hour's call cannot end by 17:00, so it
    waits for Monday 09:00 of the next week (177 h).
    Fri 16:45 (112.75 h): contacted at once, queued behind it: Monday 10:00 (178 h).
    Sat 10:00 (130 h): the first contact attempt moves to Monday 09:00 (177 h); queued
    behind the Friday referrals, assessed 11:00 (179 h).
    """
    scenario = certain_scenario("provider.drug_workers=1", NO_SESSIONS)
    _, log = simulate(scenario, [112.5, 112.75, 130.0])
    np.testing.assert_allclose(log.first_contact_hours, [112.5, 112.75, 177.0])
    np.testing.assert_allclose(log.assessment_hours, [177.0, 178.0, 179.0])
    np.testing.assert_allclose(log.assessment_end_hours, [178.0, 179.0, 180.0])


def test_a_call_that_fits_before_the_shift_end_starts():
    """As above with 20-minute assessments: Fri 16:30 is called 16:30-16:50; Fri 16:45
    waits until 16:50, and 16:50-17:10 would overrun, so it is called Monday 09:00."""
    scenario = certain_scenario(
        "provider.drug_workers=1",
        'provider.assessment_minutes={ dist = "fixed", value = 20 }',
        NO_SESSIONS,
    )
    _, log = simulate(scenario, [112.5, 112.75])
    np.testing.assert_allclose(log.assessment_hours, [112.5, 177.0])


def test_drug_workers_make_the_contact_attempts_in_the_assessment_queue():
    """One drug worker round the clock, 6-minute attempts, a 1-hour assessment; A and B
    referred at 0, A answers the first attempt, B the second (attempts 2 hours apart).

    A's attempt 0-0.1, then B's 0.1-0.2 (unanswered); A's assessment 0.2-1.2; B's next
    attempt is due at 2.1 (2 hours after the first began), answered by 2.2; assessed 2.2-3.2.
    """
    scenario = certain_scenario(
        *ROUND_THE_CLOCK,
        "provider.drug_workers=1",
        "contact.attempt_minutes=6",
        "contact.attempt_spacing_hours=2",
        "contact.answer_probability=0.5",
        NO_SESSIONS,
    )
    answers = {"pathway.contact.0": [0.1, 0.9], "pathway.contact.1": [0.1, 0.1]}
    _, log = simulate(scenario, [0.0, 0.0], columns=answers)
    np.testing.assert_allclose(log.first_contact_hours, [0.1, 2.2])
    np.testing.assert_allclose(log.assessment_hours, [0.2, 2.2])
    np.testing.assert_allclose(log.attempt_starts, [0.0, 0.1, 2.1])
    np.testing.assert_array_equal(log.contact_attempts, [1, 2])


def test_a_one_to_one_is_booked_with_notice():
    """One drug worker round the clock: A is assessed 0-1 and needs a one-to-one booked
    a day ahead: 25-26.25."""
    scenario = certain_scenario(
        *ROUND_THE_CLOCK, "provider.drug_workers=1", "provider.one_to_one_notice_hours=24"
    )
    _, log = simulate(scenario, [0.0], route=[ROUTE_ONE_TO_ONE])
    assert log.intervention_booked_hours[0] == pytest.approx(25.0)
    assert log.intervention_end_hours[0] == pytest.approx(26.25)


def test_one_to_one_sessions_queue_with_assessments_for_the_same_workers():
    """One drug worker. A (needs a one-to-one) referred at 0, B at 0.5.

    A is assessed 0-1; B has waited since 0.5, so B is called 1-2 before A's
    one-to-one, which runs 2-3.25 (75 minutes).
    """
    scenario = certain_scenario(*ROUND_THE_CLOCK, "provider.drug_workers=1", NO_SESSIONS)
    _, log = simulate(scenario, [0.0, 0.5], route=[ROUTE_ONE_TO_ONE, ROUTE_GROUP])
    np.testing.assert_allclose(log.assessment_hours, [0.0, 1.0])
    assert log.intervention_booked_hours[0] == pytest.approx(2.0)
    assert log.intervention_end_hours[0] == pytest.approx(3.25)
    assert log.state[0] == COMPLETED and log.end_hours[0] == pytest.approx(3.25)
    assert log.state[1] == IN_SYSTEM  # no group sessions run: B waits for one


def test_engagement_falls_with_the_wait():
    """One worker, ten-hour assessments, patience one day, three people referred at 0.

    With uniform draw 0.5, a person engages if 0.5 < exp(-wait / 24 h), i.e. if the
    wait is under 24 ln 2 = 16.6 h. The second waits 10 h and is assessed (10-20); the
    third waits 20 h, does not engage, and the failed call takes 10 minutes.
    """
    scenario = certain_scenario(
        *ROUND_THE_CLOCK,
        "provider.drug_workers=1",
        'provider.assessment_minutes={ dist = "fixed", value = 600 }',
        "engagement.patience_days=1",
        NO_SESSIONS,
    )
    _, log = simulate(scenario, [0.0, 0.0, 0.0], columns={"pathway.assessment_engage": [0.5] * 3})
    np.testing.assert_allclose(log.assessment_hours, [0.0, 10.0, 20.0])
    np.testing.assert_array_equal(log.assessed, [True, True, False])
    assert log.state[2] == LEFT_AT_ASSESSMENT
    assert log.end_hours[2] == pytest.approx(20.0 + 10 / 60)


def test_group_sessions_fill_in_booking_order_and_no_shows_are_rebooked():
    """Cannabis course every Monday 10:00, two places, 48 hours' booking notice.

    Three people assessed 0-1 on Monday: the earliest bookable session is the next
    Monday 10:00 (178 h). The first two get its places, the third the following Monday
    (346 h). The second does not turn up (draw 0.99 against 0.8) and is rebooked at
    178 + 48 h: into the last place at 346 h, where all attend.
    """
    scenario = certain_scenario(
        *ROUND_THE_CLOCK,
        "provider.drug_workers=3",
        'course.session_days=["Mon"]',
        "course.session_start_hours=[10]",
        "course.sessions_per_week={ cannabis = 1, cocaine = 0, nitrous_oxide = 0, general = 0, "
        "under_18 = 0 }",
        "course.places_per_session=2",
        "course.booking_notice_hours=48",
        "course.session_hours=2.5",
        "course.prep_hours_per_session=1",
        "course.facilitators=3",
        "course.facilitators_per_session=2",
        "course.facilitator_hours_per_week=37.5",
        "engagement.group_attend_probability=0.8",
        "engagement.max_rebookings=2",
    )
    horizon = scenario.horizon_hours
    np.testing.assert_allclose(session_times(scenario)["cannabis"], np.arange(10.0, horizon, 168.0))
    # Booking k of person i attends if draw k of column i is under 0.8.
    attend = {f"pathway.group_attend.{k}": [0.0, 0.0, 0.0] for k in range(3)}
    attend["pathway.group_attend.0"] = [0.0, 0.99, 0.0]
    provider, log = simulate(scenario, [0.0, 0.0, 0.0], columns=attend)
    np.testing.assert_allclose(log.assessment_end_hours, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(log.intervention_booked_hours, [178.0, 178.0, 346.0])
    np.testing.assert_array_equal(log.no_shows, [0, 1, 0])
    np.testing.assert_array_equal(log.state, [COMPLETED] * 3)
    np.testing.assert_allclose(log.end_hours, [180.5, 348.5, 348.5])

    window = Window(0.0, horizon)
    kpis = capacity_kpis(scenario, log, provider.sessions, provider.duty, window)
    # Two sessions ran, each with 2 facilitators for 2.5 h plus 1 h preparation = 14 h,
    # of 3 facilitators x 37.5 h a week.
    assert kpis["facilitator_utilisation"] == pytest.approx(14.0 / (3 * 37.5 * horizon / 168.0))
    # Three attendances in two sessions of two places.
    assert kpis["group_session_fill_rate"] == pytest.approx(0.75)
