"""What a sweep varied, read back from its ``summary.csv``: which columns name cells
(variants, scenarios), which form a grid, which were sampled; and each cell's label.

A sweep's summary has a column per varied dotted key, but not what kind of axis each
was. The kinds are read from the cells themselves, so folders of any version work:

- **categories**: the ``variant`` label and the ``scenario`` name, when they vary. A
  variant's own ``set`` keys take one value per variant: they are *named* by the label
  and never plotted as numbers;
- **grid**: keys whose values cross every other combination (a full product), few
  values each;
- **samples**: the rest (a Latin hypercube: a value of its own in each sample).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from simdivert.outputs.readers import SweepSummary
from simdivert.reporting.content import KEY_ASSUMPTIONS

CATEGORY_COLUMNS = ("scenario", "variant")
LABEL = "label"  # the column of each cell's name in SweepDesign.cells
GRID_MAX_VALUES = 12  # more values than this on a key: sampled, not a grid axis
VALUE_WORDS_MAX = 40  # characters of a list or table value shown in a label
KEY_LABEL_MAX = 32  # characters of an axis label; longer names give the key's own words
KEY_LABELS = {key: label for key, label, _ in KEY_ASSUMPTIONS}


@dataclass(frozen=True)
class SweepDesign:
    """The axes of a sweep and a row per cell (its parameters and its ``label``)."""

    cells: pd.DataFrame
    categories: list[str]  # columns naming cells: "scenario" and/or "variant"
    named: list[str]  # keys the variants set: one value per category, named by its label
    grid: list[str]
    samples: list[str]

    @property
    def has_categories(self) -> bool:
        return bool(self.categories)


def value_words(value: Any) -> str:
    """A parameter's value as a person reads it: ``4`` not ``4.0``; a list or table (kept
    as JSON in the summary) written out, and cut short when long."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return "–"
        return f"{value:g}" if float(value).is_integer() else f"{value:.3g}"
    text = str(value)
    if text[:1] in "[{":
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            text = ", ".join(value_words(v) for v in parsed)
        elif isinstance(parsed, dict):
            text = ", ".join(f"{k} {value_words(v)}" for k, v in parsed.items())
    if len(text) > VALUE_WORDS_MAX:
        text = text[: VALUE_WORDS_MAX - 1].rstrip(", ") + "…"
    return text


def key_words(key: str) -> str:
    """A dotted key in a few words: ``provider.drug_workers`` -> ``drug workers``."""
    return key.rsplit(".", 1)[-1].replace("_", " ")


def key_label(key: str) -> str:
    """A dotted key as an axis label: the report's name for it where it is short."""
    label = KEY_LABELS.get(key, "")
    return label if 0 < len(label) <= KEY_LABEL_MAX else key_words(key).capitalize()


def _combinations(cells: pd.DataFrame, columns: list[str]) -> int:
    return len(cells[columns].drop_duplicates()) if columns else 1


def _is_factor(cells: pd.DataFrame, key: str, others: list[str]) -> bool:
    """Whether ``key``'s values cross every combination of ``others`` (a grid axis)."""
    values = cells[key].nunique(dropna=False)
    if values > GRID_MAX_VALUES:
        return False
    rest = [c for c in others if c != key]
    return _combinations(cells, [key, *rest]) == _combinations(cells, rest) * values


def _label(row: pd.Series, categories: list[str], shown: list[str]) -> str:
    parts = [str(row[c]) for c in categories]
    parts += [f"{key_words(k)} {value_words(row[k])}" for k in shown]
    return ", ".join(parts) or "the only cell"


def sweep_design(sweep: SweepSummary) -> SweepDesign:
    """Read a sweep's axes from its cells (see the module's docstring)."""
    table = sweep.table
    parameters = list(sweep.parameters)
    key = ["cell"] if "cell" in table.columns else parameters
    cells = table.drop_duplicates(key)[
        [*(["cell"] if "cell" in table.columns else []), *parameters]
    ]
    cells = cells.reset_index(drop=True)
    categories = [c for c in CATEGORY_COLUMNS if c in parameters]
    if len(categories) == 2 and _combinations(cells, categories) == cells["variant"].nunique():
        categories = ["variant"]  # each variant has its own scenario: the label names it
    keys = [p for p in parameters if p not in CATEGORY_COLUMNS]
    named = []
    if categories:
        per_category = cells.groupby(categories, sort=False)
        named = [k for k in keys if (per_category[k].nunique(dropna=False) <= 1).all()]
    rest = [k for k in keys if k not in named]
    grid = [k for k in rest if _is_factor(cells, k, [*categories, *rest])]
    samples = [k for k in rest if k not in grid]
    cells[LABEL] = [_label(row, categories, [*grid, *samples]) for _, row in cells.iterrows()]
    return SweepDesign(cells, categories, named, grid, samples)


def cell_rows(design: SweepDesign, table: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """One KPI's rows of a sweep's summary, with each cell's label and parameters."""
    rows = table[table["kpi"] == kpi]
    on = (
        ["cell"]
        if "cell" in design.cells.columns
        else [c for c in design.cells.columns if c != LABEL]
    )
    extra = [c for c in design.cells.columns if c not in rows.columns or c in on]
    return rows.merge(design.cells[extra], on=on, how="inner")


def sweep_caption(design: SweepDesign) -> str:
    """What the sweep varied, in words, for a figure's caption."""
    parts = []
    if design.categories:
        names = " and ".join(
            "variants" if c == "variant" else "scenarios" for c in design.categories
        )
        parts.append(f"{design.cells[design.categories].drop_duplicates().shape[0]} {names}")
        if design.named:
            parts[-1] += f" (each setting {', '.join(key_words(k) for k in design.named)})"
    if design.grid:
        parts.append("a grid of " + " × ".join(key_words(k) for k in design.grid))
    if design.samples:
        parts.append(
            f"a sample of {', '.join(key_words(k) for k in design.samples)} (each point a cell)"
        )
    return "; ".join(parts) or "one cell"
