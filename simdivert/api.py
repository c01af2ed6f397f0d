"""The public Python API, for notebooks and scripts: what a command can do, a call can.

::

    import simdivert as sd
    scenario = sd.load_scenario("west_midlands", set={"provider.drug_workers": 6})
    result = sd.run(scenario, replications=20, seed=1)
    result.summary                      # kpi, mean, ci_low, ci_high, unit
    forecast = sd.forecast(scenario, sets=20, replications=5, seed=1)
    forecast.summary                    # ... and pi_low, pi_high: 90% prediction intervals
    comparison = sd.compare("status_quo", scenario, replications=10)
    sd.write_run(result, "outputs/my-run"); sd.write_report("outputs/my-run")
    indices = sd.sobol("west_midlands", samples=32, set={"run.years": 2})
    indices.indices                     # kpi, input, S1, S1_conf, ST, ST_conf

Every function here is a thin composition of the layers below; the command line
(:mod:`simdivert.cli`) calls the same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from simdivert.experiments.executors import DaskExecutor, Executor, local_executor
from simdivert.experiments.replications import RunResult, paired_comparison, run_experiments
from simdivert.experiments.sobol import SobolResults, plan_sobol, run_sobol
from simdivert.kpis import SENSITIVITY_KPIS
from simdivert.scenario import files
from simdivert.scenario.schema import Scenario

if TYPE_CHECKING:
    from simdivert.experiments.forecast import ForecastSets
    from simdivert.outputs.fit_folder import FitOutcome

ScenarioLike = Scenario | str | Path
DEFAULT_SETS = 20  # parameter sets of a forecast with uncertainty, unless told


def load_scenario(
    name_or_path: str | Path | None = None,
    set: Mapping[str, Any] | Sequence[str] | None = None,  # noqa: A002 (the CLI's --set)
) -> Scenario:
    """A validated scenario: a built-in name (``"west_midlands"``) or a TOML file, with
    dotted-key values changed (``{"provider.drug_workers": 6}``, or ``"key=value"``
    strings as ``--set`` takes them). Raises :class:`simdivert.ScenarioError` naming the
    file, the key and the problem."""
    if set is None:
        return files.load_scenario(name_or_path)
    if isinstance(set, Mapping):
        return files.load_scenario_with_values(name_or_path, list(set.items()))
    return files.load_scenario(name_or_path, list(set))


def builtin_scenarios() -> list[str]:
    """The names of the scenarios shipped with simdivert."""
    return files.builtin_scenarios()


def _scenario(scenario: ScenarioLike) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def local(workers: int | None = None, force: bool = False) -> Executor:
    """Run replications on this machine: ``workers`` processes (None: all cores; 1: in this
    process; more than the cores only if ``force``). Use it in a ``with`` block, or pass
    it to :func:`run` and close it after."""
    from simdivert.experiments.executors import default_workers

    return local_executor(default_workers() if workers is None else workers, force)


def dask(address: str) -> Executor:
    """Run replications on an existing ``dask.distributed`` scheduler (same results)."""
    return DaskExecutor(address)


def _run_all(
    scenarios: list[Scenario],
    replications: int | None,
    seed: int | None,
    executor: Executor | None,
    keep_events: bool,
    force: bool,
) -> list[RunResult]:
    reps = replications if replications is not None else scenarios[0].run.replications
    seed_used = seed if seed is not None else scenarios[0].run.seed
    if executor is None:
        with local(1) as in_process:
            return run_experiments(scenarios, reps, seed_used, in_process, keep_events, force=force)
    return run_experiments(scenarios, reps, seed_used, executor, keep_events, force=force)


def run(
    scenario: ScenarioLike,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    keep_events: bool = False,
    force: bool = False,
) -> RunResult:
    """Replications of one scenario (defaults: its ``run.replications`` and ``run.seed``)
    on ``executor`` (None: in this process). The result's ``summary`` and
    ``replications`` are the tables of ``summary.csv`` and ``replications.csv``. A run
    too big for this machine is refused before it starts, unless ``force``."""
    return _run_all([_scenario(scenario)], replications, seed, executor, keep_events, force)[0]


def forecast_sets(
    scenario: Scenario, sets: int, seed: int, fit: str | Path | None = None
) -> ForecastSets:
    """The parameter sets a forecast of ``scenario`` runs: ``sets`` chosen among those of
    ``fit`` (a Parquet file, a fit's folder or a built-in fit's name) with the seed's own
    stream, else ``sets`` drawn from the scenario's ``[uncertainty]`` priors."""
    from simdivert.experiments.forecast import forecast_sets as choose
    from simdivert.outputs.parameter_sets import read_parameter_sets, resolve_fit

    if fit is None:
        return choose(scenario, sets, seed)
    path = resolve_fit(fit)
    label = str(path) if Path(fit).exists() else f"{fit} (built in)"  # no install path shown
    return choose(scenario, sets, seed, read_parameter_sets(path, scenario), label)


