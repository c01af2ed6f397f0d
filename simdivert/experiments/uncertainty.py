"""Parameter sets drawn from a scenario's uncertain inputs (its ``[uncertainty]`` table).

One way for every design: points in the unit cube (a column per uncertain input, in
the table's order) turned into values by each prior's quantile function
(:meth:`simdivert.scenario.uncertainty.Prior.value_at`); an input whose scenario value
is a whole number (drug workers, rebookings) is rounded to one. A parameter set is a
row of values; applied to the scenario as dotted-key overrides it gives one scenario
to run. The draws come from the seed's own design stream, so the same seed gives the
same parameter sets in every arm of a comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simdivert.errors import ScenarioError
from simdivert.experiments.sweep_cells import Overrides
from simdivert.model.random_streams import RandomStreams
from simdivert.scenario.files import load_scenario_with_values
from simdivert.scenario.schema import Scenario
from simdivert.scenario.uncertainty import SET_COLUMN

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

UNCERTAINTY_STREAM = "design.uncertainty"


def uncertain_keys(scenario: Scenario, source: str = "") -> list[str]:
    """The scenario's uncertain inputs, in its table's order; an error if it has none."""
    if not scenario.uncertainty:
        raise ScenarioError(
            source or scenario.name,
            "uncertainty",
            "the scenario names no uncertain inputs (add an [uncertainty] table)",
        )
    return list(scenario.uncertainty)


def unit_sample(dimensions: int, samples: int, seed: int) -> np.ndarray:
    """A Latin hypercube of ``samples`` points in the unit cube, from the seed's design
    stream: each input's range is cut into ``samples`` equal slices, one point in each."""
    from scipy.stats import qmc  # a second of import: only uncertain runs pay it

    rng = RandomStreams(seed, 0).generator(UNCERTAINTY_STREAM)
    return qmc.LatinHypercube(d=dimensions, rng=rng).random(samples)


def values_at(scenario: Scenario, unit: np.ndarray) -> pd.DataFrame:
    """The parameter sets at unit-cube points ``unit`` (rows), a column per input."""
    import numpy as np
    import pandas as pd

    keys = uncertain_keys(scenario)
    columns: dict[str, Any] = {}
    for column, key in enumerate(keys):
        values = scenario.uncertainty[key].value_at(unit[:, column])
        whole = isinstance(scenario.value_at(key), int)
        columns[key] = np.rint(values).astype(int) if whole else values.astype(float)
    table = pd.DataFrame(columns)
    table.index.name = SET_COLUMN
    return table


def prior_sets(scenario: Scenario, samples: int, seed: int) -> pd.DataFrame:
    """``samples`` parameter sets drawn from the priors (a Latin hypercube)."""
    return values_at(scenario, unit_sample(len(uncertain_keys(scenario)), samples, seed))


def set_overrides(parameter_set: Mapping[str, Any]) -> Overrides:
    """A parameter set as dotted-key overrides, plain Python numbers."""
    return tuple((key, _plain(value)) for key, value in parameter_set.items())


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def check_priors(path: Path, values: Sequence[tuple[str, Any]], scenario: Scenario) -> None:
    """Every prior's smallest and largest value gives a valid scenario, else one line
    naming the file, ``uncertainty.<key>`` and the problem, before anything runs."""
    import numpy as np

    ends = values_at(
        scenario, np.array([[0.0] * len(scenario.uncertainty), [1.0] * len(scenario.uncertainty)])
    )
    for key in ends.columns:
        for value in ends[key]:
            try:
                load_scenario_with_values(path, [*values, (key, _plain(value))], "uncertainty")
            except ScenarioError as exc:
                raise ScenarioError(
                    str(path),
                    f"uncertainty.{key}",
                    f"the prior reaches {value:g}, where the scenario says: {exc.problem}",
                ) from None
