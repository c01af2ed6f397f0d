"""The sweep file: a base scenario and what varies across the cells of a sweep.

A sweep file is TOML::

    name = "staffing_by_demand"      # [default: the file's name]
    scenario = "west_midlands"       # base scenario: a path (relative to this file) or a built-in
    replications = 10                # per cell [default: the base scenario's run.replications]
    seed = 2020                      # one seed for every cell [default: the base scenario's]

    [set]                            # the same in every cell
    "run.years" = 1.0

    [grid]                           # every combination of these values
    "provider.drug_workers" = [2, 3, 4]

    [[variants]]                     # named cells (another force or area, a demand level)
    label = "demand +20%"
    set = { "demand.searches_per_year" = 31646 }

    [latin_hypercube]                # a Latin hypercube sample of ranges
    samples = 20
    ranges = { "demand.annual_growth" = [0.0, 0.3] }

    [national]                       # a national rollout: one scenario per force
    forces = ["forces/kent.toml", "west_midlands"]   # files (relative to this file) or built-ins
    folder = "forces"                # and/or every *.toml in this folder, by name

The cells are every variant × every grid point × every sample (each block optional);
with ``[national]``, each of those for every force, and the sweep adds national totals.
Keys are the scenario's dotted keys, quoted (``"provider.drug_workers"``) or as TOML
dotted keys (``provider.drug_workers``); the key ``scenario`` in ``[grid]`` varies the
base scenario itself (forces or areas as cells). This module checks the file's shape
(pydantic, unknown keys rejected) and its consistency; :mod:`simdivert.experiments.sweep_cells`
turns it into resolved scenarios, which checks every dotted key and value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    ValidationError,
)

from simdivert.errors import SweepFileError
from simdivert.scenario.bounds import Replications, Seed, at_most
from simdivert.scenario.files import DEFAULT_SCENARIO, first_problem, read_toml
from simdivert.scenario.strict import StrictModel

SCENARIO_AXIS = "scenario"  # the grid key that varies the base scenario
# Set once for the whole sweep, so that every cell has common random numbers.
SWEEP_LEVEL_KEYS = {"run.seed": "seed", "run.replications": "replications"}
MAX_CELLS = 10_000  # every cell's scenario is resolved before any runs
CELLS_WHY = "each cell is a scenario resolved before the sweep starts; split the sweep"


def flatten_keys(table: Any, prefix: str = "") -> Any:
    """``{"provider": {"drug_workers": 3}}`` -> ``{"provider.drug_workers": 3}``.

    TOML reads an unquoted dotted key as nested tables; a quoted one as one key. Both
    mean the same dotted scenario key here, so the leaves are what count.
    """
    if not isinstance(table, dict):
        return table
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_keys(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


DottedTable = Annotated[dict[str, Any], BeforeValidator(flatten_keys)]
NumberRange = tuple[int, int] | tuple[float, float]


class _SweepModel(StrictModel):
    """Frozen; unknown keys, ``inf``/``nan`` and booleans for numbers are errors."""


class Variant(_SweepModel):
    """A named cell: its own base scenario and/or values."""

    label: Annotated[str, Field(min_length=1)]
    scenario: str | None = None
    set: DottedTable = {}


class LatinHypercube(_SweepModel):
    """``samples`` points spread over the ranges; integer bounds give integer values."""

    samples: Annotated[int, Field(gt=0), at_most(MAX_CELLS, CELLS_WHY)]
    seed: Seed | None = None  # [default: the sweep's seed]
    ranges: Annotated[dict[str, NumberRange], BeforeValidator(flatten_keys)]


class National(_SweepModel):
    """A national rollout: the forces' scenarios, listed and/or every file of a folder."""

    forces: list[Annotated[str, Field(min_length=1)]] = []
    folder: Annotated[str, Field(min_length=1)] | None = None


class SweepFile(_SweepModel):
    """What a sweep file may hold (see the module docstring)."""

    name: Annotated[str, Field(min_length=1)] | None = None
    description: str = ""
    scenario: str = DEFAULT_SCENARIO
    replications: Replications | None = None
    seed: Seed | None = None
    set: DottedTable = {}
    grid: Annotated[dict[str, list[Any]], BeforeValidator(flatten_keys)] | None = None
    variants: list[Variant] | None = None
    latin_hypercube: LatinHypercube | None = None
    national: National | None = None


