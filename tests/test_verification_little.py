"""Little's law at every stage: time-average number waiting = throughput x mean wait.

The queue KPIs (``<stage>_queue_mean``, over the policy period) are computed from the
area under the number waiting; here throughput and waits come from the per-find event
log (its referrals: ``outcome == "diverted"``, referred at ``find_hours``), with each
stage's wait read from the log's own columns. Two versions:

* Over the whole run from empty, the scheme live from the start, with a wait still
  open at the end counted up to the end, Little's law is an identity of the sample
  path: it must hold to rounding, on any run, including overloaded and unstaffed ones.
* Over a year after the scheme has run for 56 days, with each person's whole wait, the
  two sides differ only by people waiting across the window's edges: they must agree
  within 2%.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simdivert.clock import HOURS_PER_YEAR
from simdivert.model.queues import stage_intervals, time_average
from simdivert.model.replication import run_replication, simulate
from simdivert.scenario.files import load_scenario

from conftest import EMBEDDED, short_scenario

STAGES = ("contact", "assessment", "one_to_one", "course")


def stage_waits(events: pd.DataFrame, stage: str) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of every wait at a stage; end is NaN while still waiting.

    contact: referral to the answered call (or the last unanswered attempt);
    assessment: answered call to the assessment call; one_to_one: end of assessment
    to the one-to-one call; course: end of assessment to completing or leaving the course.
    """
    events = events[events["outcome"] == "diverted"]
    reached = events["first_contact_hours"].notna()
    assessed = events["assessed"]
    route = events["route"].astype(str)
    if stage == "contact":
        end = events["first_contact_hours"].where(reached, events["end_hours"])
        return events["find_hours"].to_numpy(), end.to_numpy()
    if stage == "assessment":
        rows = events[reached]
        return rows["first_contact_hours"].to_numpy(), rows["assessment_hours"].to_numpy()
    if stage == "one_to_one":
        rows = events[assessed & (route == "one_to_one")]
        return rows["assessment_end_hours"].to_numpy(), rows["intervention_booked_hours"].to_numpy()
    rows = events[assessed & (route == "group")]
    return rows["assessment_end_hours"].to_numpy(), rows["end_hours"].to_numpy()


def throughput_and_wait(
    starts: np.ndarray, ends: np.ndarray, t0: float, t1: float, horizon: float
) -> tuple[float, float]:
    """Waits started per hour in [t0, t1), and their mean length (open waits end at horizon)."""
    inside = (starts >= t0) & (starts < t1)
    lengths = np.minimum(np.where(np.isnan(ends), horizon, ends), horizon) - starts
    return inside.sum() / (t1 - t0), float(lengths[inside].mean()) if inside.any() else 0.0


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param((), id="default"),
        pytest.param(("provider.drug_workers=2",), id="overloaded"),
        pytest.param(("provider.drug_workers=0",), id="no drug workers"),
        pytest.param(("course.sessions_per_week.cannabis=2",), id="course backlog"),
        pytest.param(("engagement.patience_days=3", "engagement.max_rebookings=0"), id="impatient"),
    ],
)
def test_littles_law_holds_exactly_over_the_whole_run(overrides):
    assert_littles_law_over_the_whole_run(
        short_scenario("run.warmup_days=0", "run.years=0.25", *overrides), seed=3
    )


