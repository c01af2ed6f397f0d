"""A force's scenario file from its police.uk data: derived values, staffing in
proportion, written as commented TOML that extends the chosen scheme.

The file is the same, byte for byte, each time the same files are imported: values in
a fixed order, no dates or paths of the moment in it. It is written under a temporary
name, validated as a scenario, then renamed: an error leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simdivert.errors import ScenarioError, UserError
from simdivert.importers.police_uk import (
    ASSUMPTION,
    Classified,
    Derived,
    classify,
    derive,
    quality_lines,
    search_rate_ratio,
)
from simdivert.importers.police_uk_files import force_slug, read_searches
from simdivert.outputs.folders import check_writable, write_atomically
from simdivert.scenario.files import load_scenario, load_scenario_with_values, resolve_scenario_path
from simdivert.scenario.schema import CourseSettings, Scenario

STAFFING_KEYS = (
    "demand.other_finds_per_year",
    "provider.drug_workers",
    "course.facilitators",
    "course.sessions_per_week",
)


@dataclass(frozen=True)
class ImportOutcome:
    """What an import wrote and found."""

    path: Path
    scenario: Scenario
    derived: list[Derived]
    quality: list[str]


def search_finds_per_year(demand: dict[str, Any]) -> float:
    """Drug finds a year from stop and search, from a scenario's demand values."""
    share = demand["drug_search_share"]
    return demand["searches_per_year"] * (
        share * demand["find_rate_drug_searches"] + (1 - share) * demand["find_rate_other_searches"]
    )


def _nearest_half(value: float, base: float) -> float:
    return 0.0 if base == 0 else max(round(value * 2) / 2, 0.5)


def scaled_staffing(base: Scenario, derived: Sequence[Derived]) -> list[Derived]:
    """Other finds, drug workers, facilitators and sessions in proportion to the force's
    finds from searches against the base scheme's [assumption: the same staffing per
    find]; facilitators raised until the timetable fits."""
    demand = base.demand.model_dump()
    ours = {
        **demand,
        **{d.key.split(".", 1)[1]: d.value for d in derived if d.key.startswith("demand.")},
    }
    factor = search_finds_per_year(ours) / search_finds_per_year(demand)
    basis = (
        f"the base scheme's x {factor:.3f}: this force's finds from searches, "
        f"{search_finds_per_year(ours):,.0f} a year, against the base's "
        f"{search_finds_per_year(demand):,.0f}"
    )
    course = base.course
    sessions = {  # every stream of the base scheme, its own included
        stream: _nearest_half(base_sessions * factor, base_sessions)
        for stream, base_sessions in course.sessions_per_week.items()
    }
    facilitators = max(course.facilitators_per_session, round(course.facilitators * factor))
    while not _timetable_fits(course, facilitators, sessions):
        facilitators += 1
    drug_workers = base.provider.drug_workers
    return [
        Derived(
            "demand.other_finds_per_year",
            round(base.demand.other_finds_per_year * factor),
            basis,
            ASSUMPTION,
        ),
        Derived(
            "provider.drug_workers",
            0.0 if drug_workers == 0 else max(round(drug_workers * factor, 1), 0.5),
            basis + ", to the nearest 0.1 FTE (at least 0.5)",
            ASSUMPTION,
        ),
        Derived(
            "course.facilitators",
            facilitators,
            basis + "; at least what the timetable needs",
            ASSUMPTION,
        ),
        Derived(
            "course.sessions_per_week",
            sessions,
            basis + ", to the nearest half (at least one a fortnight)",
            ASSUMPTION,
        ),
    ]


def _timetable_fits(course: CourseSettings, facilitators: int, sessions: dict[str, float]) -> bool:
    from pydantic import ValidationError

    try:
        CourseSettings.model_validate(
            {**course.model_dump(), "facilitators": facilitators, "sessions_per_week": sessions}
        )
    except ValidationError:
        return False
    return True


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are TOML's
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def _comment(text: str) -> str:
    """One comment line: text from the data (a category, a file name) or the command line
    (the force) can hold a line break, which would end the comment and start TOML."""
    return "# " + "".join(c if c.isprintable() else " " for c in text)


