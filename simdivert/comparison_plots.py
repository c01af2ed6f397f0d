"""Figures across scenarios: paired differences, police outcomes, disproportionality, sweeps.

They read ``comparison.csv`` and a sweep's ``summary.csv`` through
:mod:`simdivert.output_readers` and share the palette and style of :mod:`simdivert.plots`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from simdivert.headlines import kpi_label, kpi_unit, pick_kpis
from simdivert.output_readers import (
    SweepSummary,
    baseline_scenarios,
    group_share_rows,
    outcome_rows,
)
from simdivert.plots import (
    BASELINE_COLOUR,
    PALETTE,
    SEQUENTIAL_CMAP,
    SERIES_COLOURS,
    new_figure,
    styled,
    thousands,
)


def scenario_colours(scenarios: list[str], baselines: list[str]) -> dict[str, str]:
    """The baseline in grey; the other scenarios in the series colours, in order."""
    others = iter(SERIES_COLOURS * (1 + len(scenarios) // len(SERIES_COLOURS)))
    return {s: BASELINE_COLOUR if s in baselines else next(others) for s in scenarios}


def _scenarios_in_order(rows: pd.DataFrame, baselines: list[str]) -> list[str]:
    names = list(dict.fromkeys(rows["scenario"].astype(str)))
    return [s for s in names if s in baselines] + [s for s in names if s not in baselines]


@styled
def comparison_forest(comparison: pd.DataFrame, kpis: list[str] | None = None) -> Figure:
    """Forest plot: each scenario's paired difference from the baseline, with its 95% CI.

    One panel per KPI, in the KPI's own unit; a filled marker means the interval excludes
    zero, a hollow one that the difference is within the noise.
    """
    baselines = baseline_scenarios(comparison)
    rows = comparison[~comparison["scenario"].astype(str).isin(baselines)]
    kpis = kpis or pick_kpis(rows.loc[rows["diff_mean"].notna(), "kpi"])
    scenarios = _scenarios_in_order(rows, baselines)
    colours = scenario_colours(scenarios, baselines)
    ncols = 2 if len(kpis) > 1 else 1
    nrows = int(np.ceil(len(kpis) / ncols))
    height = nrows * (0.32 * len(scenarios) + 0.9) + 0.7
    figure, axes = new_figure(height, nrows, ncols, sharey=True)
    for ax in axes.flat[len(kpis) :]:
        ax.set_visible(False)
    y_of = {s: len(scenarios) - 1 - i for i, s in enumerate(scenarios)}
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        for row in rows[rows["kpi"] == kpi].itertuples():
            y = y_of[str(row.scenario)]
            colour = colours[str(row.scenario)]
            clear = row.diff_ci_low > 0 or row.diff_ci_high < 0
            ax.hlines(y, row.diff_ci_low, row.diff_ci_high, color=colour, lw=2)
            ax.plot(row.diff_mean, y, "o", ms=6, color=colour, mfc=colour if clear else "white")
        ax.axvline(0, color=PALETTE["ink"], lw=0.9)
        unit = kpi_unit(kpi)
        ax.set_title(kpi_label(kpi), loc="left")
        ax.set_xlabel(f"difference ({unit})" if unit else "difference")
        ax.grid(axis="y", visible=False)
    axes[0, 0].set_yticks(list(y_of.values()), list(y_of))
    axes[0, 0].set_ylim(-0.7, len(scenarios) - 0.3)
    against = " and ".join(baselines) if baselines else "the baseline"
    figure.suptitle(f"Scenarios against {against}: paired differences with 95% CIs")
    return figure


def _grouped_bars(
    ax: Axes, rows: pd.DataFrame, category: str, order: list[str], baselines: list[str]
) -> dict[str, str]:
    """Bars of each scenario's mean per category, with 95% CI error bars."""
    scenarios = _scenarios_in_order(rows, baselines)
    colours = scenario_colours(scenarios, baselines)
    width = 0.8 / len(scenarios)
    x = np.arange(len(order))
    for i, scenario in enumerate(scenarios):
        mine = rows[rows["scenario"].astype(str) == scenario].set_index(category).reindex(order)
        offset = x - 0.4 + width * (i + 0.5)
        means = mine["mean"].to_numpy(float)
        errors = np.vstack([means - mine["ci_low"], mine["ci_high"] - means])
        ax.bar(offset, means, width * 0.92, color=colours[scenario], label=scenario)
        ax.errorbar(
            offset, means, yerr=np.nan_to_num(errors), fmt="none", ecolor=PALETTE["ink"], capsize=3
        )
    ax.set_xticks(x, [str(c).replace("_", " ") for c in order])
    ax.grid(axis="x", visible=False)
    return colours


