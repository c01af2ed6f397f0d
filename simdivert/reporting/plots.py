"""Figures of one run, made from its output files: one palette, one style, A4 width.

Every figure function takes tables as read by :mod:`simdivert.outputs.readers` and returns
a matplotlib ``Figure`` drawn on the Agg canvas (no pyplot, no display, no global state);
:func:`render_figure` makes its PNG and SVG. Figures are titled and their axes carry
units. Comparison figures live in :mod:`simdivert.reporting.comparison_plots`, sweep
figures in :mod:`simdivert.reporting.sweep_plots`.
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from simdivert.clock import HOURS_PER_WEEK
from simdivert.numbers import thousands
from simdivert.outputs.readers import RunFacts
from simdivert.waits import STAGES as WAIT_STAGES

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
LAUNCH_COLOUR = PALETTE["vermillion"]
WARMUP_COLOUR = PALETTE["light_grey"]
BASELINE_COLOUR = PALETTE["grey"]
SEQUENTIAL_CMAP = "viridis"

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # matplotlib 3.10 on; only for typing

A4_WIDTH_INCHES = 7.0  # printed on A4 at text width (about 16 cm) fonts stay 8 pt or more
PNG_DPI = 150
STYLE: dict[RcKeyType, Any] = {
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


def render_figure(figure: Figure) -> tuple[bytes, bytes]:
    """The figure's PNG and SVG bytes, laid out and rendered once for both.

    One Agg draw at the PNG's resolution runs the layout and paints the pixels that are
    encoded as the PNG (``savefig`` would lay the figure out in a draw of its own first).
    The layout engine is then dropped, so the SVG keeps the PNG's layout and its
    ``savefig`` does no layout draw either. The bytes are those ``savefig`` writes.
    """
    with (
        mpl.rc_context(STYLE),
        # No layout engine may come back from the user's rcParams when this one is dropped.
        mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}),
    ):
        figure.set_dpi(PNG_DPI)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        png = io.BytesIO()
        imsave(png, canvas.buffer_rgba(), format="png", origin="upper", dpi=PNG_DPI)
        figure.set_layout_engine(None)
        svg = io.BytesIO()
        # No creation date in the file, so the same figure gives the same bytes.
        figure.savefig(svg, format="svg", dpi=PNG_DPI, metadata={"Date": None})
    return png.getvalue(), svg.getvalue()


def drawn_points(figure: Figure) -> int:
    """How many finite data points the figure's axes draw (lines, markers, bars, image
    cells): zero means an empty chart, whatever its axes and titles."""
    total = 0
    for ax in figure.axes:
        if not ax.get_visible() or ax.get_label() == "<colorbar>":
            continue
        for line in ax.get_lines():
            xy = np.asarray(line.get_xydata(), dtype=float)
            total += int(np.isfinite(xy).all(axis=1).sum()) if xy.size else 0
        for collection in ax.collections:
            if isinstance(collection, PathCollection):  # markers: one per offset
                offsets = np.asarray(collection.get_offsets(), dtype=float)
                total += int(np.isfinite(offsets).all(axis=1).sum()) if offsets.size else 0
                continue
            for path in collection.get_paths():
                vertices = np.asarray(path.vertices, dtype=float)
                total += int(len(vertices) > 1 and bool(np.isfinite(vertices).all()))
        for image in ax.get_images():
            array = image.get_array()
            if array is not None:
                total += int(np.isfinite(np.ma.filled(array, np.nan)).sum())
        total += sum(
            1
            for patch in ax.patches
            if isinstance(patch, Rectangle) and patch.get_width() and patch.get_height()
        )
    return total


def save_figure(figure: Figure, folder: Path, stem: str) -> dict[str, Path]:
    """Write ``stem.png`` and ``stem.svg`` into ``folder``; returns the paths by format."""
    paths = {fmt: folder / f"{stem}.{fmt}" for fmt in ("png", "svg")}
    for path, content in zip(paths.values(), render_figure(figure), strict=True):
        path.write_bytes(content)
    return paths


def date_axis(ax: Axes, run: RunFacts) -> None:
    """Label a weekly time axis with calendar dates (the run starts on
    ``run.start_date``, a Monday), not week numbers."""
    start = run.start_date

    def as_date(weeks: float, _position: object = None) -> str:
        return (start + timedelta(days=7 * weeks)).strftime("%b %Y")

    ax.xaxis.set_major_locator(MaxNLocator(7, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(as_date))
    ax.set_xlabel("date (the week beginning)")


def mark_warmup(ax: Axes, warmup_weeks: float) -> None:
    """Shade the warm-up, whose weeks are simulated but not measured."""
    if warmup_weeks > 0:
        ax.axvspan(0, warmup_weeks, color=WARMUP_COLOUR, lw=0, label="warm-up (not measured)")


def mark_launch(ax: Axes, run: RunFacts, label_areas: bool = False) -> None:
    """The launch of the scheme and, for a rollout, when the other areas go live."""
    if not run.diversion:
        return
    ax.axvline(run.launch_weeks, color=LAUNCH_COLOUR, lw=1.4, label="launch of the scheme")
    for k, (weeks, areas) in enumerate(run.go_live_weeks()):
        ax.axvline(
            weeks,
            color=LAUNCH_COLOUR,
            lw=1.2,
            ls=":",
            label="more areas go live" if k == 0 else None,
        )
        if label_areas:
            ax.annotate(
                textwrap.fill(f"{', '.join(areas)} go live", 28),
                xy=(weeks, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=7.5,
                color=LAUNCH_COLOUR,
            )


def mark_staffing_changes(ax: Axes, run: RunFacts) -> None:
    for k, weeks in enumerate(run.staffing_change_weeks()):
        ax.axvline(
            weeks,
            color=PALETTE["ink"],
            lw=1.0,
            ls="--",
            label="staffing changes" if k == 0 else None,
        )


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


def _fan(ax: Axes, bands: pd.DataFrame, colour: str, scale: float = 1.0) -> np.ndarray:
    """Median line and 90% band per week, each week drawn at its middle; returns the weeks."""
    weeks = bands.index.to_numpy() + 0.5
    ax.fill_between(
        weeks,
        bands["low"] * scale,
        bands["high"] * scale,
        color=colour,
        alpha=0.28,
        lw=0,
        label="90% of replications",
    )
    ax.plot(
        weeks, bands["median"] * scale, color=colour, lw=1.6, label="median across replications"
    )
    ax.set_xlim(0, weeks[-1] + 0.5 if weeks.size else 1)
    return weeks


@styled
def referrals_per_week(timeseries: pd.DataFrame, run: RunFacts) -> Figure:
    """Referrals each week (median and 90% band across replications), launch and rollout marked."""
    rows = timeseries[(timeseries["stage"] == "contact") & (timeseries["week"] < run.whole_weeks)]
    bands = weekly_bands(rows, "waits_started")
    figure, axes = new_figure(3.4)
    ax = axes[0, 0]
    mark_warmup(ax, run.warmup_weeks)
    _fan(ax, bands, STAGE_COLOURS["assessment"])
    mark_launch(ax, run, label_areas=True)
    ax.set_ylim(bottom=0)
    date_axis(ax, run)
    ax.set_ylabel("referrals per week (people)")
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    handles, labels = ax.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=3)
    figure.suptitle("Referrals to the provider per week")
    return figure


def _timeline_legend(figure: Figure, run: RunFacts, staffing: bool = False) -> None:
    """One legend for all panels, in neutral grey: each series keeps its own colour."""
    handles = [
        Patch(color=WARMUP_COLOUR, label="warm-up (not measured)"),
        Patch(color=PALETTE["grey"], alpha=0.35, label="90% of replications"),
        Line2D([], [], color=PALETTE["grey"], lw=1.6, label="median across replications"),
    ]
    if run.diversion:
        handles.append(Line2D([], [], color=LAUNCH_COLOUR, lw=1.4, label="launch of the scheme"))
        if run.go_live_weeks():
            handles.append(
                Line2D([], [], color=LAUNCH_COLOUR, lw=1.2, ls=":", label="more areas go live")
            )
    if staffing and run.staffing_change_weeks():
        handles.append(
            Line2D([], [], color=PALETTE["ink"], lw=1.0, ls="--", label="staffing changes")
        )
    figure.legend(handles=handles, loc="outside lower center", ncols=3)


@styled
def queue_fan_chart(timeseries: pd.DataFrame, run: RunFacts) -> Figure:
    """People waiting at each stage over time: weekly median and 90% band across replications."""
    stages = [s for s in STAGE_QUEUE_LABELS if s in set(timeseries["stage"].unique())]
    ncols = 2 if len(stages) > 1 else 1
    nrows = int(np.ceil(len(stages) / ncols))
    figure, axes = new_figure(2.3 * nrows + 0.8, nrows, ncols, sharex=True)
    for ax in axes.flat[len(stages) :]:
        ax.set_visible(False)
    whole_weeks = timeseries[timeseries["week"] < run.whole_weeks]
    for ax, stage in zip(axes.flat, stages, strict=False):
        bands = weekly_bands(whole_weeks[whole_weeks["stage"] == stage], "queue_mean")
        mark_warmup(ax, run.warmup_weeks)
        _fan(ax, bands, STAGE_COLOURS[stage])
        mark_launch(ax, run)
        ax.set_title(STAGE_QUEUE_LABELS[stage], loc="left")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(5))
    for ax in axes[-1, :]:
        date_axis(ax, run)
    for ax in axes[:, 0]:
        ax.set_ylabel("people (weekly mean)")
    _timeline_legend(figure, run)
    figure.suptitle("People waiting at each stage over time")
    return figure


ROLE_LABELS = {
    "drug_workers": "Drug workers: on-duty hours on client calls",
    "facilitators": "Facilitators: contracted hours running and preparing sessions",
}
ROLE_KPIS = {"drug_workers": "drug_worker_utilisation", "facilitators": "facilitator_utilisation"}
ROLE_COLOURS = {"drug_workers": PALETTE["blue"], "facilitators": PALETTE["green"]}


@styled
def utilisation_over_time(
    utilisation: pd.DataFrame,
    run: RunFacts,
    policy_means: dict[str, tuple[float, float, float]] | None = None,
) -> Figure:
    """Each role's weekly utilisation: median and 90% band across replications.

    ``policy_means`` (role -> mean, CI low, CI high over the policy period, from the
    summary) is drawn as a level over the policy period.
    """
    roles = [r for r in ROLE_LABELS if r in set(utilisation["role"].unique())]
    figure, axes = new_figure(2.2 * len(roles) + 0.9, len(roles), 1, sharex=True)
    rows = utilisation[utilisation["week"] < run.whole_weeks]
    top = 100.0
    for ax, role in zip(axes[:, 0], roles, strict=True):
        bands = weekly_bands(rows[rows["role"] == role], "utilisation")
        mark_warmup(ax, run.warmup_weeks)
        weeks = _fan(ax, bands, ROLE_COLOURS[role], scale=100)
        mark_launch(ax, run)
        mark_staffing_changes(ax, run)
        top = max(top, float(np.nanmax(bands["high"].to_numpy(float) * 100, initial=0)))
        mean = (policy_means or {}).get(role)
        if mean is not None and not np.isnan(mean[0]) and weeks.size:
            interval = "" if np.isnan(mean[1]) else f" (95% CI {mean[1]:.1%} to {mean[2]:.1%})"
            level = ax.hlines(
                mean[0] * 100,
                run.policy_start_hours / HOURS_PER_WEEK,
                weeks[-1] + 0.5,
                colors=PALETTE["ink"],
                linestyles=(0, (1, 1.5)),
                lw=1.4,
                label=f"policy-period mean {mean[0]:.1%}{interval}",
            )
            ax.legend(
                handles=[level],
                loc="lower right",
                frameon=True,
                facecolor="white",
                edgecolor="none",
            )
        ax.set_title(ROLE_LABELS[role], loc="left")
        ax.set_ylabel("utilisation (%)")
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    for ax in axes[:, 0]:
        ax.set_ylim(0, top * 1.05)
    date_axis(axes[-1, 0], run)
    _timeline_legend(figure, run, staffing=True)
    figure.suptitle("Staff utilisation by role over time")
    return figure


@styled
def waiting_time_distributions(stage_waits: pd.DataFrame, targets: dict[str, float]) -> Figure:
    """Histogram of waits per stage (all replications pooled), its P90 and the target.

    ``targets`` maps a stage to the wait (days) that 9 in 10 people should not exceed.
    """
    stages = [s for s in WAIT_STAGES if s in set(stage_waits["stage"].unique())]
    ncols = 2 if len(stages) > 1 else 1
    nrows = int(np.ceil(len(stages) / ncols))
    figure, axes = new_figure(3.0 * nrows + 0.6, nrows, ncols)
    for ax in axes.flat[len(stages) :]:
        ax.set_visible(False)
    for ax, stage in zip(axes.flat, stages, strict=False):
        waits = stage_waits.loc[stage_waits["stage"] == stage, "wait_days"].to_numpy()
        _wait_histogram(ax, waits, targets.get(stage), STAGE_COLOURS[stage])
        ax.set_title(WAIT_STAGES[stage].capitalize(), loc="left")
    for ax in axes.flat:
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
        bins=list(bins),
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
    # Below the axis, clear of the bars and of the lines it explains, wherever they fall.
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), borderaxespad=0.0)


def _summary_rows(summary: pd.DataFrame, kpis: list[str]) -> pd.DataFrame:
    """The KPIs' means and CIs, in the order asked, leaving out those the run lacks."""
    rows = summary.set_index("kpi").reindex(kpis)[["mean", "ci_low", "ci_high"]].astype(float)
    return rows[rows["mean"].notna()]


