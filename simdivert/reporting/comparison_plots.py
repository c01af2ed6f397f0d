"""Figures across scenarios and years: paired differences, police outcomes, disproportionality.

They read a compare folder (and a run's summary, for outcomes by year) through
:mod:`simdivert.outputs.readers`, and share the palette and
style of :mod:`simdivert.reporting.plots`.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from simdivert.kpis import (
    kpi_label,
    kpi_unit,
    year_words,
)
from simdivert.numbers import thousands, with_minus
from simdivert.outputs.readers import Comparison
from simdivert.reporting.plots import (
    BASELINE_COLOUR,
    PALETTE,
    SERIES_COLOURS,
    new_figure,
    styled,
)


def series_colours(series: list[str], baseline: str | None) -> dict[str, str]:
    """The baseline in grey; the other series in the series colours, in order."""
    others = iter(SERIES_COLOURS * (1 + len(series) // len(SERIES_COLOURS)))
    return {s: BASELINE_COLOUR if s == baseline else next(others) for s in series}


def _decimals(value: float) -> int:
    """Decimals for a difference written beside its marker: none from 100 on."""
    return 0 if abs(value) >= 100 else 1


def _difference_scale(kpi: str) -> tuple[float, str]:
    """Differences of shares in percentage points; others in the KPI's unit."""
    unit = kpi_unit(kpi)
    if unit == "share":
        return 100.0, "percentage points"
    if unit == "ratio":
        return 100.0, "percentage points of the ratio"
    return 1.0, unit.replace("GBP", "£")


@styled
def comparison_forest(comparison: Comparison, kpis: list[str]) -> Figure:
    """Forest plot: each scenario's paired difference from the base, with its 95% CI.

    One panel per KPI, in the KPI's own unit (shares in percentage points), each
    difference written above its marker. Each small tick is one replication's difference
    on the same random numbers; a filled marker means the interval excludes zero, a
    hollow one that the difference is within the noise.
    """
    table = comparison.table
    scenarios = comparison.others
    colours = series_colours(scenarios, None)
    ncols = 2 if len(kpis) > 1 else 1
    nrows = int(np.ceil(len(kpis) / ncols))
    height = nrows * (0.32 * len(scenarios) + 1.0) + 0.7
    figure, axes = new_figure(height, nrows, ncols, sharey=True)
    for ax in axes.flat[len(kpis) :]:
        ax.set_visible(False)
    y_of = {s: len(scenarios) - 1 - i for i, s in enumerate(scenarios)}
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        scale, unit = _difference_scale(kpi)
        dots = comparison.paired_differences(kpi)
        for scenario in scenarios:
            mine = dots[dots["scenario"] == scenario]["diff"].to_numpy(float) * scale
            ax.plot(
                mine,
                np.full(mine.size, y_of[scenario] - 0.22),
                "|",
                ms=5,
                color=colours[scenario],
                alpha=0.5,
            )
        for row in table[(table["kpi"] == kpi) & table["scenario"].isin(scenarios)].itertuples():
            if np.isnan(row.diff_mean):
                continue
            y = y_of[str(row.scenario)]
            colour = colours[str(row.scenario)]
            clear = row.diff_ci_low > 0 or row.diff_ci_high < 0
            ax.hlines(y, row.diff_ci_low * scale, row.diff_ci_high * scale, color=colour, lw=2)
            ax.plot(
                row.diff_mean * scale, y, "o", ms=6, color=colour, mfc=colour if clear else "white"
            )
            ax.annotate(  # the number itself, above its marker
                with_minus(f"{row.diff_mean * scale:+,.{_decimals(row.diff_mean * scale)}f}"),
                (row.diff_mean * scale, y),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                color=colour,
            )
        ax.axvline(0, color=PALETTE["ink"], lw=0.9)
        ax.set_title(textwrap.fill(kpi_label(kpi), 36 if ncols > 1 else 80), loc="left")
        ax.set_xlabel(f"difference ({unit})" if unit else "difference")
        ax.xaxis.set_major_locator(MaxNLocator(5))
        if max(abs(v) for v in ax.get_xlim()) >= 1000:
            ax.xaxis.set_major_formatter(FuncFormatter(thousands))
        ax.grid(axis="y", visible=False)
    axes[0, 0].set_yticks(list(y_of.values()), list(y_of))
    axes[0, 0].set_ylim(-0.7, len(scenarios) - 0.3)
    figure.suptitle(f"Scenarios against {comparison.base}: paired differences with 95% CIs")
    return figure


