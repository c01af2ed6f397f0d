"""``--uncertainty``, ``--sets`` and ``--fit`` of ``simdivert run`` and ``compare``: a
forecast over parameter sets x replications (:mod:`simdivert.experiments.forecast`).

The commands stay as they were without ``--uncertainty``; with it, every scenario runs
the same parameter sets (the first scenario's, from a fit or its priors) on the same
seed and replication indices, through the same executor and budget check.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simdivert.errors import UserError
from simdivert.scenario.files import describe_file, parse_override

if TYPE_CHECKING:
    from simdivert.experiments.executors import Executor
    from simdivert.experiments.forecast import ForecastSets
    from simdivert.experiments.replications import RunResult
    from simdivert.scenario.schema import Scenario

UncertaintyOption = Annotated[
    bool,
    typer.Option(
        "--uncertainty",
        help="Forecast with uncertainty: run --sets parameter sets (from --fit, else the "
        "scenario's [uncertainty] priors) x --reps each, and add 90% prediction intervals "
        "(pi_low, pi_high) beside the confidence intervals.",
    ),
]
SetsOption = Annotated[
    int | None,
    typer.Option("--sets", help="Parameter sets of a run with --uncertainty (default: 20).", min=1),
]
FitOption = Annotated[
    str | None,
    typer.Option(
        "--fit",
        metavar="NAME|PATH",
        help="With --uncertainty: draw the sets from a fit (parameter_sets.parquet, a fit's "
        "folder, or a built-in fit's name, e.g. west_midlands) instead of the priors.",
    ),
]


def check_options(uncertainty: bool, sets: int | None, fit: str | None) -> None:
    """``--sets`` and ``--fit`` mean something only with ``--uncertainty``."""
    for value, option in ((sets, "sets"), (fit, "fit")):
        if value is not None and not uncertainty:
            raise UserError(f"{option}: only with --uncertainty", option=option)


def parameter_sets(
    scenario: Scenario, source: Path, overrides: Sequence[str], sets: int | None, fit: str | None
) -> ForecastSets:
    """The sets a forecast of ``scenario`` (read from ``source`` with ``overrides``) runs,
    chosen before anything starts: a bad ``--fit`` or prior is one line and nothing runs.

    Drawn from priors, every prior's ends are checked first to give a valid scenario
    (one line naming the file and ``uncertainty.<key>``).
    """
    from simdivert.api import DEFAULT_SETS, forecast_sets
    from simdivert.experiments.uncertainty import check_priors, uncertain_keys

    uncertain_keys(scenario, describe_file(source))
    if fit is None:
        check_priors(source, [parse_override(text) for text in overrides], scenario)
    return forecast_sets(scenario, sets or DEFAULT_SETS, scenario.run.seed, fit)


def run_arms(
    scenarios: Sequence[Scenario],
    sources: Sequence[Path],
    chosen: ForecastSets,
    executor: Executor,
    keep_events: bool,
    force: bool,
) -> list[RunResult]:
    """A forecast with uncertainty of each scenario, the same parameter sets in all, with
    the first scenario's replications and seed."""
    from simdivert.experiments.forecast import run_forecasts

    first = scenarios[0]
    names = [describe_file(source) for source in sources]
    return run_forecasts(
        scenarios,
        chosen,
        first.run.replications,
        first.run.seed,
        executor,
        keep_events,
        force,
        names,
    )