def interval_bars(
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
    ax.set_xlim(left=min(0.0, float(np.nanmin(rows["ci_low"].fillna(rows["mean"]))) * 1.1))
    ax.xaxis.set_major_locator(MaxNLocator(6))


POLICE_HOURS_METHODS = {
    "published": "Published method: every referral\ncounted as an arrest avoided",
    "adjusted": "Adjusted: the officer time of the\noutcome each find would otherwise have had",
    "simulated": "Simulated: all officer hours on\npossession finds, against {base}",
}
POLICE_HOURS_COLOURS = {
    "published": BASELINE_COLOUR,
    "adjusted": PALETTE["blue"],
    "simulated": PALETTE["green"],
}


@styled
def police_hours_saved(estimates: pd.DataFrame, base: str | None = None) -> Figure:
    """Police hours saved a year per scenario by each method, with 95% CIs.

    ``estimates`` has columns scenario, method (``published``, ``adjusted``,
    ``simulated``), mean, ci_low, ci_high: one panel per scenario. ``base`` names the
    scenario the simulated difference is taken against.
    """
    scenarios = list(dict.fromkeys(estimates["scenario"]))
    heights = [len(estimates[estimates["scenario"] == s]) for s in scenarios]
    figure = Figure(
        figsize=(A4_WIDTH_INCHES, 0.62 * sum(heights) + 0.5 * len(scenarios) + 0.7),
        layout="constrained",
    )
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(scenarios), 1, sharex=True, height_ratios=heights, squeeze=False)
    for ax, scenario in zip(axes[:, 0], scenarios, strict=True):
        rows = estimates[estimates["scenario"] == scenario].set_index("method")
        labels = [POLICE_HOURS_METHODS[m].format(base=base) for m in rows.index]
        interval_bars(
            ax, rows, labels, [POLICE_HOURS_COLOURS[m] for m in rows.index], lambda v: f"{v:,.0f}"
        )
        if len(scenarios) > 1:
            ax.set_title(scenario, loc="left")
    low = min(0.0, float(np.nanmin(estimates["ci_low"].fillna(estimates["mean"]))) * 1.1)
    axes[0, 0].set_xlim(left=low)
    if low < 0:
        for ax in axes[:, 0]:
            ax.axvline(0, color=PALETTE["ink"], lw=0.9)
    axes[-1, 0].xaxis.set_major_formatter(FuncFormatter(thousands))
    axes[-1, 0].set_xlabel("police officer hours saved per year (hours)")
    methods = set(estimates["method"])
    which = (
        "published, adjusted and simulated" if "simulated" in methods else "published and adjusted"
    )
    figure.suptitle(f"Police hours saved a year: {which} methods")
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
    interval_bars(
        ax, rows * 100, [PATHWAY_OUTCOMES[k] for k in rows.index], colours, lambda v: f"{v:.1f}%"
    )
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("share of people referred in the measured period (%)")
    figure.suptitle("What happened to the people referred")
    return figure
