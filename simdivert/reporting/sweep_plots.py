"""Figures of a sweep, one KPI each, in the shape of what the sweep varied
(:mod:`simdivert.reporting.sweep_design`):

- variants (or scenarios) alone: a bar per cell with its 95% CI, labelled by name;
- one grid key: the mean against it with its CI band, a line per variant;
- two or more grid keys: a heatmap of the first two, a panel per variant or further key;
- sampled keys (a Latin hypercube): the mean against each sampled key, a panel each,
  every point a cell with its CI.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simdivert.kpis import kpi_label, kpi_unit
from simdivert.numbers import short_value
from simdivert.outputs.readers import SweepSummary
from simdivert.reporting.plots import (
    PALETTE,
    SEQUENTIAL_CMAP,
    SERIES_COLOURS,
    interval_bars,
    new_figure,
    styled,
)
from simdivert.reporting.sweep_design import (
    LABEL,
    SweepDesign,
    cell_rows,
    key_label,
    sweep_design,
    value_words,
)

MAX_PANELS = 6
MAX_SAMPLE_PANELS = 4
MAX_BARS = 24


def sorted_values(values: pd.Series) -> list:
    """Distinct values in numeric order when they are all numbers, else as text."""
    unique = values.drop_duplicates().tolist()
    numeric = pd.to_numeric(pd.Series(unique), errors="coerce")
    if numeric.notna().all():
        return [unique[i] for i in np.argsort(numeric.to_numpy(), kind="stable")]
    return sorted(unique, key=str)


def _positions(values: pd.Series, order: list) -> tuple[np.ndarray, list[str] | None]:
    """x positions of ``values``: the numbers themselves, or the index in ``order`` with
    tick labels when they are not numbers."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.to_numpy(float), None
    index = {v: i for i, v in enumerate(order)}
    return values.map(index).to_numpy(float), [value_words(v) for v in order]


def _kpi_axis_label(kpi: str) -> str:
    unit = kpi_unit(kpi)
    return f"{kpi_label(kpi)} ({unit})" if unit else kpi_label(kpi)


def _series(
    design: SweepDesign, rows: pd.DataFrame, keys: list[str]
) -> list[tuple[str, pd.DataFrame]]:
    """The rows split by category and ``keys``, each named (one unnamed series if none)."""
    columns = [*design.categories, *keys]
    if not columns:
        return [("", rows)]
    groups = []
    for key, group in rows.groupby(columns, sort=False):
        values = key if isinstance(key, tuple) else (key,)
        words = [str(v) for v in values[: len(design.categories)]]
        words += [
            f"{k} {value_words(v)}"
            for k, v in zip(keys, values[len(design.categories) :], strict=True)
        ]
        groups.append((", ".join(words), group))
    return groups


def _bars(rows: pd.DataFrame, kpi: str) -> Figure:
    shown = rows.head(MAX_BARS)
    figure, axes = new_figure(0.5 + 0.42 * len(shown))
    ax = axes[0, 0]
    colours = [SERIES_COLOURS[i % len(SERIES_COLOURS)] for i in range(len(shown))]
    interval_bars(
        ax,
        shown[["mean", "ci_low", "ci_high"]].astype(float),
        list(shown[LABEL]),
        colours,
        short_value,
    )
    ax.set_xlabel(_kpi_axis_label(kpi))
    return figure


def _lines(design: SweepDesign, rows: pd.DataFrame, kpi: str, x: str, keys: list[str]) -> Figure:
    figure, axes = new_figure(3.2)
    ax = axes[0, 0]
    order = sorted_values(rows[x])
    series = _series(design, rows, keys)
    for number, (name, group) in enumerate(series[: len(SERIES_COLOURS)]):
        colour = SERIES_COLOURS[number]
        group = group.assign(_order=group[x].map({v: i for i, v in enumerate(order)}))
        group = group.sort_values("_order")
        xs, ticks = _positions(group[x], order)
        ax.fill_between(xs, group["ci_low"], group["ci_high"], color=colour, alpha=0.2, lw=0)
        ax.plot(xs, group["mean"], "o-", color=colour, label=name or "mean")
        for xv, yv in zip(xs, group["mean"], strict=True):
            ax.annotate(
                short_value(yv),
                (xv, yv),
                textcoords="offset points",
                xytext=(0, 5),
                ha="center",
                fontsize=7,
                color=colour,
            )
        ax.set_xticks(*((range(len(order)), ticks) if ticks is not None else (xs,)))
    ax.set_xlabel(key_label(x))
    ax.set_ylabel(_kpi_axis_label(kpi))
    if len(series) > 1 or series[0][0]:
        figure.legend(loc="outside lower center", ncols=min(3, len(series)))
    return figure


