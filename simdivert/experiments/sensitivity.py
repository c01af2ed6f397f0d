"""Which inputs move which KPIs: one-at-a-time effects and rank correlations.

One at a time: the base scenario, then each factor at its low and at its high value with
the others at base; the swing (KPI at high minus at low) is a bar of a tornado chart. All
cells share the seed and replication indices, so the swing's confidence interval comes
from paired differences, replication by replication, and is narrow.

Global: a Latin hypercube sample over all the ranges at once; per sample the mean of
each KPI over the replications; then Spearman's rank correlation of each factor with
each KPI across samples (monotone effects, whatever their shape, with the other factors
moving too).
"""

from __future__ import annotations

import math
import tomllib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simdivert.errors import SAMPLES_SOURCE, VARY_SOURCE, ScenarioError
from simdivert.experiments.executors import Executor
from simdivert.experiments.sweep_cells import Cell, Overrides, latin_hypercube, resolve_cell
from simdivert.experiments.sweep_runner import (
    CELL_COLUMN,
    REPLICATION_COLUMN,
    SweepProgress,
    run_cells,
)
from simdivert.kpis import is_kpi, kpi_unit
from simdivert.stats import t_interval

DESIGN_COLUMN = "design"
ONE_AT_A_TIME = "one_at_a_time"
LATIN_HYPERCUBE = "latin_hypercube"
FACTOR_COLUMN = "factor"
LEVEL_COLUMN = "level"
SAMPLE_COLUMN = "sample"
MIN_SAMPLES = 3


@dataclass(frozen=True)
class Factor:
    """A scenario value varied between ``low`` and ``high`` (integers stay integers)."""

    key: str
    low: int | float
    high: int | float


def parse_vary(text: str) -> Factor:
    """``provider.drug_workers=2:6`` -> Factor; bounds are numbers, low not above high."""
    key, sep, bounds = text.partition("=")
    low_text, colon, high_text = bounds.partition(":")
    key = key.strip()
    if not sep or not colon or not key:
        raise ScenarioError(VARY_SOURCE, text, "expected dotted.key=low:high")
    low, high = _number(low_text, text), _number(high_text, text)
    if low > high:
        raise ScenarioError(VARY_SOURCE, key, f"low ({low}) is above high ({high})")
    return Factor(key, low, high)


def _number(text: str, whole: str) -> int | float:
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        value = None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(VARY_SOURCE, whole, f"{text.strip()!r} is not a number")
    return value


@dataclass(frozen=True)
class SensitivityPlan:
    """The cells of both designs, resolved and validated before anything runs."""

    factors: list[Factor]
    one_at_a_time: list[Cell]  # base, then each factor's low and high
    samples: list[Cell]
    replications: int
    seed: int


def plan_sensitivity(
    base: Path,
    fixed: Overrides,
    factors: Sequence[Factor],
    samples: int,
    replications: int,
    seed: int,
) -> SensitivityPlan:
    """Resolve the base, every low/high cell and every Latin hypercube sample."""
    if not factors:
        raise ScenarioError(VARY_SOURCE, None, "give at least one factor: key=low:high")
    keys = [f.key for f in factors]
    if len(set(keys)) < len(keys):
        raise ScenarioError(VARY_SOURCE, None, "a factor is given twice")
    if samples < MIN_SAMPLES:
        raise ScenarioError(SAMPLES_SOURCE, None, f"at least {MIN_SAMPLES} for rank correlations")
    crn = (("run.seed", seed), ("run.replications", replications))

    def cell(index: int, values: dict[str, Any], labels: dict[str, Any]) -> Cell:
        overrides = (*fixed, *values.items(), *crn)
        return resolve_cell(index, base, overrides, labels, keys, VARY_SOURCE)

    oat = [cell(0, {}, {FACTOR_COLUMN: "base", LEVEL_COLUMN: "base"})]
    for factor in factors:
        for level, value in (("low", factor.low), ("high", factor.high)):
            labels = {FACTOR_COLUMN: factor.key, LEVEL_COLUMN: level}
            oat.append(cell(len(oat), {factor.key: value}, labels))
    ranges = {f.key: (f.low, f.high) for f in factors}
    points = latin_hypercube(ranges, samples, seed)
    lhs = [
        cell(len(oat) + number, point, {SAMPLE_COLUMN: number})
        for number, point in enumerate(points)
    ]
    return SensitivityPlan(list(factors), oat, lhs, replications, seed)