def forecast(
    scenario: ScenarioLike,
    sets: int = DEFAULT_SETS,
    fit: str | Path | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    keep_events: bool = False,
    force: bool = False,
) -> RunResult:
    """A forecast with uncertainty: ``sets`` parameter sets (from ``fit``, else the
    scenario's priors: :func:`forecast_sets`) x ``replications`` each, every set on the
    same seed and replication indices. The result's ``summary`` adds ``pi_low`` and
    ``pi_high``, the 90% prediction interval over all sets x replications, beside the
    Monte-Carlo ``ci_low`` and ``ci_high`` of the mean; its tables have a ``set`` column."""
    return _forecast_all(
        [_scenario(scenario)], sets, fit, replications, seed, executor, force, keep_events
    )[0]


def _forecast_all(
    scenarios: list[Scenario],
    sets: int,
    fit: str | Path | None,
    replications: int | None,
    seed: int | None,
    executor: Executor | None,
    force: bool,
    keep_events: bool = False,
) -> list[RunResult]:
    from simdivert.experiments.forecast import run_forecasts

    reps = replications if replications is not None else scenarios[0].run.replications
    seed_used = seed if seed is not None else scenarios[0].run.seed
    chosen = forecast_sets(scenarios[0], sets, seed_used, fit)
    if executor is None:
        with local(1) as in_process:
            return run_forecasts(scenarios, chosen, reps, seed_used, in_process, keep_events, force)
    return run_forecasts(scenarios, chosen, reps, seed_used, executor, keep_events, force)


@dataclass(frozen=True)
class ComparisonResult:
    """Scenarios run on common random numbers, the first the base.

    ``table`` is ``comparison.csv``: per KPI and scenario, the mean and CI and the paired
    difference from the base with its CI.
    """

    names: list[str]
    results: list[RunResult]
    table: pd.DataFrame

    def differences(self, scenario: str) -> pd.DataFrame:
        """One scenario's paired differences from the base: kpi, diff_mean, diff_ci_*."""
        rows = self.table[self.table["scenario"] == scenario]
        return rows[["kpi", "diff_mean", "diff_ci_low", "diff_ci_high"]].reset_index(drop=True)


def unique_names(scenarios: Sequence[Scenario]) -> list[str]:
    """The scenarios' names, a repeated one numbered (``west_midlands-2``)."""
    names: list[str] = []
    for scenario in scenarios:
        name, k = scenario.name, 2
        while name in names:
            name, k = f"{scenario.name}-{k}", k + 1
        names.append(name)
    return names


def compare(
    base: ScenarioLike,
    *others: ScenarioLike,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    force: bool = False,
    sets: int | None = None,
    fit: str | Path | None = None,
) -> ComparisonResult:
    """Run ``base`` and each of ``others`` with the base's seed and replications (common
    random numbers), and pair every scenario's replications with the base's.

    With ``sets`` (a comparison with uncertainty), the base's parameter sets (from
    ``fit``, else its priors) are applied to every scenario too, so the differences are
    paired by set and replication and come with prediction intervals."""
    scenarios = [_scenario(s) for s in (base, *others)]
    names = unique_names(scenarios)
    if sets is not None or fit is not None:
        results = _forecast_all(
            scenarios, sets or DEFAULT_SETS, fit, replications, seed, executor, force
        )
    else:
        results = _run_all(scenarios, replications, seed, executor, keep_events=False, force=force)
    return ComparisonResult(names, results, paired_comparison(results, names))


