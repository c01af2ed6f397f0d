"""The cells of a sweep: every variant × grid point × sample, each a resolved scenario.

Every cell is resolved and validated before any replication runs, so a bad key or value
anywhere in the sweep stops it at once, naming the sweep file, the key and the cell.
All cells share one seed and the same replication indices: common random numbers, so the
differences between cells are the parameters' effects, not noise.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simdivert.errors import ScenarioError, SweepFileError
from simdivert.model.random_streams import RandomStreams
from simdivert.scenario.files import (
    builtin_scenario_path,
    builtin_scenarios,
    load_scenario_with_values,
)
from simdivert.scenario.schema import Scenario
from simdivert.scenario.sweep_file import SCENARIO_AXIS, National, SweepFile, read_sweep_file

SCENARIO_COLUMN = "scenario"  # the resolved scenario's name
VARIANT_COLUMN = "variant"  # the variant's label, when the sweep has variants
DESIGN_STREAM = "design.latin_hypercube"

Overrides = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Cell:
    """One point of the design: a resolved scenario and the labels of its table rows."""

    index: int
    scenario: Scenario
    scenario_source: str
    overrides: Overrides  # every dotted value applied to the base scenario, in order
    columns: dict[str, Any]  # scenario, [variant,] then each varied dotted key -> value


@dataclass(frozen=True)
class SweepPlan:
    """A sweep ready to run: its cells, replications per cell and the one seed."""

    name: str
    source: Path
    cells: list[Cell]
    replications: int
    seed: int
    parameter_columns: list[str]
    national: bool = False  # a national rollout: the scenarios are the forces

    def digest(self, settings: Mapping[str, Any]) -> str:
        """A hash of the sweep file, every resolved scenario and the settings that change
        results: a folder of results belongs to this sweep only if the hashes agree."""
        hasher = hashlib.sha256(self.source.read_bytes())
        for cell in self.cells:
            resolved = {"columns": cell.columns, "scenario": cell.scenario.model_dump(mode="json")}
            hasher.update(json.dumps(resolved, sort_keys=True, default=str).encode())
        hasher.update(json.dumps(dict(settings), sort_keys=True, default=str).encode())
        return hasher.hexdigest()


def latin_hypercube(
    ranges: Mapping[str, tuple[float, float]], samples: int, seed: int
) -> list[dict[str, int | float]]:
    """``samples`` points, one value per range in each; a range with integer bounds gives
    integers, each equally likely. Drawn from the seed's own design stream."""
    from scipy.stats import qmc  # a second of import: only sampled sweeps pay it

    rng = RandomStreams(seed, 0).generator(DESIGN_STREAM)
    unit = qmc.LatinHypercube(d=len(ranges), rng=rng).random(samples)
    points: list[dict[str, int | float]] = [{} for _ in range(samples)]
    for column, (key, (low, high)) in enumerate(ranges.items()):
        for point, u in zip(points, unit[:, column], strict=True):
            if isinstance(low, int) and isinstance(high, int):
                point[key] = min(low + math.floor(u * (high - low + 1)), high)
            else:
                point[key] = float(low + u * (high - low))
    return points


def dotted_value(scenario: Scenario, key: str) -> Any:
    """A scenario's value at a dotted key, as a table cell (lists and tables as JSON)."""
    node: Any = scenario.model_dump(mode="json")
    for part in key.split("."):
        node = node[part]
    return json.dumps(node) if isinstance(node, list | dict) else node


def scenario_path(sweep_source: Path, name: str, key: str) -> Path:
    """A base scenario named in a sweep file: a file beside it, else a built-in scenario
    (never one in the current folder, as for ``extends``)."""
    beside = sweep_source.parent / name
    if beside.is_file():
        return beside
    builtin = builtin_scenario_path(name)
    if builtin is not None:
        return builtin
    raise SweepFileError(
        str(sweep_source),
        key,
        f"no scenario {name!r} beside the sweep file nor built in "
        f"({', '.join(builtin_scenarios())})",
    )


def resolve_cell(
    index: int,
    base: Path,
    overrides: Overrides,
    labels: dict[str, Any],
    varied_keys: Sequence[str],
    source: str,
) -> Cell:
    """Load one cell's scenario; an error names ``source`` (the sweep), the key and the cell."""
    try:
        scenario = load_scenario_with_values(base, overrides, source)
    except ScenarioError as exc:
        point = ", ".join(f"{k}={v}" for k, v in overrides if k in varied_keys)
        where = f"cell {index}" + (f": {point}" if point else "")
        raise ScenarioError(exc.source, exc.key, f"{exc.problem} (in {where})") from None
    columns = {SCENARIO_COLUMN: scenario.name, **labels}
    for key in varied_keys:
        try:
            columns[key] = dotted_value(scenario, key)
        except (KeyError, TypeError):
            raise ScenarioError(source, key, "unknown key") from None
    return Cell(index, scenario, str(base), overrides, columns)


