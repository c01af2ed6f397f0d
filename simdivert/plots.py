"""Figures of one run, made from its output files: one palette, one style, A4 width.

Every figure function takes tables as read by :mod:`simdivert.output_readers` and returns
a matplotlib ``Figure`` drawn on the Agg canvas (no pyplot, no display, no global state);
:func:`save_figure` writes it as PNG and SVG. Figures are titled and their axes carry
units. Comparison and sweep figures live in :mod:`simdivert.comparison_plots`.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from simdivert.output_readers import WAIT_STAGES, RunFacts

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "vermillion": "#D55E00",
    "yellow": "#F0E442",
    "grey": "#7F7F7F",
    "light_grey": "#E6E6E6",
    "ink": "#222222",
}
SERIES_COLOURS = tuple(
    PALETTE[c] for c in ("blue", "orange", "green", "purple", "sky", "vermillion", "yellow")
)
STAGE_COLOURS = {
    "contact": PALETTE["sky"],
    "first_contact": PALETTE["sky"],
    "assessment": PALETTE["blue"],
    "one_to_one": PALETTE["purple"],
    "course": PALETTE["green"],
}
TARGET_COLOUR = PALETTE["vermillion"]
WARMUP_COLOUR = PALETTE["light_grey"]
BASELINE_COLOUR = PALETTE["grey"]
SEQUENTIAL_CMAP = "viridis"

A4_WIDTH_INCHES = 7.0  # printed on A4 at text width (about 16 cm) fonts stay 8 pt or more
PNG_DPI = 150
STYLE = {
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 11,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": PALETTE["light_grey"],
    "grid.linewidth": 0.7,
    "axes.axisbelow": True,
    "axes.edgecolor": PALETTE["grey"],
    "axes.prop_cycle": cycler(color=SERIES_COLOURS),
    "svg.fonttype": "path",
    "svg.hashsalt": "simdivert",  # the same figure gives the same SVG bytes
}

STAGE_QUEUE_LABELS = {
    "contact": "Waiting for first contact",
    "assessment": "Contacted, waiting for the assessment",
    "one_to_one": "Waiting for a one-to-one",
    "course": "Assessed, awaiting a group session",
}


def styled(build: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build a figure under the house style (fonts and colours are fixed at creation)."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs) -> Figure:
        with mpl.rc_context(STYLE):
            return build(*args, **kwargs)

    return wrapper


def new_figure(height_inches: float, nrows: int = 1, ncols: int = 1, **kwargs):
    """An A4-wide figure on the Agg canvas and its axes (always a 2-D array)."""
    figure = Figure(figsize=(A4_WIDTH_INCHES, height_inches), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(nrows, ncols, squeeze=False, **kwargs)
    return figure, axes


def save_figure(figure: Figure, folder: Path, stem: str) -> dict[str, Path]:
    """Write ``stem.png`` and ``stem.svg`` into ``folder``; returns the paths by format.

    The PNG is laid out first; the figure then keeps that layout, so the SVG matches it
    and is not laid out again.
    """
    paths = {}
    with mpl.rc_context(STYLE):
        for fmt in ("png", "svg"):
            paths[fmt] = folder / f"{stem}.{fmt}"
            figure.savefig(paths[fmt], format=fmt, dpi=PNG_DPI, metadata=_metadata(fmt))
            figure.set_layout_engine("none")
    return paths


def _metadata(fmt: str) -> dict[str, str | None]:
    """No creation date in the files, so the same figure gives the same bytes."""
    return {"Date": None} if fmt == "svg" else {}


def thousands(value: float, _position: object = None) -> str:
    return f"{value:,.0f}"


def mark_warmup(ax: Axes, warmup_weeks: float) -> None:
    """Shade the warm-up, whose weeks are simulated but not measured."""
    if warmup_weeks > 0:
        ax.axvspan(0, warmup_weeks, color=WARMUP_COLOUR, lw=0, label="warm-up (not measured)")


def weekly_bands(values: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per week: median and the 5th and 95th percentiles across replications."""
    grouped = values.groupby("week")[column]
    return pd.DataFrame(
        {
            "median": grouped.median(),
            "low": grouped.quantile(0.05),
            "high": grouped.quantile(0.95),
        }
    )


