"""Which uncertain inputs matter: Sobol indices of the headline KPIs over the priors.

Design: Saltelli's scheme (:func:`SALib.sample.sobol.sample`) in the unit cube of the
``d`` inputs the scenario's ``[uncertainty]`` table names: a base matrix A of ``N``
points, a second B, and for each input the matrix A with that input's column taken from
B, so ``(d + 2) x N`` points (second-order indices, which would double that, are not
estimated). Each point becomes a parameter set through the priors' quantile functions
(:func:`simdivert.experiments.uncertainty.values_at`) and a cell run as a sweep's cells
are, every point on the same seed and replication indices (common random numbers).

Analysis (:func:`sobol_indices`, which takes any outputs in the design's order, so that
it can be checked on functions whose indices are known): per KPI, the model's output at
a point is the mean over its replications; :func:`SALib.analyze.sobol.analyze` gives
the first-order index S1 (the share of the output's variance the input explains alone)
and the total index ST (alone and in every interaction), each with the half-width of a
95% bootstrap confidence interval.

Noise: a replication's output is the point's mean plus Monte-Carlo noise, variance no
input explains. On common random numbers the noise at nearby points is alike, but
moving an input still reshuffles some draws: that roughness lowers the sum of the S1
below one and adds to every ST. The mean over ``R`` replications divides the noise's
variance by ``R``; with two or more replications the share of the point means'
variance that is still noise is measured (``noise_share``). The bootstrap intervals
cover the sampling error of the ``N`` base points: more samples narrow them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simdivert.errors import SAMPLES_SOURCE, ScenarioError
from simdivert.experiments.budget import Estimate, estimate
from simdivert.experiments.executors import Executor
from simdivert.experiments.sweep_cells import Cell, Overrides, resolve_cell
from simdivert.experiments.sweep_runner import CELL_COLUMN, SweepProgress, run_cells
from simdivert.experiments.uncertainty import (
    check_priors,
    set_overrides,
    uncertain_keys,
    values_at,
)
from simdivert.kpis import SENSITIVITY_KPIS, kpi_unit
from simdivert.model.random_streams import RandomStreams
from simdivert.scenario.files import load_scenario_with_values

if TYPE_CHECKING:
    from simdivert.scenario.schema import Scenario

SOBOL_STREAM = "design.sobol"  # the scrambling of the Sobol sequence
BOOTSTRAP_STREAM = "design.sobol_bootstrap"  # the resamples of the confidence intervals
BOOTSTRAP_RESAMPLES = 200
CONFIDENCE = 0.95
MIN_SAMPLES = 4
# Below about 8 d base points, the Sobol sequence is not yet balanced in its 2 d
# dimensions: some input's column of A is correlated with its column of B (measured for
# 15 inputs over ten seeds: 0.73 to 0.83 for the worst at N = 32, at most 0.09 at
# N = 128), which biases that input's indices by more than their bootstrap intervals show.
POINTS_PER_INPUT = 8
BALANCE_LIMIT = 0.2  # the largest |correlation| of A's and B's columns taken as balanced
INDEX_COLUMNS = ("kpi", "input", "S1", "S1_conf", "ST", "ST_conf")
KPI_COLUMNS = (
    "kpi",
    "unit",
    "points",
    "mean",
    "sd",
    "S1_sum",
    "noise_share",
    "note",
)


def check_samples(samples: int) -> None:
    """The base sample size: a power of two (the Sobol sequence is balanced only at one)."""
    if samples < MIN_SAMPLES or samples & (samples - 1):
        lower = 1 << max(samples.bit_length() - 1, 2)
        raise ScenarioError(
            SAMPLES_SOURCE,
            None,
            f"{samples}: the base sample of a Sobol design must be a power of 2, at least "
            f"{MIN_SAMPLES} (e.g. {lower} or {lower * 2})",
        )


def balanced_samples(dimensions: int) -> int:
    """The smallest power of two of at least :data:`POINTS_PER_INPUT` points per input."""
    return 1 << max(MIN_SAMPLES.bit_length() - 1, (POINTS_PER_INPUT * dimensions - 1).bit_length())


def imbalance(unit: np.ndarray, dimensions: int) -> tuple[float, int]:
    """The largest |correlation| between an input's column in A and in B (independent in
    theory), and which input (its column) it is."""
    points = unit.reshape(-1, dimensions + 2, dimensions)
    a, b = points[:, 0, :], points[:, -1, :]
    correlations = [abs(float(np.corrcoef(a[:, i], b[:, i])[0, 1])) for i in range(dimensions)]
    worst = int(np.argmax(correlations))
    return correlations[worst], worst


def _problem(dimensions: int) -> dict:
    """SALib's description of the unit cube: the priors map it to values afterwards."""
    return {
        "num_vars": dimensions,
        "names": [f"x{i}" for i in range(dimensions)],
        "bounds": [[0.0, 1.0]] * dimensions,
    }


