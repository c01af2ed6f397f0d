"""simdivert: discrete-event simulation of police drug-diversion capacity.

The public Python API (see the README, "From Python")::

    import simdivert as sd
    result = sd.run(sd.load_scenario("west_midlands"), replications=10, seed=1)

Names are loaded when first used, so ``import simdivert`` (and the command line's
start) stays quick and the reporting layer never loads the simulation engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Each public name and the module that defines it.
_PUBLIC = {
    "load_scenario": "simdivert.api",
    "builtin_scenarios": "simdivert.api",
    "run": "simdivert.api",
    "compare": "simdivert.api",
    "forecast": "simdivert.api",
    "write_run": "simdivert.api",
    "write_comparison": "simdivert.api",
    "write_report": "simdivert.api",
    "sobol": "simdivert.api",
    "write_sobol": "simdivert.api",
    "SobolResults": "simdivert.experiments.sobol",
    "local": "simdivert.api",
    "dask": "simdivert.api",
    "fit": "simdivert.api",
    "fitted_parameter_sets": "simdivert.api",
    "ComparisonResult": "simdivert.api",
    "RunResult": "simdivert.experiments.replications",
    "Scenario": "simdivert.scenario.schema",
    "KPIS": "simdivert.kpis",
    "Kpi": "simdivert.kpis",
    "UserError": "simdivert.errors",
    "ScenarioError": "simdivert.errors",
}
_RENAMED = {"KPIS": "CATALOGUE"}

__all__ = [
    "KPIS",
    "ComparisonResult",
    "Kpi",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SobolResults",
    "UserError",
    "__version__",
    "builtin_scenarios",
    "compare",
    "dask",
    "fit",
    "fitted_parameter_sets",
    "forecast",
    "load_scenario",
    "local",
    "run",
    "sobol",
    "write_comparison",
    "write_report",
    "write_run",
    "write_sobol",
]

if TYPE_CHECKING:
    from simdivert.api import (
        ComparisonResult,
        builtin_scenarios,
        compare,
        dask,
        fit,
        fitted_parameter_sets,
        forecast,
        load_scenario,
        local,
        run,
        sobol,
        write_comparison,
        write_report,
        write_run,
        write_sobol,
    )
    from simdivert.errors import ScenarioError, UserError
    from simdivert.experiments.replications import RunResult
    from simdivert.experiments.sobol import SobolResults
    from simdivert.kpis import CATALOGUE as KPIS
    from simdivert.kpis import Kpi
    from simdivert.scenario.schema import Scenario


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'simdivert' has no attribute {name!r}")
    value = getattr(import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