@dataclass(frozen=True)
class SensitivityResults:
    replications: pd.DataFrame  # every replication of every cell, with design and labels
    one_at_a_time: pd.DataFrame  # tornado data
    rank_correlations: pd.DataFrame


def run_sensitivity(
    plan: SensitivityPlan,
    executor: Executor,
    on_progress: Callable[[SweepProgress], None] | None = None,
    force: bool = False,
) -> SensitivityResults:
    """Run both designs' cells on one executor and compute effects and correlations
    (refused before any runs if too big for this machine, unless ``force``)."""
    tables: dict[int, pd.DataFrame] = {}

    def keep(cell: Cell, table: pd.DataFrame) -> None:
        tables[cell.index] = table

    cells = [*plan.one_at_a_time, *plan.samples]
    run_cells(
        cells, plan.replications, plan.seed, executor, keep, on_progress=on_progress, force=force
    )
    oat = pd.concat([tables[c.index] for c in plan.one_at_a_time], ignore_index=True)
    lhs = pd.concat([tables[c.index] for c in plan.samples], ignore_index=True)
    everything = pd.concat(
        [
            oat.assign(**{DESIGN_COLUMN: ONE_AT_A_TIME}),
            lhs.assign(**{DESIGN_COLUMN: LATIN_HYPERCUBE}),
        ],
        ignore_index=True,
    )
    front = [DESIGN_COLUMN, CELL_COLUMN, FACTOR_COLUMN, LEVEL_COLUMN, SAMPLE_COLUMN]
    everything[SAMPLE_COLUMN] = everything[SAMPLE_COLUMN].astype("Int64")
    everything = everything[front + [c for c in everything.columns if c not in front]]
    return SensitivityResults(
        everything, one_at_a_time_effects(oat, plan.factors), rank_correlations(lhs, plan.factors)
    )


def _kpis(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if is_kpi(c)]


def _mean(values: pd.Series) -> float:
    """The mean of the replications where the KPI is defined (NaN if it never is)."""
    return t_interval(values.to_numpy())[0]


def one_at_a_time_effects(oat: pd.DataFrame, factors: Sequence[Factor]) -> pd.DataFrame:
    """Per KPI and factor: means at low, base and high, and the swing (high - low) with a
    paired 95% CI; within each KPI, the largest swing first (a tornado chart's order)."""

    def level(factor: str, name: str) -> pd.DataFrame:
        rows = oat[(oat[FACTOR_COLUMN] == factor) & (oat[LEVEL_COLUMN] == name)]
        return rows.set_index(REPLICATION_COLUMN).sort_index()

    base = level("base", "base")
    rows: list[dict[str, str | float]] = []
    for kpi in _kpis(oat):
        block = []
        for factor in factors:
            low, high = level(factor.key, "low")[kpi], level(factor.key, "high")[kpi]
            swing, swing_low, swing_high = t_interval((high - low).to_numpy())
            block.append(
                (
                    swing,
                    {
                        "kpi": kpi,
                        FACTOR_COLUMN: factor.key,
                        "low": factor.low,
                        "high": factor.high,
                        "mean_at_low": _mean(low),
                        "mean_at_base": _mean(base[kpi]),
                        "mean_at_high": _mean(high),
                        "swing": swing,
                        "swing_ci_low": swing_low,
                        "swing_ci_high": swing_high,
                        "unit": kpi_unit(kpi),
                    },
                )
            )
        block.sort(key=lambda pair: (math.isnan(pair[0]), -abs(pair[0])))
        rows.extend(row for _, row in block)
    return pd.DataFrame(rows)


def rank_correlations(lhs: pd.DataFrame, factors: Sequence[Factor]) -> pd.DataFrame:
    """Spearman's rho (and its p-value) of each factor with each KPI's per-sample mean."""
    from scipy import stats  # a second of import: only a global sensitivity analysis pays it

    keys = [f.key for f in factors]
    kpis = _kpis(lhs)
    means = lhs.groupby(CELL_COLUMN, sort=True)[[*keys, *kpis]].mean()
    rows = []
    for kpi in kpis:
        for key in keys:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a constant KPI has no ranks: rho is NaN
                result = stats.spearmanr(means[key], means[kpi], nan_policy="omit")
            rows.append(
                {
                    "kpi": kpi,
                    FACTOR_COLUMN: key,
                    "spearman_rho": float(result.statistic),
                    "p_value": float(result.pvalue),
                    "samples": len(means),
                }
            )
    return pd.DataFrame(rows)