def sobol_sample(dimensions: int, samples: int, seed: int) -> np.ndarray:
    """The ``(dimensions + 2) x samples`` points of the design in the unit cube, in
    SALib's order (per base point: A, A with each column from B, B); the scrambling is
    drawn from the seed's own design stream."""
    from SALib.sample import sobol  # SALib loads only for a Sobol design

    check_samples(samples)
    rng = RandomStreams(seed, 0).generator(SOBOL_STREAM)
    return sobol.sample(_problem(dimensions), samples, calc_second_order=False, seed=rng)


def sobol_indices(outputs: np.ndarray, names: Sequence[str], seed: int) -> pd.DataFrame:
    """S1 and ST of each input (``names``, in the design's column order) from the
    ``outputs`` at the points of :func:`sobol_sample`, with their 95% CI half-widths
    (columns input, S1, S1_conf, ST, ST_conf). The outputs must vary."""
    from SALib.analyze import sobol

    bootstrap = int(RandomStreams(seed, 0).generator(BOOTSTRAP_STREAM).integers(1, 2**31))
    indices = sobol.analyze(
        _problem(len(names)),
        np.asarray(outputs, dtype=float),
        calc_second_order=False,
        num_resamples=BOOTSTRAP_RESAMPLES,
        conf_level=CONFIDENCE,
        seed=bootstrap,
    )
    return pd.DataFrame(
        {
            "input": list(names),
            **{column: np.asarray(indices[column]) for column in INDEX_COLUMNS[2:]},
        }
    )


@dataclass(frozen=True)
class SobolPlan:
    """The design's points, resolved and validated before anything runs."""

    scenario: Scenario  # the base, with the fixed overrides
    inputs: list[str]  # the uncertain inputs, in the [uncertainty] table's order
    samples: int  # N, the base sample
    unit: np.ndarray  # the points in the unit cube, a row per point
    parameter_sets: pd.DataFrame  # the same points as values, a column per input
    cells: list[Cell]  # one per point, in the design's order
    replications: int  # per point
    seed: int
    kpis: tuple[str, ...]  # those whose indices are estimated

    @property
    def imbalance(self) -> tuple[float, str]:
        """The largest correlation of an input's columns in A and B, and the input."""
        correlation, column = imbalance(self.unit, len(self.inputs))
        return correlation, self.inputs[column]

    def balance_warning(self) -> str | None:
        """What to do if the design's A and B are not yet independent (see
        :data:`POINTS_PER_INPUT`), else None."""
        correlation, key = self.imbalance
        if correlation <= BALANCE_LIMIT:
            return None
        return (
            f"N = {self.samples} is few for {len(self.inputs)} inputs: the design's two halves "
            f"are correlated ({correlation:.2f} for {key}), which biases the indices; use a "
            f"base sample of {balanced_samples(len(self.inputs))} or more"
        )

    @property
    def runs(self) -> int:
        return len(self.cells) * self.replications

    def cost(self, workers: int | None) -> Estimate:
        """What the design will cost on ``workers`` processes (the budget's estimate)."""
        return estimate([(cell.scenario, self.replications) for cell in self.cells], workers)

    def describe(self) -> str:
        return (
            f"{len(self.inputs)} inputs, N = {self.samples}: {len(self.cells):,} points x "
            f"{self.replications} replication(s) = {self.runs:,} runs"
        )


