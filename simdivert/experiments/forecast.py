"""Forecasts with uncertainty: N parameter sets x the run's replications, on common
random numbers.

A parameter set is a value for each of the scenario's uncertain inputs (its
``[uncertainty]`` table): drawn from the priors (:func:`.uncertainty.prior_sets`) or
chosen among the sets a fit kept (:func:`choose_fitted_sets`). Every set runs the
same replication indices with the same seed, so two sets differ only by their inputs,
and a comparison applies the same sets to every scenario (:func:`run_forecasts`). The
cells are ordinary replications of ordinary scenarios, run together on one executor
(:func:`simdivert.experiments.replications.run_experiments`), so the pre-run budget
counts sets x replications and the results do not depend on the executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simdivert.errors import ScenarioError, UserError
from simdivert.experiments.budget import check_budget
from simdivert.experiments.executors import Executor
from simdivert.experiments.replications import RunResult, run_experiments
from simdivert.experiments.uncertainty import prior_sets, set_overrides, uncertain_keys
from simdivert.model.random_streams import RandomStreams
from simdivert.scenario.files import scenario_with_values
from simdivert.scenario.schema import Scenario
from simdivert.scenario.uncertainty import MISSING, SET_COLUMN

FIT_CHOICE_STREAM = "design.fitted_sets"  # which of a fit's sets a forecast runs
PRIORS, FIT = "priors", "fit"  # where a forecast's parameter sets came from


def choose_fitted_sets(fitted: pd.DataFrame, sets: int, seed: int) -> pd.DataFrame:
    """``sets`` of a fit's parameter sets (indexed by ``set``), chosen without
    replacement by the seed's own stream and kept in the fit's order; all of them when
    the fit kept no more. The same seed chooses the same sets."""
    if sets < 1:
        raise UserError(f"sets {sets}: must be at least 1", option="sets")
    if len(fitted) <= sets:
        return fitted
    rng = RandomStreams(seed, 0).generator(FIT_CHOICE_STREAM)
    chosen = np.sort(rng.choice(len(fitted), size=sets, replace=False))
    return fitted.iloc[chosen]


@dataclass(frozen=True)
class ForecastSets:
    """The parameter sets a forecast runs (``table``, indexed by ``set``) and where they
    came from: the priors, or ``fit`` (a file) which kept ``in_fit`` sets."""

    table: pd.DataFrame
    asked: int
    fit: str | None = None
    in_fit: int | None = None

    def record(self, scenario: Scenario, replications: int) -> dict[str, Any]:
        """What a manifest says of the forecast's uncertainty."""
        return {
            "source": FIT if self.fit is not None else PRIORS,
            "fit": self.fit,
            "sets_asked": self.asked,
            "sets": len(self.table),
            "sets_in_fit": self.in_fit,
            "set_numbers": [int(s) for s in self.table.index],
            "replications_per_set": replications,
            "common_random_numbers": "every set runs the same seed and replication indices",
            "prediction_interval": "90%: 5th and 95th percentiles over all sets x replications",
            "confidence_interval": "95%: t-interval of the sets' means (Monte-Carlo precision)",
            "inputs": {
                key: scenario.uncertainty[key].describe() for key in uncertain_keys(scenario)
            },
        }


def forecast_sets(
    scenario: Scenario,
    sets: int,
    seed: int,
    fitted: pd.DataFrame | None = None,
    fit: str | None = None,
) -> ForecastSets:
    """The parameter sets a forecast runs: ``sets`` chosen among a fit's (``fitted``, read
    from ``fit``) when given, else ``sets`` drawn from the scenario's priors (a Latin
    hypercube from the seed)."""
    if sets < 1:
        raise UserError(f"sets {sets}: must be at least 1", option="sets")
    if fitted is None:
        return ForecastSets(prior_sets(scenario, sets, seed), sets)
    chosen = _as_scenario_types(scenario, choose_fitted_sets(fitted, sets, seed))
    return ForecastSets(chosen, sets, fit, len(fitted))


def _as_scenario_types(scenario: Scenario, table: pd.DataFrame) -> pd.DataFrame:
    """A fit's values as the scenario takes them: whole numbers where it has whole numbers."""
    typed = table.copy()
    for key in typed.columns:
        if isinstance(scenario.value_at(key), int):
            typed[key] = np.rint(typed[key].astype(float)).astype(int)
    return typed


def set_scenarios(scenario: Scenario, sets: pd.DataFrame, source: str) -> list[Scenario]:
    """``scenario`` with each parameter set's values; an input the scenario lacks, or a
    value it refuses, is one line naming ``source``, the key (and the set)."""
    for key in sets.columns:
        if scenario.value_at(key) is MISSING:
            raise ScenarioError(
                source,
                key,
                "the parameter sets give this input a value, but the scenario has no such key",
            )
    return [
        scenario_with_values(scenario, set_overrides(row), f"{source} (parameter set {set_number})")
        for set_number, row in sets.iterrows()
    ]


def run_forecasts(
    scenarios: Sequence[Scenario],
    sets: ForecastSets,
    replications: int,
    seed: int,
    executor: Executor,
    keep_events: bool = False,
    force: bool = False,
    sources: Sequence[str] = (),
) -> list[RunResult]:
    """Each scenario under every parameter set, ``replications`` each, all on the same
    seed and replication indices; one result per scenario, its tables with a ``set``
    column. All the cells go to the executor at once (and its budget check) together."""
    # Sized before every set's scenario is built (a typo of --sets 100000 is refused at once).
    total = replications * len(sets.table)
    check_budget([(s, total) for s in scenarios], executor.workers, keep_events, force)
    names = list(sources) or [s.name for s in scenarios]
    cells = [set_scenarios(s, sets.table, name) for s, name in zip(scenarios, names, strict=True)]
    flat = [cell for arm in cells for cell in arm]
    results = run_experiments(flat, replications, seed, executor, keep_events, force=force)
    per_arm = len(sets.table)
    record = sets.record(scenarios[0], replications)  # the sets are the first scenario's
    return [
        _combine(scenario, sets.table, record, results[k * per_arm : (k + 1) * per_arm])
        for k, scenario in enumerate(scenarios)
    ]


def _combine(
    scenario: Scenario, sets: pd.DataFrame, record: dict[str, Any], results: list[RunResult]
) -> RunResult:
    """One scenario's results over its parameter sets, as one result with a set column."""

    def stacked(tables: list[pd.DataFrame | None]) -> pd.DataFrame | None:
        if tables[0] is None:
            return None
        return pd.concat(
            [
                table.assign(**{SET_COLUMN: number})[[SET_COLUMN, *table.columns]]
                for number, table in zip(sets.index, tables, strict=True)
                if table is not None
            ],
            ignore_index=True,
        )

    replications = stacked([r.replications for r in results])
    timeseries = stacked([r.timeseries for r in results])
    utilisation = stacked([r.utilisation for r in results])
    assert replications is not None and timeseries is not None and utilisation is not None
    first = results[0]
    return RunResult(
        scenario,
        first.seed,
        replications,
        timeseries,
        utilisation,
        stacked([r.events for r in results]),
        first.started,
        first.finished,
        first.where,
        parameter_sets=sets,
        uncertainty=record,
    )