@styled
def formal_outcomes(comparison: pd.DataFrame) -> Figure:
    """Police outcomes a year in each scenario against the status quo, change marked in %."""
    rows = outcome_rows(comparison)
    baselines = baseline_scenarios(comparison)
    order = list(dict.fromkeys(rows["kpi"]))
    figure, axes = new_figure(3.3)
    ax = axes[0, 0]
    _grouped_bars(ax, rows, "kpi", order, baselines)
    ax.set_xticks(range(len(order)), [kpi_label(k) for k in order])
    scenarios = _scenarios_in_order(rows, baselines)
    width = 0.8 / len(scenarios)
    for i, scenario in enumerate(scenarios):
        if scenario in baselines:
            continue
        mine = rows[rows["scenario"].astype(str) == scenario].set_index("kpi").reindex(order)
        base = mine["mean"] - mine["diff_mean"]  # paired: the baseline's mean
        for j, (kpi, row) in enumerate(mine.iterrows()):
            if base[kpi] > 0 and not np.isnan(row["diff_mean"]):
                ax.annotate(
                    f"{row['diff_mean'] / base[kpi]:+.0%}",
                    (j - 0.4 + width * (i + 0.5), np.nan_to_num(row["ci_high"], nan=row["mean"])),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7.5,
                )
    ax.set_xlabel("outcome of a recorded possession find")
    ax.set_ylabel("outcomes per year")
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.legend(loc="upper right")
    figure.suptitle("Police outcomes for possession a year, against the status quo")
    return figure


@styled
def formal_outcome_shares(comparison: pd.DataFrame) -> Figure:
    """The share of each group's finds that end in a formal outcome, per scenario."""
    rows = group_share_rows(comparison)
    baselines = baseline_scenarios(comparison)
    order = list(dict.fromkeys(rows["group"]))
    rows = rows.assign(**{c: rows[c] * 100 for c in ("mean", "ci_low", "ci_high")})
    figure, axes = new_figure(3.3)
    ax = axes[0, 0]
    _grouped_bars(ax, rows, "group", order, baselines)
    ax.set_ylim(0, min(100, max(10.0, float(np.nanmax(rows["ci_high"])) * 1.15)))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylabel("finds ending in a formal outcome (%)")
    ax.set_xlabel("group")
    ax.legend(loc="upper right")
    figure.suptitle("Formal-outcome share by group (disproportionality)")
    return figure


def _sorted_values(values: pd.Series) -> list:
    unique = values.drop_duplicates().tolist()
    numeric = pd.to_numeric(pd.Series(unique), errors="coerce")
    if numeric.notna().all():
        return [unique[i] for i in np.argsort(numeric.to_numpy(), kind="stable")]
    return sorted(unique, key=str)


def _is_full_grid(cells: pd.DataFrame, x: str, y: str) -> bool:
    pairs = cells[[x, y]].drop_duplicates()
    return len(pairs) == len(cells) == cells[x].nunique() * cells[y].nunique()


