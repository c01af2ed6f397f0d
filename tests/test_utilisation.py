"""The weekly utilisation table against sums done the slow way, call by call and week by week."""

import numpy as np
import pytest

from simdivert.clock import HOURS_PER_WEEK
from simdivert.model.replication import simulate
from simdivert.model.roster import on_duty_hours
from simdivert.model.utilisation import (
    call_intervals,
    facilitator_hours_contracted,
    sessions_held,
    weekly_utilisation,
)
from simdivert.scenario.files import load_scenario

from conftest import short_scenario


@pytest.fixture(scope="module")
def run():
    scenario = short_scenario(
        "policy.launch_after_days=0",
        "provider.drug_workers=3",
        "run.years=0.5",
        "staffing=[{ from_day = 60, drug_workers = 5, facilitators = 5 }]",
    )
    logs = simulate(scenario, seed=4, replication=0)
    table = weekly_utilisation(scenario, logs.pathway, logs.sessions, logs.duty, 0)
    return scenario, logs, table


def _weeks(scenario):
    n_weeks = int(np.ceil(scenario.horizon_hours / HOURS_PER_WEEK))
    bounds = np.minimum(np.arange(n_weeks + 1) * HOURS_PER_WEEK, scenario.horizon_hours)
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def test_drug_workers_busy_hours_are_each_weeks_share_of_every_call(run):
    scenario, logs, table = run
    starts, ends = call_intervals(logs.pathway)
    done = ~np.isnan(ends)
    busy = table[table.role == "drug_workers"].busy_hours.to_numpy()
    expected = [
        sum(
            max(min(e, hi) - max(s, lo), 0.0) for s, e in zip(starts[done], ends[done], strict=True)
        )
        for lo, hi in _weeks(scenario)
    ]
    assert busy == pytest.approx(expected, abs=1e-6)
    assert busy.sum() > 0


def test_available_hours_are_the_rota_and_the_contracts_week_by_week(run):
    scenario, logs, table = run
    times, counts = logs.duty
    weeks = _weeks(scenario)
    workers = table[table.role == "drug_workers"].available_hours.to_numpy()
    slow = []
    for lo, hi in weeks:  # the step function integrated piece by piece
        edges = np.append(times, np.inf)
        slow.append(np.sum(counts * (np.clip(edges[1:], lo, hi) - np.clip(edges[:-1], lo, hi))))
    assert workers == pytest.approx(slow, rel=1e-12, abs=1e-9)
    assert on_duty_hours(times, counts, 0.0, scenario.horizon_hours) == pytest.approx(sum(slow))
    facilitators = table[table.role == "facilitators"].available_hours.to_numpy()
    contracted = [
        sum(
            p.course.facilitators
            * p.course.facilitator_hours_per_week
            * max(min(hi, p.end_hours) - max(lo, p.start_hours), 0.0)
            / HOURS_PER_WEEK
            for p in scenario.staffing_periods()
        )
        for lo, hi in weeks
    ]
    assert facilitators == pytest.approx(contracted)
    assert facilitator_hours_contracted(scenario, *weeks[3]) == pytest.approx(contracted[3])
    assert facilitators[-2] > facilitators[0]  # two more facilitators from day 60


def test_facilitators_busy_hours_count_the_sessions_held_in_each_week(run):
    scenario, logs, table = run
    held = sessions_held(logs.sessions)[0]
    course = scenario.course
    per_session = course.facilitators_per_session * (
        course.session_hours + course.prep_hours_per_session
    )
    busy = table[table.role == "facilitators"].busy_hours.to_numpy()
    expected = [np.sum((held >= lo) & (held < hi)) * per_session for lo, hi in _weeks(scenario)]
    assert busy.tolist() == expected
    ratio = table.busy_hours / table.available_hours
    assert np.allclose(table.utilisation.dropna(), ratio[table.available_hours > 0])


def _busy_never_exceeds_on_calls(logs) -> None:
    """At every call start and end, the calls in progress are at most the workers on calls."""
    starts, ends = call_intervals(logs.pathway)
    done = ~np.isnan(starts)
    starts, ends = starts[done], ends[done]
    times, counts = logs.duty
    checks = np.concatenate([starts, ends - 1e-7])
    in_progress = np.searchsorted(np.sort(starts), checks, side="right") - np.searchsorted(
        np.sort(ends), checks, side="right"
    )
    on_calls = counts[np.searchsorted(times, checks, side="right") - 1]
    assert np.all(in_progress <= on_calls)


@pytest.mark.parametrize(
    "name",
    [
        "west_midlands",
        "thames_valley",
        "durham_checkpoint",
        "avon_somerset",
        "north_wales",
        "west_midlands_growth",
    ],
)
def test_drug_workers_are_never_busier_than_on_duty(name):
    """No call starts that cannot end in the shift: utilisation is at most 1 in every
    week, in every built-in scenario, also understaffed (where calls queue all day)."""
    for workers in ("2", "5"):
        scenario = load_scenario(
            name,
            [
                "run.years=0.25",
                "run.warmup_days=0",
                "policy.launch_after_days=0",
                f"provider.drug_workers={workers}",
            ],
        )
        logs = simulate(scenario, seed=7, replication=0)
        _busy_never_exceeds_on_calls(logs)
        table = weekly_utilisation(scenario, logs.pathway, logs.sessions, logs.duty, 0)
        drug = table[table.role == "drug_workers"]
        assert np.all(drug.busy_hours <= drug.available_hours + 1e-6)
        assert np.nanmax(drug.utilisation) <= 1 + 1e-9