def plan_sobol(
    base: Path,
    fixed: Overrides,
    samples: int | None,
    replications: int,
    seed: int,
    kpis: Sequence[str] = SENSITIVITY_KPIS,
) -> SobolPlan:
    """Resolve every point of the design of the uncertain inputs of ``base`` (with the
    ``fixed`` overrides), of ``samples`` base points (None: :func:`balanced_samples`);
    one-line errors name the option, file or key at fault."""
    if samples is not None:
        check_samples(samples)
    scenario = load_scenario_with_values(base, fixed)
    inputs = uncertain_keys(scenario, str(base))
    samples = samples if samples is not None else balanced_samples(len(inputs))
    check_priors(base, fixed, scenario)
    unit = sobol_sample(len(inputs), samples, seed)
    sets = values_at(scenario, unit)
    crn = (("run.seed", seed), ("run.replications", replications))
    cells = [
        resolve_cell(
            point, base, (*fixed, *set_overrides(row), *crn), {}, inputs, f"{base}: uncertainty"
        )
        for point, row in enumerate(sets.to_dict("records"))
    ]
    kpis = tuple(dict.fromkeys(kpis))
    return SobolPlan(scenario, inputs, samples, unit, sets, cells, replications, seed, kpis)


@dataclass(frozen=True)
class SobolResults:
    """The indices (``sobol.csv``), a row per KPI (``sobol_kpis.csv``) and every run."""

    plan: SobolPlan
    indices: pd.DataFrame  # kpi, input, S1, S1_conf, ST, ST_conf
    kpis: pd.DataFrame  # kpi, unit, points, mean, sd, S1_sum, noise_share, note
    replications: pd.DataFrame  # cell (the point), its inputs, replication, every KPI


def run_sobol(
    plan: SobolPlan,
    executor: Executor,
    on_progress: Callable[[SweepProgress], None] | None = None,
    force: bool = False,
) -> SobolResults:
    """Run every point on ``executor`` (refused before any runs if too big for this
    machine, unless ``force``) and estimate the indices of each of the plan's KPIs."""
    tables: dict[int, pd.DataFrame] = {}

    def keep(cell: Cell, table: pd.DataFrame) -> None:
        tables[cell.index] = table

    run_cells(
        plan.cells,
        plan.replications,
        plan.seed,
        executor,
        keep,
        on_progress=on_progress,
        force=force,
    )
    replications = pd.concat([tables[c.index] for c in plan.cells], ignore_index=True)
    indices, kpis = analyse(replications, plan.inputs, plan.kpis, plan.seed)
    return SobolResults(plan, indices, kpis, replications)


def analyse(
    replications: pd.DataFrame, inputs: Sequence[str], kpis: Sequence[str], seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indices of each KPI over the points' means, and a row per KPI saying how much
    it varies, the sum of its S1, the noise share, or why it has no indices."""
    by_point = replications.groupby(CELL_COLUMN, sort=True)
    reps = int(by_point.size().min())
    blocks, rows = [], []
    for kpi in kpis:
        row: dict[str, object] = {"kpi": kpi, "unit": kpi_unit(kpi), "points": by_point.ngroups}
        rows.append(row)
        if kpi not in replications.columns:
            row["note"] = "not a KPI of these runs (a year or follow-up beyond their horizon?)"
            continue
        means = by_point[kpi].mean().to_numpy(dtype=float)
        undefined = int(np.isnan(means).sum())
        if undefined:
            row["note"] = f"undefined at {undefined} of {len(means)} points"
            continue
        row.update(mean=float(means.mean()), sd=float(means.std(ddof=1)))
        if np.ptp(means) <= 1e-12 * max(1.0, float(np.abs(means).max())):
            row["note"] = "the same at every point: no variance to apportion"
            continue
        if reps > 1:
            within = float(by_point[kpi].var(ddof=1).mean())
            row["noise_share"] = within / reps / float(means.var(ddof=1))
        table = sobol_indices(means, inputs, seed)
        row["S1_sum"] = float(table["S1"].sum())
        blocks.append(table.assign(kpi=kpi))
    indices = (
        pd.concat(blocks, ignore_index=True)[list(INDEX_COLUMNS)]
        if blocks
        else pd.DataFrame(columns=list(INDEX_COLUMNS))
    )
    return indices, pd.DataFrame(rows).reindex(columns=list(KPI_COLUMNS))