def _value_text(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if magnitude >= 1 else f"{value:.2f}"


def _heatmap(ax: Axes, cells: pd.DataFrame, x: str, y: str, limits: tuple[float, float]):
    xs, ys = _sorted_values(cells[x]), _sorted_values(cells[y])
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
            text = _value_text(value)
            if not np.isnan(low.iat[i, j]) and len(xs) <= 6:
                text += f"\n{_value_text(low.iat[i, j])}–{_value_text(high.iat[i, j])}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if value < middle else PALETTE["ink"],
            )
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    ax.grid(False)
    return image


@styled
def sweep_chart(sweep: SweepSummary, kpi: str) -> Figure:
    """One KPI across a sweep's cells.

    Two varied parameters on a full grid: a heatmap (mean, and its 95% CI when there is
    room), one panel per combination of any further parameters (up to six). One
    parameter: the mean with its CI band. Anything else (a Latin hypercube, variants):
    the cells as points over the first two parameters, coloured by the mean.
    """
    cells = sweep.table[sweep.table["kpi"] == kpi]
    parameters = sweep.parameters
    unit = kpi_unit(kpi)
    label = f"{kpi_label(kpi)} ({unit})" if unit else kpi_label(kpi)
    if len(parameters) == 1:
        figure = _sweep_line(cells, parameters[0], label)
        figure.suptitle(f"Sweep: {kpi_label(kpi)}")
        return figure
    x, y, rest = parameters[0], parameters[1], parameters[2:]
    panels = list(cells.groupby(rest, sort=True)) if rest else [((), cells)]
    if len(panels) <= 6 and all(_is_full_grid(p, x, y) for _, p in panels):
        limits = (float(np.nanmin(cells["mean"])), float(np.nanmax(cells["mean"])))
        ncols = 2 if len(panels) > 1 else 1
        nrows = int(np.ceil(len(panels) / ncols))
        figure, axes = new_figure(2.9 * nrows + 0.6, nrows, ncols)
        for ax in axes.flat[len(panels) :]:
            ax.set_visible(False)
        for ax, (key, panel) in zip(axes.flat, panels, strict=False):
            image = _heatmap(ax, panel, x, y, limits)
            if rest:
                key = key if isinstance(key, tuple) else (key,)
                ax.set_title(", ".join(f"{p} = {v}" for p, v in zip(rest, key, strict=True)))
            ax.set_xlabel(x)
            ax.set_ylabel(y)
        figure.colorbar(image, ax=axes.ravel().tolist(), label=label, shrink=0.9)
    else:
        figure, axes = new_figure(3.6)
        ax = axes[0, 0]
        points = ax.scatter(
            pd.to_numeric(cells[x], errors="coerce"),
            pd.to_numeric(cells[y], errors="coerce"),
            c=cells["mean"],
            cmap=SEQUENTIAL_CMAP,
            s=40,
            edgecolors=PALETTE["ink"],
            linewidths=0.4,
        )
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        if rest:
            ax.set_title(f"each point is a cell; {', '.join(rest)} also vary", loc="left")
        figure.colorbar(points, ax=ax, label=label)
    figure.suptitle(f"Sweep: {kpi_label(kpi)}")
    return figure


def _sweep_line(cells: pd.DataFrame, parameter: str, label: str) -> Figure:
    order = _sorted_values(cells[parameter])
    rows = cells.set_index(parameter).reindex(order)
    figure, axes = new_figure(3.0)
    ax = axes[0, 0]
    numeric = pd.to_numeric(pd.Series(order), errors="coerce")
    x = numeric.to_numpy(float) if numeric.notna().all() else np.arange(len(order))
    ax.fill_between(
        x, rows["ci_low"], rows["ci_high"], color=PALETTE["blue"], alpha=0.25, lw=0, label="95% CI"
    )
    ax.plot(x, rows["mean"], "o-", color=PALETTE["blue"], label="mean")
    if not numeric.notna().all():
        ax.set_xticks(x, [str(v) for v in order])
    ax.set_xlabel(parameter)
    ax.set_ylabel(label)
    ax.legend()
    return figure