@styled
def referrals_per_week(
    timeseries: pd.DataFrame,
    run: RunFacts,
    recording_uplift: tuple[float, float, float] | None = None,
) -> Figure:
    """Referrals each week (median and 90% band across replications), warm-up shaded.

    ``recording_uplift`` (mean, CI low, CI high) adds the level referrals would have had
    if only the finds recorded before the policy were referred.
    """
    rows = timeseries[(timeseries["stage"] == "contact") & (timeseries["week"] < run.whole_weeks)]
    bands = weekly_bands(rows, "waits_started")
    figure, axes = new_figure(3.3)
    ax = axes[0, 0]
    mark_warmup(ax, run.warmup_weeks)
    weeks = bands.index.to_numpy() + 0.5  # plot each week at its middle
    colour = STAGE_COLOURS["assessment"]
    ax.fill_between(
        weeks,
        bands["low"],
        bands["high"],
        color=colour,
        alpha=0.25,
        lw=0,
        label="90% of replications",
    )
    ax.plot(weeks, bands["median"], color=colour, lw=1.8, label="median across replications")
    measured = bands.index >= run.warmup_weeks
    if recording_uplift is not None and measured.any() and recording_uplift[0] > 0:
        uplift = recording_uplift[0]
        without = bands.loc[measured, "median"].mean() / (1 + uplift)
        ax.hlines(
            without,
            run.warmup_weeks,
            weeks[-1] + 0.5,
            colors=PALETTE["ink"],
            linestyles="--",
            lw=1.2,
            label=f"without the recording uplift (÷ {1 + uplift:.2f})",
        )
        low, high = recording_uplift[1:]
        interval = "" if np.isnan(low) else f" (95% CI {low:+.1%} to {high:+.1%})"
        ax.annotate(
            f"Recording uplift at launch: {uplift:+.1%}{interval}:\n"
            "finds that would have had an informal word are now referred",
            xy=(0.99, 0.04),
            xycoords="axes fraction",
            ha="right",
            va="bottom",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": PALETTE["light_grey"]},
        )
    ax.set_xlim(0, weeks[-1] + 0.5 if weeks.size else 1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("week of the run")
    ax.set_ylabel("referrals per week (people)")
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    handles, labels = ax.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2)
    figure.suptitle("Referrals to the provider per week")
    return figure