def fit(
    scenario: str | Path = "west_midlands",
    out: str | Path = "outputs/fit-west_midlands",
    *,
    targets: str | Path | None = None,
    points: int = 120,
    waves: int = 4,
    replications: int = 1,
    seed: int | None = None,
    cutoff: float = 3.0,
    cut_rank: int = 1,
    executor: Executor | None = None,
    fresh: bool = False,
    figures: bool = True,
    command: str = "",
) -> FitOutcome:
    """History-match ``scenario``'s uncertain inputs to its published targets (as
    ``simdivert calibrate --fit`` does) in the folder ``out``; a rerun resumes. The
    outcome's ``parameter_sets`` are the final wave's non-implausible sets, ``checks``
    the per-target table (fitted rows and tests), ``waves`` every run."""
    from simdivert.clock import utc_now
    from simdivert.experiments.calibration import load_targets
    from simdivert.experiments.fit_plan import plan_fit
    from simdivert.experiments.history_matching import Settings
    from simdivert.outputs.fit_folder import run_fit
    from simdivert.outputs.manifest import Provenance

    started = utc_now()
    path = files.resolve_scenario_path(scenario)
    seed_used = seed if seed is not None else files.load_scenario(path).run.seed
    settings = Settings(points, waves, cutoff, cut_rank, seed=seed_used)
    source = str(targets) if targets is not None else "built-in targets"
    plan = plan_fit(
        path,
        load_targets(None if targets is None else Path(targets)),
        settings,
        replications,
        source,
    )
    with local(1) if executor is None else nullcontext(executor) as runner:
        provenance = Provenance(started, where=runner.where(), command=command)
        outcome = run_fit(plan, Path(out), runner, fresh, provenance)
    if figures:
        from simdivert.reporting.fit_plots import write_fit_figures

        write_fit_figures(outcome.folder)
    return outcome


def fitted_parameter_sets(scenario: ScenarioLike = "west_midlands") -> pd.DataFrame:
    """The parameter sets shipped with a built-in scenario (its checked-in fit), a row
    per set and a column per uncertain input; an error if it has none."""
    from simdivert.errors import UserError
    from simdivert.outputs.parameter_sets import builtin_fits, read_parameter_sets, resolve_fit

    resolved = _scenario(scenario)
    if resolved.name not in builtin_fits():
        raise UserError(f"{resolved.name}: no fitted parameter sets are shipped for it")
    return read_parameter_sets(resolve_fit(resolved.name), resolved)


def sobol(
    scenario: str | Path | None = None,
    samples: int | None = None,
    replications: int = 1,
    seed: int | None = None,
    set: Mapping[str, Any] | Sequence[str] | None = None,  # noqa: A002 (the CLI's --set)
    kpis: Sequence[str] = SENSITIVITY_KPIS,
    executor: Executor | None = None,
    force: bool = False,
) -> SobolResults:
    """Sobol indices (S1 and ST with 95% CIs) of ``kpis`` to the uncertain inputs of a
    scenario file or built-in name (its ``[uncertainty]`` table), from a design of
    ``(inputs + 2) x samples`` points of ``replications`` each on common random numbers
    (seed: the scenario's), run on ``executor`` (None: in this process), as
    ``simdivert sensitivity --method sobol`` does. ``samples`` is a power of 2 (None:
    the smallest with 8 per input, 128 for 15 inputs)."""
    path = files.resolve_scenario_path(scenario)
    if set is None:
        fixed: tuple[tuple[str, Any], ...] = ()
    elif isinstance(set, Mapping):
        fixed = tuple(set.items())
    else:
        fixed = tuple(files.parse_override(text) for text in set)
    base = files.load_scenario_with_values(path, fixed)
    plan = plan_sobol(
        path, fixed, samples, replications, seed if seed is not None else base.run.seed, kpis
    )
    if executor is None:
        with local(1) as in_process:
            return run_sobol(plan, in_process, force=force)
    return run_sobol(plan, executor, force=force)


def write_sobol(results: SobolResults, folder: str | Path) -> Path:
    """Write a Sobol analysis's folder (as ``simdivert sensitivity --method sobol`` does)."""
    from simdivert.clock import utc_now
    from simdivert.outputs.manifest import Provenance
    from simdivert.outputs.sobol_files import write_sobol as write

    return write(results, folder, Provenance(utc_now()))


def write_run(result: RunResult, folder: str | Path) -> Path:
    """Write a run folder (as ``simdivert run`` does); never into a non-empty folder."""
    from simdivert.outputs.writers import write_run as write

    return write(result, folder)


def write_comparison(comparison: ComparisonResult, folder: str | Path) -> Path:
    """Write a comparison folder (as ``simdivert compare`` does)."""
    from simdivert.outputs.writers import write_comparison as write

    return write(comparison.results, comparison.names, comparison.table, folder)


def write_report(folder: str | Path) -> Path:
    """Write ``report.html`` and ``figures/`` into an output folder; returns the report."""
    from simdivert.reporting.report import write_report as write

    return write(Path(folder))