def _grouped_bars(
    ax: Axes,
    rows: pd.DataFrame,
    category: str,
    order: list[str],
    series: list[str],
    colours: dict[str, str],
    labels: dict[str, str] | None = None,
) -> list[float]:
    """Bars of each series' mean per category, with 95% CI error bars; returns bar offsets."""
    width = 0.8 / len(series)
    x = np.arange(len(order))
    offsets = []
    for i, name in enumerate(series):
        mine = rows[rows["series"] == name].set_index(category).reindex(order)
        offset = -0.4 + width * (i + 0.5)
        offsets.append(offset)
        means = mine["mean"].to_numpy(float)
        errors = np.vstack([means - mine["ci_low"], mine["ci_high"] - means])
        label = (labels or {}).get(name, name)
        ax.bar(x + offset, means, width * 0.92, color=colours[name], label=label)
        ax.errorbar(
            x + offset,
            means,
            yerr=np.nan_to_num(errors),
            fmt="none",
            ecolor=PALETTE["ink"],
            capsize=2.5,
            lw=0.9,
        )
    ax.grid(axis="x", visible=False)
    return offsets


@styled
def formal_outcomes(outcomes: pd.DataFrame, base: str) -> Figure:
    """Police outcomes a year for possession finds, year by year, in each scenario.

    ``outcomes`` are rows from :func:`simdivert.outputs.readers.outcome_rows` (columns
    outcome, year, scenario, mean, CI and the paired difference from ``base``). One
    panel per outcome; each non-base bar is marked with its change from the base in the
    same year, on the same finds.
    """
    families = list(dict.fromkeys(outcomes["outcome"]))
    years = list(dict.fromkeys(outcomes["year"]))
    scenarios = list(dict.fromkeys(outcomes["scenario"]))
    scenarios = [s for s in scenarios if s == base] + [s for s in scenarios if s != base]
    colours = series_colours(scenarios, base if len(scenarios) > 1 else None)
    rows = outcomes.assign(series=outcomes["scenario"])
    ncols = 2 if len(families) > 1 else 1
    nrows = int(np.ceil(len(families) / ncols))
    figure, axes = new_figure(2.3 * nrows + 0.9, nrows, ncols)
    for ax in axes.flat[len(families) :]:
        ax.set_visible(False)
    for ax, family in zip(axes.flat, families, strict=False):
        mine = rows[rows["outcome"] == family]
        offsets = _grouped_bars(ax, mine, "year", years, scenarios, colours)
        for offset, scenario in zip(offsets, scenarios, strict=True):
            if scenario == base:
                continue
            bars = mine[mine["scenario"] == scenario].set_index("year").reindex(years)
            for j, row in enumerate(bars.itertuples()):
                base_mean = row.mean - row.diff_mean  # paired: the base's mean that year
                same = row.diff_mean == 0 and row.diff_ci_low == row.diff_ci_high == 0
                if np.isnan(row.diff_mean) or same or not base_mean > 0:
                    continue  # no difference defined, or identical (before the launch)
                ax.annotate(
                    f"{row.diff_mean / base_mean:+.0%}",
                    (j + offset, np.nan_to_num(row.ci_high, nan=row.mean)),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                )
        ax.set_xticks(range(len(years)), [_year_tick(y) for y in years])
        ax.set_title(kpi_label(family).capitalize(), loc="left")
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.margins(y=0.15)
    for ax in axes[:, 0]:
        ax.set_ylabel("outcomes a year")
    for ax in axes[-1, :]:
        ax.set_xlabel("year of the run")
    if len(families) % ncols:
        axes[-2, -1].set_xlabel("year of the run")  # the panel above the empty one
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if len(scenarios) > 1:
        figure.legend(handles, labels, loc="outside lower center", ncols=min(4, len(scenarios)))
        title = f"Police outcomes for possession finds a year, against {base}"
    else:
        title = f"Police outcomes for possession finds a year: {base}"
    figure.suptitle(title)
    return figure


def _year_tick(year: str) -> str:
    if not year:
        return "measured period"
    return "before launch (y0)" if year == "y0" else f"policy year {year[1:]}"


@styled
def formal_outcome_shares(shares: pd.DataFrame, series: list[str], baseline: str | None) -> Figure:
    """The share of each group's recorded finds that end in a formal outcome.

    ``shares`` are rows from :func:`simdivert.outputs.readers.group_share_rows` with a
    ``series`` column (a scenario, or a year for a single run), drawn in the order of
    ``series``; ``baseline`` is drawn in grey. A gap between groups is disproportionality.
    """
    groups = list(dict.fromkeys(shares["group"]))
    rows = shares.assign(**{c: shares[c] * 100 for c in ("mean", "ci_low", "ci_high")})
    colours = series_colours(series, baseline)
    labels = {s: year_words(s) if s.startswith("y") and s[1:].isdigit() else s for s in series}
    figure, axes = new_figure(3.6)
    ax = axes[0, 0]
    _grouped_bars(ax, rows, "group", groups, series, colours, labels)
    ax.set_xticks(range(len(groups)), [g.replace("_", "\n") for g in groups])
    ax.set_ylim(0, min(100, max(10.0, float(np.nanmax(rows["ci_high"])) * 1.15)))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylabel("recorded finds ending in a\nformal outcome (%)")
    ax.set_xlabel("ethnic group and sex of the person found")
    handles, texts = ax.get_legend_handles_labels()
    figure.legend(handles, texts, loc="outside lower center", ncols=min(4, len(series)))
    figure.suptitle("Formal-outcome share by group (disproportionality)")
    return figure