def _extends(scheme: str, out: Path) -> str:
    """The base as the file names it: a built-in's name, or a path relative to the file."""
    path = resolve_scenario_path(scheme)
    if not Path(scheme).exists():
        return path.stem
    return Path(os.path.relpath(path.resolve(), out.resolve().parent)).as_posix()


def render(
    force: str,
    scheme: str,
    extends: str,
    values: Sequence[Derived],
    quality: Sequence[str],
    period: str,
) -> str:
    """The scenario file's text: a header, then each table with a comment above each value."""
    name = "_".join(force_slug(text).replace("-", "_") for text in (force, Path(scheme).stem))
    lines = [
        _comment(
            f"{force}: demand from its police.uk stop and searches ({period}), under the "
            f"rules of the {scheme} scheme."
        ),
        "# Made by `simdivert import police-uk`. Values marked [derived] come from the files, "
        "with their",
        "# counts and period; [assumption] marks what is scaled from the base scheme; "
        "everything else",
        _comment(f"is the base scheme's ({extends}). Data quality when imported:"),
        *(_comment(f"  {line}") for line in quality),
        f"extends = {_toml_value(extends)}",
        f"name = {_toml_value(name)}",
        "description = "
        + _toml_value(f"{force} (police.uk stop and search, {period}), {scheme} scheme"),
    ]
    table = None
    for item in values:
        section, leaf = item.key.rsplit(".", 1)
        if section != table:
            lines += ["", f"[{section}]"]
            table = section
        lines += [_comment(f"[{item.kind}] {item.basis}"), f"{leaf} = {_toml_value(item.value)}"]
    lines += [
        "",
        "# [assumption] one force-wide area: the base scheme's areas are another force's.",
        "[[areas]]",
        f"name = {_toml_value(force)}",
        "demand_share = 1.0",
    ]
    return "\n".join(lines) + "\n"


def _in_table_order(values: Sequence[Derived]) -> list[Derived]:
    """Grouped by table, tables in order of first appearance (TOML wants each once)."""
    order: dict[str, list[Derived]] = {}
    for item in values:
        order.setdefault(item.key.rsplit(".", 1)[0], []).append(item)
    return [item for items in order.values() for item in items]


def import_police_uk(
    inputs: Sequence[Path], force: str, scheme: str, out: Path, scale_staffing: bool = True
) -> ImportOutcome:
    """Read the force's files, derive its values and write the scenario file at ``out``."""
    if out.is_dir():
        raise UserError(f"{out}: is a folder; --out names the scenario file to write")
    check_writable(out)  # before reading a year of files
    scheme_path = resolve_scenario_path(scheme)
    searches = read_searches(inputs, force)
    data: Classified = classify(searches)
    derived = derive(data)
    base = load_scenario_with_values(scheme_path, [])
    population = base.equity.population.model_dump()
    derived += [d for d in (search_rate_ratio(data, population),) if d is not None]
    if scale_staffing:
        derived += scaled_staffing(base, derived)
    quality = quality_lines(data)
    extends = _extends(scheme, out)
    text = render(force, scheme, extends, _in_table_order(derived), quality, data.period)
    out.parent.mkdir(parents=True, exist_ok=True)
    scenario_box: list[Scenario] = []

    def write(staging: Path) -> None:
        staging.write_text(text, encoding="utf-8")
        try:
            scenario_box.append(load_scenario(staging))
        except ScenarioError as exc:
            raise UserError(
                f"{out}: the derived scenario does not validate: {exc.key or ''}: {exc.problem}"
            ) from None

    try:
        write_atomically(out, write)
    except OSError as exc:
        raise UserError(
            f"{out}: cannot write ({exc.strerror or exc}); nothing was written"
        ) from None
    return ImportOutcome(out, scenario_box[0], derived, quality)