def _heatmap(ax: Axes, cells: pd.DataFrame, x: str, y: str, limits: tuple[float, float]):
    xs, ys = sorted_values(cells[x]), sorted_values(cells[y])
    grid = cells.pivot(index=y, columns=x, values="mean").reindex(index=ys, columns=xs)
    low = cells.pivot(index=y, columns=x, values="ci_low").reindex(index=ys, columns=xs)
    high = cells.pivot(index=y, columns=x, values="ci_high").reindex(index=ys, columns=xs)
    image = ax.imshow(
        grid.to_numpy(float),
        cmap=SEQUENTIAL_CMAP,
        vmin=limits[0],
        vmax=limits[1],
        origin="lower",
        aspect="auto",
    )
    if len(xs) * len(ys) <= 64:
        middle = (limits[0] + limits[1]) / 2
        for (i, j), value in np.ndenumerate(grid.to_numpy(float)):
            if np.isnan(value):
                continue
            text = short_value(value)
            if not np.isnan(low.iat[i, j]) and len(xs) <= 6:
                text += f"\n{short_value(low.iat[i, j])}–{short_value(high.iat[i, j])}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if value < middle else PALETTE["ink"],
            )
    ax.set_xticks(range(len(xs)), [value_words(v) for v in xs])
    ax.set_yticks(range(len(ys)), [value_words(v) for v in ys])
    ax.grid(False)
    ax.set_xlabel(key_label(x))
    ax.set_ylabel(key_label(y))
    return image


def _heatmaps(design: SweepDesign, rows: pd.DataFrame, kpi: str) -> Figure | None:
    x, y, rest = design.grid[0], design.grid[1], design.grid[2:]
    panels = _series(design, rows, rest)
    if len(panels) > MAX_PANELS:
        return None
    finite = rows["mean"].dropna()
    limits = (float(finite.min()), float(finite.max())) if not finite.empty else (0.0, 1.0)
    ncols = 2 if len(panels) > 1 else 1
    nrows = int(np.ceil(len(panels) / ncols))
    figure, axes = new_figure(2.9 * nrows + 0.6, nrows, ncols, sharex=True, sharey=True)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    image = None
    for ax, (name, panel) in zip(axes.flat, panels, strict=False):
        image = _heatmap(ax, panel, x, y, limits)
        if name:
            ax.set_title(name)
    assert image is not None
    figure.colorbar(image, ax=axes.ravel().tolist(), label=_kpi_axis_label(kpi), shrink=0.9)
    return figure


def _samples(design: SweepDesign, rows: pd.DataFrame, kpi: str) -> Figure:
    keys = design.samples[:MAX_SAMPLE_PANELS]
    ncols = 2 if len(keys) > 1 else 1
    nrows = int(np.ceil(len(keys) / ncols))
    figure, axes = new_figure(2.8 * nrows + 0.7, nrows, ncols, sharey=True)
    for ax in axes.flat[len(keys) :]:
        ax.set_visible(False)
    series = _series(design, rows, design.grid)
    if len(series) > len(SERIES_COLOURS):
        series = [("", rows)]
    for ax, key in zip(axes.flat, keys, strict=False):
        for number, (name, group) in enumerate(series):
            xs, ticks = _positions(group[key], sorted_values(rows[key]))
            means = group["mean"].to_numpy(float)
            errors = np.vstack([means - group["ci_low"], group["ci_high"] - means])
            ax.errorbar(
                xs,
                means,
                yerr=np.nan_to_num(np.abs(errors)),
                fmt="o",
                color=SERIES_COLOURS[number],
                ecolor=SERIES_COLOURS[number],
                elinewidth=0.8,
                capsize=2,
                markersize=4,
                label=name or None,
            )
            if ticks is not None:
                ax.set_xticks(range(len(ticks)), ticks)
        ax.set_xlabel(key_label(key))
        ax.xaxis.set_major_locator(MaxNLocator(6))
    for row in axes:
        row[0].set_ylabel(_kpi_axis_label(kpi))
    if series[0][0]:
        figure.legend(
            *axes[0, 0].get_legend_handles_labels(),
            loc="outside lower center",
            ncols=min(3, len(series)),
        )
    return figure


@styled
def sweep_chart(sweep: SweepSummary, kpi: str) -> Figure:
    """One KPI across a sweep's cells, drawn as the sweep's design calls for (see the
    module's docstring)."""
    design = sweep_design(sweep)
    rows = cell_rows(design, sweep.table, kpi)
    figure: Figure | None = None
    if design.samples:
        figure = _samples(design, rows, kpi)
    elif len(design.grid) >= 2:
        figure = _heatmaps(design, rows, kpi)
        if figure is None:
            figure = _lines(design, rows, kpi, design.grid[0], design.grid[1:2])
    elif design.grid:
        figure = _lines(design, rows, kpi, design.grid[0], [])
    else:
        figure = _bars(rows, kpi)
    figure.suptitle(f"Sweep: {kpi_label(kpi)}")
    return figure