def test_the_log_holds_every_referral_with_its_referral_time():
    """The events' referrals are the pathway's, so the checks below see every wait."""
    scenario = short_scenario("run.warmup_days=0", "run.years=0.1")
    logs = simulate(scenario, 3, 0)
    events = run_replication(scenario, 3, 0, keep_events=True).events
    referrals = events[events["outcome"] == "diverted"]
    assert len(referrals) == logs.pathway.size > 100
    np.testing.assert_array_equal(
        np.sort(referrals["find_hours"].to_numpy()), np.sort(logs.pathway.referral_hours)
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drug_workers=st.integers(0, 5),
    answer=st.floats(0.05, 1.0),
    engage=st.floats(0.0, 1.0),
    attend=st.floats(0.0, 1.0),
    cannabis_sessions=st.sampled_from([0, 0.5, 3, 8]),
    patience=st.floats(0.5, 200.0),
    seed=st.integers(0, 10_000),
)
def test_littles_law_holds_exactly_on_any_run(
    drug_workers, answer, engage, attend, cannabis_sessions, patience, seed
):
    assert_littles_law_over_the_whole_run(
        short_scenario(
            "run.warmup_days=0",
            "run.years=0.1",
            f"provider.drug_workers={drug_workers}",
            f"contact.answer_probability={answer}",
            f"engagement.assessment_engage_probability={engage}",
            f"engagement.group_attend_probability={attend}",
            f"engagement.patience_days={patience}",
            f"course.sessions_per_week.cannabis={cannabis_sessions}",
        ),
        seed,
    )


def assert_littles_law_over_the_whole_run(scenario, seed: int) -> None:
    """With no warm-up and the launch at 0 the queue KPIs cover the whole run, [0, horizon)."""
    assert scenario.warmup_hours == 0 and scenario.launch_hours == 0
    horizon = scenario.horizon_hours
    result = run_replication(scenario, seed, 0, keep_events=True)
    for stage in STAGES:
        starts, ends = stage_waits(result.events, stage)
        throughput, mean_wait = throughput_and_wait(starts, ends, 0.0, horizon, horizon)
        assert result.kpis[f"{stage}_queue_mean"] == pytest.approx(
            throughput * mean_wait, rel=1e-9, abs=1e-12
        ), stage


STEADY_FROM_HOURS = 56 * 24.0  # the year measured starts 56 days after the launch
STEADY_TO_HOURS = STEADY_FROM_HOURS + HOURS_PER_YEAR


@pytest.fixture(scope="module")
def steady_year():
    """The default scenario, the scheme live from t = 0, run for 1.3 years; two replications.

    The year checked, 56 days after the launch, ends 54 days before the run does, so
    the waits started in it have ended (or are still open at the horizon, counted to it).
    """
    scenario = load_scenario(
        None, ["run.warmup_days=0", "run.years=1.3", "policy.launch_after_days=0", *EMBEDDED]
    )
    results = [run_replication(scenario, 11, r, keep_events=True) for r in range(2)]
    logs = [simulate(scenario, 11, r).pathway for r in range(2)]
    return scenario, results, logs


@pytest.mark.parametrize("stage", STAGES)
def test_littles_law_holds_within_two_percent_in_steady_state(steady_year, stage):
    """Time-average number waiting over the year against waits started in it x their
    whole length: they differ only by the people waiting across the year's edges."""
    scenario, results, logs = steady_year
    t0, t1, horizon = STEADY_FROM_HOURS, STEADY_TO_HOURS, scenario.horizon_hours
    for result, log in zip(results, logs, strict=True):
        starts, ends = stage_waits(result.events, stage)
        throughput, mean_wait = throughput_and_wait(starts, ends, t0, t1, horizon)
        queue_mean = time_average(*stage_intervals(log)[stage], t0, t1)
        assert queue_mean > 0.1  # a real queue, not an empty one
        assert throughput * mean_wait == pytest.approx(queue_mean, rel=0.02)


def test_assessment_wait_kpi_obeys_littles_law(steady_year):
    """The published KPIs themselves: contacts a day x queue wait = mean queue length."""
    scenario, results, _ = steady_year
    t0, t1 = scenario.launch_hours, scenario.horizon_hours
    for result in results:
        starts, _ = stage_waits(result.events, "assessment")
        contacts_per_day = np.sum((starts >= t0) & (starts < t1)) / ((t1 - t0) / 24)
        kpis = result.kpis
        assert contacts_per_day * kpis["assessment_queue_wait_mean_days"] == pytest.approx(
            kpis["assessment_queue_mean"], rel=0.02
        )
