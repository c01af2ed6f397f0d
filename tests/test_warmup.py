"""Warm-up by MSER: synthetic series with known transients, the pilot run, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.clock import HOURS_PER_WEEK
from simdivert.errors import ScenarioError, UserError
from simdivert.experiments.executors import LocalPoolExecutor
from simdivert.experiments.warmup import (
    REPEAT_FINDS,
    mser,
    pilot_scenario,
    pilot_warmup,
    still_drifting,
    warmup_from_weekly,
    weekly_repeat_finds,
)
from simdivert.model.replication import run_replication, simulate
from simdivert.scenario.files import load_scenario

from conftest import EMBEDDED, short_scenario

runner = CliRunner()
T = np.arange(1000)


def test_a_step_is_cut_where_it_ends_and_never_before():
    """Mean 10 for 50 observations, then 0, unit noise: MSER-5 cuts at 50, never earlier."""
    rng = np.random.default_rng(1)
    cuts = [mser(np.where(T < 50, 10.0, 0.0) + rng.normal(size=T.size)) for _ in range(40)]
    observations = [c.observations for c in cuts]
    assert min(observations) == 50
    assert np.median(observations) == 50
    assert not any(c.at_limit for c in cuts)


def test_a_decaying_transient_leaves_less_bias_than_noise():
    """8 exp(-t/20) plus unit noise: what is left of the transient after the cut is
    smaller than the standard error of the kept mean, where keeping everything would
    leave five times that."""
    rng = np.random.default_rng(2)
    transient = 8 * np.exp(-T / 20)
    assert transient.mean() > 5 / np.sqrt(T.size)
    for _ in range(20):
        cut = mser(transient + rng.normal(size=T.size)).observations
        kept = T.size - cut
        assert transient[cut:].mean() < 1 / np.sqrt(kept)
        assert cut < 200


def test_a_stationary_series_is_rarely_cut_much():
    rng = np.random.default_rng(3)
    cuts = np.array([mser(rng.normal(size=500)).observations for _ in range(100)])
    assert np.median(cuts) <= 5
    assert np.mean(cuts > 50) <= 0.05


def test_a_series_that_never_settles_is_flagged():
    trend = 0.01 * T + np.random.default_rng(4).normal(size=T.size)
    assert mser(trend).at_limit
    assert not mser(np.random.default_rng(4).normal(size=T.size)).at_limit


def test_a_flat_series_needs_no_warmup():
    assert mser(np.zeros(100)).observations == 0
    assert mser(np.full(100, 0.1)).observations == 0


def test_too_short_a_series_is_refused():
    with pytest.raises(ValueError, match="at least 50 observations"):
        mser(np.ones(49))


def test_a_stationary_series_is_rarely_said_to_drift():
    rng = np.random.default_rng(5)
    assert sum(still_drifting(rng.normal(size=100)) for _ in range(200)) <= 2
    assert still_drifting(np.exp(np.arange(100) / 30) + rng.normal(size=100))


def events_rows(replication: int, find_hours: list[float], repeat: list[bool]) -> pd.DataFrame:
    return pd.DataFrame(
        {"replication": replication, "find_hours": find_hours, "repeat_find": repeat}
    )


def test_weekly_repeat_finds_counts_whole_weeks_and_averages_replications():
    week = HOURS_PER_WEEK
    events = pd.concat(
        [
            events_rows(0, [1.0, 2.0, week + 1, 2 * week + 1], [True, True, True, True]),
            events_rows(3, [1.0, week + 5, week + 6, 10.0], [True, True, True, False]),
        ]
    )
    # Two whole weeks before 2.5 weeks: the third is cut short and left out.
    weekly = weekly_repeat_finds(events, until_hours=2.5 * week)
    assert list(weekly.columns) == [REPEAT_FINDS]
    np.testing.assert_allclose(weekly[REPEAT_FINDS], [(2 + 1) / 2, (1 + 2) / 2])


def test_warmup_from_weekly_takes_the_longest_series():
    """A series that fills over 6 weeks and one over 2 (wiggles cancel)."""
    weeks = np.arange(60)
    weekly = pd.DataFrame(
        {
            "slow": np.minimum(weeks, 6) * 10.0 + 0.1 * (-1.0) ** weeks,
            "fast": np.minimum(weeks, 2) * 30.0 + 0.1 * (-1.0) ** weeks,
        }
    )
    warmup = warmup_from_weekly(weekly, replications=2)
    assert warmup.series_cut_weeks == {"slow": 6, "fast": 2}
    assert (warmup.weeks, warmup.days, warmup.series_weeks) == (6, 42.0, 60)
    assert warmup.replications == 2 and not warmup.unsettled_series


def test_warmup_from_a_short_series_is_a_user_error():
    with pytest.raises(UserError, match="run longer"):
        warmup_from_weekly(pd.DataFrame({REPEAT_FINDS: np.ones(8)}), replications=1)


def test_the_pilot_is_the_run_before_its_launch_from_empty():
    """No warm-up, no scheme, no waiting list, at least a year; and up to the launch it
    is the very same run, find by find (over the same horizon)."""
    scenario = short_scenario("run.years=1", "run.warmup_days=0", "policy.launch_after_days=30")
    pilot = pilot_scenario(scenario)
    assert pilot.run.warmup_days == 0 and pilot.run.years == 1.0
    assert not pilot.policy.diversion and not pilot.backlog.waiting()
    waiting = pilot_scenario(short_scenario("backlog.waiting_for_assessment=5"))
    assert not waiting.backlog.waiting()
    assert pilot.launch_hours == scenario.launch_hours
    run_events = run_replication(scenario, 9, 0, keep_events=True).events
    pilot_events = run_replication(pilot, 9, 0, keep_events=True).events
    columns = ["find", "person", "find_hours", "repeat_find", "outcome", "recorded"]
    before = [
        e.loc[e["find_hours"] < scenario.launch_hours, columns] for e in (run_events, pilot_events)
    ]
    assert len(before[0]) > 500
    pd.testing.assert_frame_equal(
        before[0].reset_index(drop=True), before[1].reset_index(drop=True)
    )
    assert pilot_scenario(short_scenario("run.years=3", "run.warmup_days=73")).run.years == (
        pytest.approx(3.2)
    )


def test_the_warmup_follows_the_histories_of_people_found_again():
    """Nobody found again: nothing to warm up. People found again six times as often
    after an informal word (half of all finds before the policy), within months: the
    repeat finds a week rise from the start until the histories settle."""
    histories = short_scenario(
        "refind.rate_per_year=2",
        "refind.desistance_per_year=2",
        "refind.after_no_police_action=6",
        "demand.informal_share_without_policy=0.5",
    )
    with LocalPoolExecutor(2) as executor:
        nobody_again = short_scenario("refind.rate_per_year=0")
        none = pilot_warmup(nobody_again, 4, 1, executor).warmup
        warmup = pilot_warmup(histories, 4, 1, executor).warmup
    assert none.weeks == 0 and not none.unsettled_series
    assert 6 <= warmup.weeks <= 26 and not warmup.unsettled_series


SHORT = [
    "--years",
    "0.1",
    "--reps",
    "2",
    "--workers",
    "1",
    "--set",
    "policy.launch_after_days=0",
]


def test_run_with_automatic_warmup_measures_after_it(tmp_path):
    out = tmp_path / "auto"
    result = runner.invoke(app, ["run", *SHORT, "--warmup", "auto", "--events", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Warm-up:" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    warmup = manifest["warmup"]
    assert warmup["method"] == "MSER on weekly means"
    assert warmup["pilot"] == {
        "replications": "2-3",
        "years": 1.0,
        "warmup_days": 0.0,
        "scheme": False,
        "backlog": False,
    }
    assert warmup["series_weeks"] == 52 and set(warmup["cut_weeks"]) == {REPEAT_FINDS}
    assert warmup["weeks"] == max(warmup["cut_weeks"].values())
    # The run measures after the warm-up: the launch (and the measured window) move with it.
    assert manifest["scenario"]["run"]["warmup_days"] == warmup["days"] == 7 * warmup["weeks"]
    assert f"run.warmup_days={warmup['days']:g}" in manifest["overrides"]
    events = pd.read_parquet(out / "events.parquet")
    first_referral = events.loc[events["outcome"] == "diverted", "find_hours"].min()
    assert first_referral >= warmup["days"] * 24

    # Its own weeks before the launch are the warm-up alone: too few for MSER.
    again = runner.invoke(app, ["warmup", str(out)])
    assert again.exit_code == 2 and "run longer" in again.stderr


def test_warmup_of_a_finished_run_looks_at_its_weeks_before_the_launch(tmp_path):
    out = tmp_path / "run"
    args = ["run", "--years", "0.3", "--reps", "2", "--workers", "1", "--warmup", "0"]
    args += ["--set", "policy.launch_after_days=84", "--events", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["warmup", str(out)])
    assert result.exit_code == 0, result.output
    assert "by MSER on weekly means of repeat finds over 12 weeks of a run of 2" in result.stdout


def test_demand_that_keeps_growing_is_warned_about(tmp_path):
    out = tmp_path / "growing"
    args = ["run", *SHORT, "--set", "demand.annual_growth=10", "--warmup", "auto"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: repeat finds a week had not settled" in result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["warmup"]["unsettled_series"] == [REPEAT_FINDS]


def test_warmup_in_days_and_its_errors(tmp_path):
    out = tmp_path / "days"
    result = runner.invoke(app, ["run", *SHORT, "--warmup", "10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["run"]["warmup_days"] == 10
    assert manifest["warmup"] == {"method": "given", "days": 10.0}

    bad = runner.invoke(app, ["run", *SHORT, "--warmup", "soon", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2
    assert "--warmup: expected 'auto' or a number of days (got 'soon')" in bad.stderr
    negative = runner.invoke(app, ["run", *SHORT, "--warmup", "-3", "--out", str(tmp_path / "y")])
    assert negative.exit_code == 2 and "run.warmup_days" in negative.stderr

    missing = runner.invoke(app, ["warmup", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    without_events = runner.invoke(app, ["warmup", str(out)])
    assert without_events.exit_code == 2
    assert "events.parquet: no such file" in without_events.stderr
    assert "simdivert run --events" in without_events.stderr


def _assessment_waits_first_and_later(running_before_days: float) -> tuple[float, float]:
    """Mean wait to assessment of the referrals of the measured window's first four
    weeks and of its weeks 8–26, three drug workers (a long queue), flat adoption."""
    scenario = load_scenario(
        None,
        [
            "run.years=0.5",
            "run.warmup_days=140",
            "policy.launch_after_days=0",
            "provider.drug_workers=3",
            *EMBEDDED,
            f"policy.running_before_days={running_before_days}",
        ],
    )
    log = simulate(scenario, 1, 0).pathway
    week = (log.referral_hours - scenario.warmup_hours) // HOURS_PER_WEEK
    wait = log.assessment_hours - log.referral_hours
    first, later = (week >= 0) & (week < 4), (week >= 8) & (week < 26)
    return float(np.nanmean(wait[first])), float(np.nanmean(wait[later]))


def test_a_scheme_already_running_starts_the_window_in_its_steady_state():
    """From an empty service the first weeks' waits dip (the queue is still building);
    with the scheme running through the warm-up they match the later weeks'."""
    first, later = _assessment_waits_first_and_later(0)
    assert first < 0.6 * later
    first, later = _assessment_waits_first_and_later(140)
    assert abs(first / later - 1) < 0.15


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        (
            ["run.warmup_days=30", "policy.launch_after_days=0", "policy.running_before_days=60"],
            "within run.warmup_days",
        ),
        (
            ["run.warmup_days=60", "policy.running_before_days=60", "policy.launch_after_days=5"],
            "launch_after_days must be 0",
        ),
    ],
)
def test_running_before_days_must_lie_in_the_warmup(overrides, problem):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(None, overrides)
    assert problem in caught.value.problem
