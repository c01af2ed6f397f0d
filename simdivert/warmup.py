"""Warm-up length by MSER on the weekly queue series of a run that starts empty.

A run starts with no one waiting, so the first weeks under-state every queue. MSER
(the Marginal Standard Error Rule, White 1997) picks the truncation point ``d`` that
minimises the squared standard error of the mean of what is kept,

    MSER(d) = sum_{i > d} (Y_i - mean_{i > d} Y)^2 / (n - d)^2,

over ``d`` in the first half of the series. MSER-5 (White, Cobb and Spratt 2000)
applies it to the means of consecutive batches of 5 raw observations, to smooth the
statistic; :func:`mser` takes the batch size as a parameter.

The model's series are already batch means: each observation is one week's
time-average number waiting at a stage (the ``timeseries.csv`` rows), averaged over
replications, which covers a whole working week and about a hundred referrals. So the
warm-up uses batches of one week (``WEEKLY_BATCH``), a week's resolution. Batches of 5
weeks fare worse here: a year's pilot leaves only about 10 batches, so the minimum is
mostly noise, and with the fortnightly session timetable a 5-week batch holds three
weeks of one kind and two of the other, so batch means alternate (docs/VALIDATION.md
has the comparison). Each stage gets its own truncation and the warm-up is the
longest: over-truncating only lengthens the run (the measured years follow the
warm-up), whereas measuring a stage still filling would bias its KPIs.

If a stage's minimum falls on the last candidate the series is still moving after
half the run: the warm-up cannot be trusted (a queue that grows without bound, or
demand that grows year on year, has no steady state), and :class:`Warmup` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.errors import UserError
from simdivert.experiment import run_replications
from simdivert.scenario import Scenario

BATCH_SIZE = 5  # MSER-5, for raw observations
WEEKLY_BATCH = 1  # for weekly means, themselves batch means (see the module docstring)
MIN_BATCHES = 10  # fewer batches than this and MSER's minimum is mostly noise


@dataclass(frozen=True)
class Truncation:
    """Where MSER cuts one series: observations to drop, and whether that is trustworthy."""

    observations: int
    batches: int
    batch_size: int
    n_batches: int

    @property
    def at_limit(self) -> bool:
        """The minimum is at the largest allowed cut: the series has not settled."""
        return self.batches == self.n_batches // 2


def mser(series: np.ndarray, batch_size: int = BATCH_SIZE) -> Truncation:
    """MSER-``batch_size`` truncation of one series (observations to discard from the start).

    Observations after the last whole batch are left out of the statistic. Raises
    ValueError if the series holds fewer than ``MIN_BATCHES`` batches.
    """
    values = np.asarray(series, dtype=float)
    n_batches = values.size // batch_size
    if n_batches < MIN_BATCHES:
        raise ValueError(
            f"MSER-{batch_size} needs at least {MIN_BATCHES * batch_size} observations "
            f"(got {values.size})"
        )
    batches = values[: n_batches * batch_size].reshape(n_batches, batch_size).mean(axis=1)
    if np.ptp(batches) <= 1e-12 * np.max(np.abs(batches)):
        return Truncation(0, 0, batch_size, n_batches)  # flat: nothing to cut
    candidates = np.arange(n_batches // 2 + 1)
    statistic = [np.var(batches[d:]) / (n_batches - d) for d in candidates]
    cut = int(candidates[np.argmin(statistic)])
    return Truncation(cut * batch_size, cut, batch_size, n_batches)


@dataclass(frozen=True)
class Warmup:
    """The warm-up chosen from weekly queue series: per stage, and the longest of them."""

    weeks: int
    stage_weeks: dict[str, int]
    unsettled_stages: tuple[str, ...]  # minimum at the limit: still changing half-way
    series_weeks: int
    replications: int
    batch_weeks: int

    @property
    def days(self) -> float:
        return self.weeks * HOURS_PER_WEEK / HOURS_PER_DAY

    @property
    def method(self) -> str:
        if self.batch_weeks == 1:
            return "MSER on weekly means"
        return f"MSER-{self.batch_weeks} on weekly means"

    def as_record(self) -> dict[str, object]:
        """What a run's manifest records about the warm-up it used."""
        return {
            "method": self.method,
            "series": "weekly time-average number waiting per stage, mean over replications",
            "series_weeks": self.series_weeks,
            "replications": self.replications,
            "stage_weeks": self.stage_weeks,
            "unsettled_stages": list(self.unsettled_stages),
            "weeks": self.weeks,
            "days": self.days,
        }


def full_weeks(timeseries: pd.DataFrame, horizon_hours: float) -> pd.DataFrame:
    """Weekly queue means per stage (rows: week, columns: stage), averaged over replications.

    A last week cut short by the end of the run (at ``horizon_hours``) is dropped, so
    every week weighs the same.
    """
    table = timeseries.pivot_table(
        index="week", columns="stage", values="queue_mean", aggfunc="mean", sort=True
    )
    return table.loc[(table.index + 1) * HOURS_PER_WEEK <= horizon_hours]


def warmup_from_series(
    timeseries: pd.DataFrame, horizon_hours: float, batch_weeks: int = WEEKLY_BATCH
) -> Warmup:
    """The warm-up for ``timeseries.csv`` rows (replication, week, stage, queue_mean, ...).

    Raises UserError if the series is too short for MSER.
    """
    weekly = full_weeks(timeseries, horizon_hours)
    stage_weeks: dict[str, int] = {}
    unsettled = []
    for stage in weekly.columns:
        try:
            cut = mser(weekly[stage].to_numpy(), batch_weeks)
        except ValueError as exc:
            raise UserError(f"warm-up: {exc} weeks; run longer") from None
        stage_weeks[str(stage)] = cut.observations
        if cut.at_limit:
            unsettled.append(str(stage))
    return Warmup(
        weeks=max(stage_weeks.values()),
        stage_weeks=stage_weeks,
        unsettled_stages=tuple(unsettled),
        series_weeks=len(weekly),
        replications=int(timeseries["replication"].nunique()),
        batch_weeks=batch_weeks,
    )


PILOT_MIN_YEARS = 1.0  # 52 whole weeks: at least MIN_BATCHES batches of 5


@dataclass(frozen=True)
class PilotWarmup:
    """A warm-up chosen on a pilot run, and which pilot it came from."""

    warmup: Warmup
    first_replication: int
    years: float

    def as_record(self) -> dict[str, object]:
        last = self.first_replication + self.warmup.replications - 1
        return {
            **self.warmup.as_record(),
            "pilot": {
                "replications": f"{self.first_replication}-{last}",
                "years": self.years,
                "warmup_days": 0.0,
            },
        }


def pilot_scenario(scenario: Scenario) -> Scenario:
    """The scenario from empty with no warm-up, over its horizon or a year if longer."""
    years = max(scenario.horizon_hours / HOURS_PER_YEAR, PILOT_MIN_YEARS)
    run = scenario.run.model_copy(update={"years": years, "warmup_days": 0.0})
    return scenario.model_copy(update={"run": run})


def pilot_warmup(scenario: Scenario, replications: int, seed: int, workers: int) -> PilotWarmup:
    """Choose a warm-up by MSER-5 on a pilot run that starts empty.

    The pilot's replications are numbered after the measured run's (``replications``
    onwards), so the warm-up is not chosen on the very numbers it will then truncate.
    """
    pilot = pilot_scenario(scenario)
    experiment = run_replications(
        pilot, replications, seed, workers, first_replication=replications
    )
    warmup = warmup_from_series(experiment.timeseries, pilot.horizon_hours)
    return PilotWarmup(warmup, replications, pilot.run.years)
