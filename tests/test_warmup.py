"""Warm-up by MSER: synthetic series with known transients, the model's series, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import short_scenario
from typer.testing import CliRunner

from simdivert.cli import app
from simdivert.clock import HOURS_PER_WEEK
from simdivert.errors import UserError
from simdivert.warmup import mser, pilot_scenario, warmup_from_series

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


def weekly_rows(stage: str, values: np.ndarray, replication: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "replication": replication,
            "week": np.arange(values.size),
            "stage": stage,
            "queue_mean": values,
            "waits_started": 0,
        }
    )


def test_warmup_from_series_takes_the_longest_stage_and_averages_replications():
    """Two replications; the course fills over 6 weeks, the contact stage over 2."""
    weeks = np.arange(61)
    rows = []
    for replication, noise in enumerate((0.1, -0.1)):
        wiggle = noise * (-1.0) ** weeks  # cancels in the mean over replications
        rows.append(weekly_rows("course", np.minimum(weeks, 6) * 10.0 + wiggle, replication))
        rows.append(weekly_rows("contact", np.minimum(weeks, 2) * 30.0 + wiggle, replication))
    timeseries = pd.concat(rows, ignore_index=True)
    # The run ended half-way through week 60: that week is left out.
    warmup = warmup_from_series(timeseries, horizon_hours=60.5 * HOURS_PER_WEEK)
    assert warmup.stage_weeks == {"contact": 2, "course": 6}
    assert (warmup.weeks, warmup.days, warmup.series_weeks) == (6, 42.0, 60)
    assert warmup.replications == 2 and not warmup.unsettled_stages


def test_warmup_from_a_short_run_is_a_user_error():
    timeseries = weekly_rows("course", np.ones(8), 0)
    with pytest.raises(UserError, match="run longer"):
        warmup_from_series(timeseries, horizon_hours=8 * HOURS_PER_WEEK)


def test_the_pilot_starts_empty_and_lasts_at_least_a_year():
    pilot = pilot_scenario(short_scenario("run.years=0.1", "run.warmup_days=30"))
    assert pilot.run.warmup_days == 0 and pilot.run.years == 1.0
    long = pilot_scenario(short_scenario("run.years=3", "run.warmup_days=73"))
    assert long.run.years == pytest.approx(3.2)


SHORT = ["--years", "0.1", "--reps", "2", "--workers", "1"]


def test_run_with_automatic_warmup_measures_after_it(tmp_path):
    out = tmp_path / "auto"
    result = runner.invoke(app, ["run", *SHORT, "--warmup", "auto", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Warm-up:" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    warmup = manifest["warmup"]
    assert warmup["method"] == "MSER on weekly means"
    assert warmup["pilot"] == {"replications": "2-3", "years": 1.0, "warmup_days": 0.0}
    assert set(warmup["stage_weeks"]) == {"contact", "assessment", "one_to_one", "course"}
    assert warmup["weeks"] == max(warmup["stage_weeks"].values())
    # The default scenario settles within a few weeks; the run measures after the warm-up.
    assert 1 <= warmup["weeks"] <= 12
    assert manifest["scenario"]["run"]["warmup_days"] == warmup["days"] == 7 * warmup["weeks"]
    assert f"run.warmup_days={warmup['days']:g}" in manifest["overrides"]

    again = runner.invoke(app, ["warmup", str(out)])
    assert again.exit_code == 0, again.output
    assert "Warm-up:" in again.stdout


def test_a_queue_that_never_settles_is_warned_about(tmp_path):
    out = tmp_path / "unstaffed"
    args = ["run", *SHORT, "--set", "provider.drug_workers=0", "--warmup", "auto"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: the assessment queue was still changing" in result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert "assessment" in manifest["warmup"]["unsettled_stages"]


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