@styled
def queue_fan_chart(timeseries: pd.DataFrame, run: RunFacts) -> Figure:
    """People waiting at each stage over time: weekly median and 90% band across replications."""
    stages = [s for s in STAGE_QUEUE_LABELS if s in set(timeseries["stage"].unique())]
    ncols = 2 if len(stages) > 1 else 1
    nrows = int(np.ceil(len(stages) / ncols))
    figure, axes = new_figure(2.3 * nrows + 0.6, nrows, ncols, sharex=True)
    for ax in axes.flat[len(stages) :]:
        ax.set_visible(False)
    whole_weeks = timeseries[timeseries["week"] < run.whole_weeks]
    for ax, stage in zip(axes.flat, stages, strict=False):
        bands = weekly_bands(whole_weeks[whole_weeks["stage"] == stage], "queue_mean")
        weeks = bands.index.to_numpy() + 0.5
        colour = STAGE_COLOURS[stage]
        mark_warmup(ax, run.warmup_weeks)
        ax.fill_between(
            weeks,
            bands["low"],
            bands["high"],
            color=colour,
            alpha=0.3,
            lw=0,
            label="90% of replications",
        )
        ax.plot(weeks, bands["median"], color=colour, lw=1.6, label="median")
        ax.set_title(STAGE_QUEUE_LABELS[stage], loc="left")
        ax.set_xlim(0, weeks[-1] + 0.5)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(5))
    for ax in axes[-1, :]:
        ax.set_xlabel("week of the run")
    for ax in axes[:, 0]:
        ax.set_ylabel("people (weekly mean)")
    # One legend for all panels, in neutral grey: each stage keeps its own colour.
    handles = [
        Patch(color=WARMUP_COLOUR, label="warm-up (not measured)"),
        Patch(color=PALETTE["grey"], alpha=0.35, label="90% of replications"),
        Line2D([], [], color=PALETTE["grey"], lw=1.6, label="median across replications"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=3)
    figure.suptitle("People waiting at each stage over time")
    return figure


@styled
def waiting_time_distributions(stage_waits: pd.DataFrame, targets: dict[str, float]) -> Figure:
    """Histogram of waits per stage (all replications pooled), its P90 and the target.

    ``targets`` maps a stage to the wait (days) that 9 in 10 people should not exceed.
    """
    stages = [s for s in WAIT_STAGES if s in set(stage_waits["stage"].unique())]
    ncols = 2 if len(stages) > 1 else 1
    nrows = int(np.ceil(len(stages) / ncols))
    figure, axes = new_figure(2.4 * nrows + 0.6, nrows, ncols)
    for ax in axes.flat[len(stages) :]:
        ax.set_visible(False)
    for ax, stage in zip(axes.flat, stages, strict=False):
        waits = stage_waits.loc[stage_waits["stage"] == stage, "wait_days"].to_numpy()
        _wait_histogram(ax, waits, targets.get(stage), STAGE_COLOURS[stage])
        ax.set_title(WAIT_STAGES[stage].capitalize(), loc="left")
    for ax in axes[-1, :]:
        ax.set_xlabel("wait (days)")
    for ax in axes[:, 0]:
        ax.set_ylabel("share of people (%)")
    missing = [description for stage, description in WAIT_STAGES.items() if stage not in stages]
    if missing:
        note = f"No wait ended before the end of the run for: {'; '.join(missing)}."
        figure.supxlabel(textwrap.fill(note, 100), fontsize=8, color=PALETTE["ink"])
    figure.suptitle("How long people wait at each stage, against the targets")
    return figure


def _wait_histogram(ax: Axes, waits: np.ndarray, target: float | None, colour: str) -> None:
    if waits.size == 0:
        ax.text(0.5, 0.5, "nobody reached this stage", transform=ax.transAxes, ha="center")
        return
    # Hours to days leaves a wait of exactly one day at 0.9999999999: keep it in its day.
    waits = np.round(waits, 6)
    p90 = float(np.quantile(waits, 0.9))
    right = max(float(np.quantile(waits, 0.995)), (target or 0) * 1.15, p90 * 1.2, 1.0)
    width = max(np.ceil(right / 30), 1.0) if right > 10 else 0.5
    bins = np.arange(0, right + width, width)
    ax.hist(
        np.clip(waits, 0, bins[-1]),
        bins=bins,
        weights=np.full(waits.size, 100 / waits.size),
        color=colour,
        alpha=0.85,
    )
    ax.axvline(p90, color=PALETTE["ink"], ls="--", lw=1.2, label=f"9 in 10 within {p90:.1f} days")
    if target is not None:
        within = float(np.mean(waits <= target))
        ax.axvline(
            target,
            color=TARGET_COLOUR,
            lw=1.8,
            label=f"target {target:g} days: {within:.1%} within",
        )
    ax.set_xlim(0, bins[-1])
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.legend(loc="upper right", frameon=True, facecolor="white", edgecolor="none", framealpha=0.75)


def _summary_rows(summary: pd.DataFrame, kpis: list[str]) -> pd.DataFrame:
    """The KPIs' means and CIs, in the order asked, leaving out those the run lacks."""
    rows = summary.set_index("kpi").reindex(kpis)[["mean", "ci_low", "ci_high"]].astype(float)
    return rows[rows["mean"].notna()]


def _interval_bars(
    ax: Axes,
    rows: pd.DataFrame,
    labels: list[str],
    colours: list[str],
    fmt: Callable[[float], str],
) -> None:
    """Horizontal bars of the means with 95% CI whiskers; the numbers go in the bar labels."""
    y = np.arange(len(rows))[::-1]
    means = rows["mean"].to_numpy(float)
    errors = np.vstack([means - rows["ci_low"].to_numpy(float), rows["ci_high"] - means])
    ax.barh(y, means, color=colours, height=0.6)
    ax.errorbar(
        means, y, xerr=np.nan_to_num(errors), fmt="none", ecolor=PALETTE["ink"], capsize=4, lw=1.2
    )
    texts = []
    for label, row in zip(labels, rows.itertuples(), strict=True):
        interval = (
            "" if np.isnan(row.ci_low) else f" (95% CI {fmt(row.ci_low)} to {fmt(row.ci_high)})"
        )
        texts.append(f"{label}\n{fmt(row.mean)}{interval}")
    ax.set_yticks(y, texts)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(left=0)
    ax.xaxis.set_major_locator(MaxNLocator(6))


@styled
def police_hours_saved(summary: pd.DataFrame) -> Figure:
    """Police hours saved a year by the published and the adjusted methods, with CIs."""
    kpis = ["police_hours_saved_published_per_year", "police_hours_saved_adjusted_per_year"]
    rows = _summary_rows(summary, kpis)
    labels = {
        kpis[0]: "Published method:\nevery referral an arrest avoided",
        kpis[1]: "Adjusted: the outcome each\nfind would otherwise have had",
    }
    colours = {kpis[0]: BASELINE_COLOUR, kpis[1]: PALETTE["blue"]}
    figure, axes = new_figure(2.5)
    ax = axes[0, 0]
    _interval_bars(
        ax,
        rows,
        [labels[k] for k in rows.index],
        [colours[k] for k in rows.index],
        lambda v: f"{v:,.0f}",
    )
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_xlabel("police officer hours saved per year (hours)")
    figure.suptitle("Police hours saved a year: published and adjusted methods")
    return figure


ROLE_UTILISATION = {
    "drug_worker_utilisation": "Drug workers: on-duty hours on client calls",
    "facilitator_utilisation": "Facilitators: hours in sessions and preparation",
}


@styled
def utilisation_by_role(summary: pd.DataFrame) -> Figure:
    """Share of each role's working time spent on the work, over the measured period."""
    rows = _summary_rows(summary, list(ROLE_UTILISATION))
    figure, axes = new_figure(2.2)
    ax = axes[0, 0]
    colours = [SERIES_COLOURS[i] for i in range(len(rows))]
    _interval_bars(
        ax, rows * 100, [ROLE_UTILISATION[k] for k in rows.index], colours, lambda v: f"{v:.1f}%"
    )
    ax.set_xlim(0, max(100.0, float(np.nanmax(rows["ci_high"] * 100)) * 1.05))
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("utilisation over the measured period (% of working time)")
    figure.suptitle("Staff utilisation by role")
    return figure


PATHWAY_OUTCOMES = {
    "share_completed": "Completed",
    "share_not_contacted": "Never reached by phone",
    "share_disengaged_assessment": "Left at the assessment",
    "share_disengaged_one_to_one": "Left at the one-to-one",
    "share_disengaged_course": "Left at the group course",
    "share_in_system_at_end": "Still in the pathway when the run ended",
}


@styled
def pathway_outcomes(summary: pd.DataFrame) -> Figure:
    """Where the people referred in the measured period had got to by the end of the run."""
    rows = _summary_rows(summary, list(PATHWAY_OUTCOMES))
    figure, axes = new_figure(0.5 * len(rows) + 1.0)
    ax = axes[0, 0]
    colours = [PALETTE["green"]] + [PALETTE["orange"]] * 4 + [PALETTE["grey"]]
    colours = [colours[list(PATHWAY_OUTCOMES).index(k)] for k in rows.index]
    _interval_bars(
        ax, rows * 100, [PATHWAY_OUTCOMES[k] for k in rows.index], colours, lambda v: f"{v:.1f}%"
    )
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("share of people referred in the measured period (%)")
    figure.suptitle("What happened to the people referred")
    return figure
