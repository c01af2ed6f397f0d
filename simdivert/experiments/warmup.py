"""Warm-up length by MSER, for what runs before the measured window.

What a warm-up is for here. Nothing the scheme does happens before its launch, and the
launch is at or after the end of the warm-up (``launch = warm-up + launch_after_days``):
nobody is referred before it, so the provider is empty at the launch in every run and
no warm-up can fill its queues. That start-up is part of the policy period by design (a
scheme starts with no one waiting; docs/MODEL.md, section 5). What does run before the
measured window is the police side: people found, found again, and their histories,
which decide when they are found next. So the warm-up is chosen on the number of repeat
finds a week (people found again), in a pilot run of what happens before the launch.

The pilot is the scenario from empty (no warm-up, no one on the provider's waiting
list) without the scheme, over the run's horizon or a year, whichever is longer: before
the launch that is the same process as the run (event by event, given the same
horizon and no waiting list). Its weekly repeat finds, averaged
over the pilot's replications, go to MSER.

MSER (the Marginal Standard Error Rule, White 1997) picks the truncation point ``d``
that minimises the squared standard error of the mean of what is kept,

    MSER(d) = sum_{i > d} (Y_i - mean_{i > d} Y)^2 / (n - d)^2,

over ``d`` in the first half of the series. MSER-5 (White, Cobb and Spratt 2000)
applies it to the means of consecutive batches of 5 raw observations, to smooth the
statistic; :func:`mser` takes the batch size as a parameter. A week's count over
replications is already a batch mean (of hundreds of finds), so the warm-up uses
batches of one week (``WEEKLY_BATCH``): with batches of 5 weeks a year's pilot leaves
about 10 batches and the minimum is mostly noise (docs/VALIDATION.md).

If the minimum falls on the last candidate the series is still moving after half the
pilot; and a series that grows fast enough (exponentially: growing demand) makes MSER
keep everything, since the last weeks dominate the variance whatever the cut. So the
kept part is also tested for drift (its two halves' means more than ``DRIFT_Z`` standard
errors apart). Either way the warm-up cannot be trusted (a trend has no steady state),
and :class:`Warmup` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.errors import UserError
from simdivert.experiments.executors import Executor
from simdivert.experiments.replications import run_replications
from simdivert.scenario.schema import BacklogSettings, Scenario

BATCH_SIZE = 5  # MSER-5, for raw observations
WEEKLY_BATCH = 1  # for weekly means, themselves batch means (see the module docstring)
MIN_BATCHES = 10  # fewer batches than this and MSER's minimum is mostly noise
DRIFT_Z = 4.0  # the kept part's halves this many standard errors apart: still drifting
REPEAT_FINDS = "repeat_finds"  # the series: repeat finds a week


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


def still_drifting(kept: np.ndarray, z: float = DRIFT_Z) -> bool:
    """Whether the means of the two halves of a kept series differ by more than ``z``
    standard errors (each half's observations taken as independent)."""
    values = np.asarray(kept, dtype=float)
    first, second = np.array_split(values, 2)
    if min(first.size, second.size) < 2:
        return False
    error = np.sqrt(first.var(ddof=1) / first.size + second.var(ddof=1) / second.size)
    gap = abs(second.mean() - first.mean())
    return bool(gap > z * error) if error > 0 else bool(gap > 0)


@dataclass(frozen=True)
class Warmup:
    """The warm-up chosen from weekly series: weeks cut per series, and the longest of them."""

    weeks: int
    series_cut_weeks: dict[str, int]
    unsettled_series: tuple[str, ...]  # minimum at the limit, or the kept part drifts
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
            "series": "repeat finds a week before the launch, mean over replications",
            "series_weeks": self.series_weeks,
            "replications": self.replications,
            "cut_weeks": self.series_cut_weeks,
            "unsettled_series": list(self.unsettled_series),
            "weeks": self.weeks,
            "days": self.days,
        }


