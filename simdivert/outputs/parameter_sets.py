"""Parameter sets on disk: the file a fit writes and a forecast with uncertainty reads.

``parameter_sets.parquet``: one row per parameter set, a column ``set`` (its number)
and one column per uncertain input, named by its dotted key; other columns a writer
adds (a fit's wave, its implausibility) are kept and ignored by readers.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from simdivert.errors import ScenarioError, UserError
from simdivert.outputs.folders import write_atomically
from simdivert.scenario.files import builtin_scenario_dir
from simdivert.scenario.schema import Scenario
from simdivert.scenario.uncertainty import SET_COLUMN

PARAMETER_SETS_FILE = "parameter_sets.parquet"
FITS_FOLDER = "fits"  # beside the built-in scenarios: the fits shipped with simdivert


def builtin_fits() -> list[str]:
    """The names of the fits shipped with simdivert (``west_midlands``...)."""
    return sorted(p.stem for p in (builtin_scenario_dir() / FITS_FOLDER).glob("*.parquet"))


def resolve_fit(name_or_path: str | Path) -> Path:
    """A fit a forecast names: a Parquet file or a fit's folder, else the name of a
    built-in fit (``simdivert/scenario/builtin/fits/<name>.parquet``); one line if neither."""
    path = Path(name_or_path)
    if path.exists():
        return path
    builtin = builtin_scenario_dir() / FITS_FOLDER / f"{path.name.removesuffix('.parquet')}.parquet"
    if path.parent == Path(".") and builtin.is_file():
        return builtin
    shipped = ", ".join(builtin_fits()) or "none yet"
    raise UserError(
        f"fit {name_or_path}: no such file or folder, nor a built-in fit (built in: {shipped})",
        option="fit",
    )


def write_parameter_sets(path: Path, table: pd.DataFrame) -> Path:
    """Write ``table`` (index or column ``set``) whole or not at all."""
    frame = table.reset_index() if SET_COLUMN not in table.columns else table
    return write_atomically(path, lambda target: frame.to_parquet(target, index=False))


def read_parameter_sets(path: Path, scenario: Scenario) -> pd.DataFrame:
    """The parameter sets in ``path`` (a file, or a fit's folder holding one), as a table
    indexed by ``set`` with a column per uncertain input of ``scenario``, in its order.

    Errors name the file and the column: a missing file, an input the scenario names as
    uncertain that the file lacks, a value that is not a finite number, no rows.
    """
    file = path / PARAMETER_SETS_FILE if path.is_dir() else path
    if not file.is_file():
        raise ScenarioError(str(file), None, "no such file of parameter sets")
    try:
        table = pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises many kinds for a file that is not Parquet
        raise ScenarioError(str(file), None, f"not a Parquet file ({exc})") from None
    keys = list(scenario.uncertainty)
    if SET_COLUMN not in table.columns:
        raise ScenarioError(str(file), SET_COLUMN, "missing column")
    for key in keys:
        if key not in table.columns:
            raise ScenarioError(
                str(file), key, f"missing column: {scenario.name} names it as uncertain"
            )
    if table.empty:
        raise ScenarioError(str(file), None, "no parameter sets")
    for key in keys:
        values = pd.to_numeric(table[key], errors="coerce")
        bad = [i for i, v in enumerate(values) if not math.isfinite(v)]
        if bad:
            raise ScenarioError(str(file), key, f"row {bad[0] + 1}: not a finite number")
    return table.set_index(SET_COLUMN)[keys]