_ONE = LatinHypercube(samples=1, ranges={})  # no sample: one cell per grid point


def read_sweep_file(path: Path) -> SweepFile:
    """Read and check a sweep file; raise SweepFileError naming the file, key and problem."""
    data = read_toml(path)
    try:
        sweep = SweepFile.model_validate(data)
    except ValidationError as exc:
        key, problem = first_problem(exc, data, SweepFile)
        raise SweepFileError(str(path), key, problem) from None
    check_design(sweep, str(path))
    return sweep


def check_design(sweep: SweepFile, source: str) -> None:
    """What the types cannot say: empty blocks, ranges upside down, a key set twice."""
    where: dict[str, str] = {}  # dotted key -> the block that first set it

    def claim(key: str, block: str) -> None:
        if key in SWEEP_LEVEL_KEYS:
            raise SweepFileError(
                source,
                f"{block}.{key}",
                f"set the sweep's top-level `{SWEEP_LEVEL_KEYS[key]}` instead "
                "(one for every cell, for common random numbers)",
            )
        if key in where and where[key] != block:
            raise SweepFileError(
                source, f"{block}.{key}", f"also set in {where[key]}; set it in one place"
            )
        where.setdefault(key, block)

    for key in sweep.set:
        claim(key, "set")
    if sweep.national is not None:
        _check_national(sweep.national, sweep, source)
    if sweep.grid is not None:
        if not sweep.grid:
            raise SweepFileError(
                source, "grid", "empty: give at least one dotted key and its values"
            )
        for key, values in sweep.grid.items():
            if not values:
                raise SweepFileError(source, f"grid.{key}", "empty list: give at least one value")
            if key == SCENARIO_AXIS:
                if not all(isinstance(v, str) for v in values):
                    raise SweepFileError(
                        source, f"grid.{key}", "scenarios must be names or paths (strings)"
                    )
                continue
            claim(key, "grid")
    if sweep.variants is not None:
        if not sweep.variants:
            raise SweepFileError(source, "variants", "empty: give at least one variant")
        labels: set[str] = set()
        for number, variant in enumerate(sweep.variants):
            if variant.label in labels:
                raise SweepFileError(
                    source, f"variants[{number}].label", f"{variant.label!r} used twice"
                )
            labels.add(variant.label)
            if variant.scenario is not None and sweep.grid and SCENARIO_AXIS in sweep.grid:
                raise SweepFileError(
                    source, f"variants[{number}].scenario", "the grid varies the scenario too"
                )
            for key in variant.set:
                claim(key, "variants")
    cells = len(sweep.variants or [None]) * (sweep.latin_hypercube or _ONE).samples
    for values in (sweep.grid or {}).values():
        cells *= len(values)
    if cells > MAX_CELLS:
        raise SweepFileError(
            source, None, f"{cells:,} cells: at most {MAX_CELLS:,} in one sweep ({CELLS_WHY})"
        )
    if sweep.latin_hypercube is not None:
        ranges = sweep.latin_hypercube.ranges
        if not ranges:
            raise SweepFileError(source, "latin_hypercube.ranges", "empty: give at least one range")
        for key, (low, high) in ranges.items():
            if low > high:
                raise SweepFileError(
                    source,
                    f"latin_hypercube.ranges.{key}",
                    f"low ({low}) is above high ({high})",
                )
            claim(key, "latin_hypercube.ranges")


def _check_national(national: National, sweep: SweepFile, source: str) -> None:
    """The forces are the scenarios of a national rollout: nothing else may vary them."""
    if not national.forces and national.folder is None:
        raise SweepFileError(source, "national", "give the forces' scenarios or a folder of them")
    if sweep.grid and SCENARIO_AXIS in sweep.grid:
        raise SweepFileError(
            source, f"grid.{SCENARIO_AXIS}", "a national rollout's forces are its scenarios"
        )
    for number, variant in enumerate(sweep.variants or []):
        if variant.scenario is not None:
            raise SweepFileError(
                source,
                f"variants[{number}].scenario",
                "a national rollout's forces are its scenarios",
            )