def weekly_repeat_finds(events: pd.DataFrame, until_hours: float) -> pd.DataFrame:
    """Repeat finds per whole week in [0, until_hours), averaged over replications.

    ``events`` are event-log rows (replication, find_hours, repeat_find, ...); the
    result has a row per week and one column, ``repeat_finds``. A last week cut short
    at ``until_hours`` is left out, so every week weighs the same.
    """
    n_weeks = int(until_hours // HOURS_PER_WEEK)
    replications = events["replication"].unique()
    repeats = events[events["repeat_find"].to_numpy(dtype=bool)]
    week = (repeats["find_hours"].to_numpy() // HOURS_PER_WEEK).astype(np.int64)
    inside = week < n_weeks
    counts = np.zeros((replications.size, n_weeks))
    row = np.searchsorted(np.sort(replications), repeats["replication"].to_numpy()[inside])
    np.add.at(counts, (row, week[inside]), 1.0)
    return pd.DataFrame({REPEAT_FINDS: counts.mean(axis=0)}, index=pd.RangeIndex(n_weeks))


def warmup_from_weekly(
    weekly: pd.DataFrame, replications: int, batch_weeks: int = WEEKLY_BATCH
) -> Warmup:
    """The warm-up for weekly series (a row per week, a column per series).

    Raises UserError if the series are too short for MSER.
    """
    cuts: dict[str, int] = {}
    unsettled = []
    for name in weekly.columns:
        try:
            cut = mser(weekly[name].to_numpy(), batch_weeks)
        except ValueError as exc:
            raise UserError(f"warm-up: {exc} weeks; run longer") from None
        cuts[str(name)] = cut.observations
        if cut.at_limit or still_drifting(weekly[name].to_numpy()[cut.observations :]):
            unsettled.append(str(name))
    return Warmup(
        weeks=max(cuts.values()),
        series_cut_weeks=cuts,
        unsettled_series=tuple(unsettled),
        series_weeks=len(weekly),
        replications=replications,
        batch_weeks=batch_weeks,
    )


def warmup_from_events(events: pd.DataFrame, launch_hours: float) -> Warmup:
    """The warm-up MSER picks from a run's event log, on its weeks before the launch.

    Up to the launch a run is what the pilot of :func:`pilot_warmup` simulates (with the
    run's own warm-up and backlog, if any).
    """
    weekly = weekly_repeat_finds(events, launch_hours)
    return warmup_from_weekly(weekly, int(events["replication"].nunique()))


PILOT_MIN_YEARS = 1.0  # 52 whole weeks: MSER can cut up to half a year


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
                "scheme": False,
                "backlog": False,
            },
        }


def pilot_scenario(scenario: Scenario) -> Scenario:
    """What runs before the launch, from empty: no warm-up, no scheme, no waiting list;
    over the scenario's horizon or a year, whichever is longer."""
    years = max(scenario.horizon_hours / HOURS_PER_YEAR, PILOT_MIN_YEARS)
    return scenario.model_copy(
        update={
            "run": scenario.run.model_copy(update={"years": years, "warmup_days": 0.0}),
            "policy": scenario.policy.model_copy(update={"diversion": False}),
            "backlog": BacklogSettings(),
        }
    )


def pilot_warmup(
    scenario: Scenario, replications: int, seed: int, executor: Executor
) -> PilotWarmup:
    """Choose a warm-up by MSER on a pilot run that starts empty (:func:`pilot_scenario`).

    The pilot's replications are numbered after the measured run's (``replications``
    onwards), so the warm-up is not chosen on the very numbers it will then truncate.
    """
    pilot = pilot_scenario(scenario)
    experiment = run_replications(
        pilot, replications, seed, executor, keep_events=True, first_replication=replications
    )
    weekly = weekly_repeat_finds(experiment.events, pilot.horizon_hours)
    return PilotWarmup(warmup_from_weekly(weekly, replications), replications, pilot.run.years)