def plan_sweep(path: Path) -> SweepPlan:
    """Read a sweep file and resolve every cell; raise a one-line error if anything is wrong."""
    sweep = read_sweep_file(path)
    source = str(path)
    base_path = scenario_path(path, sweep.scenario, "scenario")
    fixed = tuple(sweep.set.items())
    base = load_scenario_with_values(base_path, fixed, source)
    seed = sweep.seed if sweep.seed is not None else base.run.seed
    replications = sweep.replications or base.run.replications
    crn = (("run.seed", seed), ("run.replications", replications))

    variants = _variants(sweep, path)
    grid = dict(sweep.grid or {})
    scenario_axis: list[Path | None] = [
        scenario_path(path, name, f"grid.{SCENARIO_AXIS}") for name in grid.pop(SCENARIO_AXIS, [])
    ]
    if sweep.national is not None:
        scenario_axis = list(national_forces(sweep.national, path))
    grid_points = [
        dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())
    ]
    samples: list[dict[str, Any]] = [{}]
    if sweep.latin_hypercube is not None:
        design = sweep.latin_hypercube
        samples = latin_hypercube(
            design.ranges, design.samples, design.seed if design.seed is not None else seed
        )
    varied_keys = list(
        dict.fromkeys(
            [key for _, _, values in variants for key in values] + list(grid) + list(samples[0])
        )
    )
    labels_columns = [VARIANT_COLUMN] if sweep.variants else []

    cells: list[Cell] = []
    combinations = itertools.product(variants, scenario_axis or [None], grid_points, samples)
    for index, ((label, variant_base, variant_values), axis_base, point, sample) in enumerate(
        combinations
    ):
        cell_base = variant_base or axis_base or base_path
        overrides = (*fixed, *variant_values.items(), *point.items(), *sample.items(), *crn)
        labels = {VARIANT_COLUMN: label} if sweep.variants else {}
        cells.append(resolve_cell(index, cell_base, overrides, labels, varied_keys, source))
    if sweep.national is not None:
        _check_force_names(cells, source)
    return SweepPlan(
        name=sweep.name or path.stem,
        source=path,
        cells=cells,
        replications=replications,
        seed=seed,
        parameter_columns=[SCENARIO_COLUMN, *labels_columns, *varied_keys],
        national=sweep.national is not None,
    )


def national_forces(national: National, path: Path) -> list[Path]:
    """The forces' scenario files: those listed, then the folder's ``*.toml`` by name."""
    forces = [
        scenario_path(path, name, f"national.forces[{number}]")
        for number, name in enumerate(national.forces)
    ]
    if national.folder is not None:
        folder = path.parent / national.folder
        if not folder.is_dir():
            raise SweepFileError(str(path), "national.folder", f"no folder {folder}")
        found = sorted(folder.glob("*.toml"))
        if not found:
            raise SweepFileError(str(path), "national.folder", f"no *.toml files in {folder}")
        forces += found
    once: dict[Path, Path] = {}  # a force listed and also in the folder runs once
    for force in forces:
        once.setdefault(force.resolve(), force)
    return list(once.values())


def _check_force_names(cells: list[Cell], source: str) -> None:
    """Each force's scenario has its own name: the national tables are keyed by it."""
    seen: dict[tuple, Cell] = {}
    for cell in cells:
        labels = tuple(sorted((k, str(v)) for k, v in cell.columns.items()))
        if labels in seen:
            raise SweepFileError(
                source,
                "national",
                f"{cell.scenario_source} and {seen[labels].scenario_source} are both named "
                f"{cell.scenario.name!r}; give each force's scenario its own name",
            )
        seen[labels] = cell


def _variants(sweep: SweepFile, path: Path) -> list[tuple[str | None, Path | None, dict]]:
    if not sweep.variants:
        return [(None, None, {})]
    return [
        (
            variant.label,
            None
            if variant.scenario is None
            else scenario_path(path, variant.scenario, f"variants[{number}].scenario"),
            variant.set,
        )
        for number, variant in enumerate(sweep.variants)
    ]
