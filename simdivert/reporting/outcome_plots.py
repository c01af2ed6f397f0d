"""Figures of what follows the police outcome: the relative rate index at each stage, and
reoffending by arm with the same people's reoffending without the scheme."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, PercentFormatter

from simdivert.kpis import REOFFENDING_ARMS, RRI_GROUPS, RRI_STAGES, years_of
from simdivert.reporting.plots import BASELINE_COLOUR, PALETTE, new_figure, styled

STAGE_LABELS = {
    "search": "searched\n(per head)",
    "find": "found\n(per search)",
    "recorded": "recorded\n(per find)",
    "offer": "diverted\n(per record)",
    "formal": "formal outcome\n(per record)",
}
GROUP_COLOURS = {
    "black": PALETTE["blue"],
    "asian": PALETTE["orange"],
    "mixed": PALETTE["green"],
    "other": PALETTE["purple"],
}


def rri_years(summary: pd.DataFrame) -> list[str]:
    """The years the RRI figure shows: before the launch and the last policy year (or the
    whole window when the run has no whole years)."""
    defined = summary.loc[summary["mean"].notna(), "kpi"]
    years = years_of(defined, "rri_formal_black")
    shown = [y for y in (years[:1] + years[-1:]) if y]
    return list(dict.fromkeys(shown)) or [""]


@styled
def rri_by_stage(summary: pd.DataFrame, years: list[str]) -> Figure:
    """The relative rate index of each group against white people at each stage (log
    scale, 1 = the same rate as white people), before the launch (dashed) and after
    (solid), with 95% CIs."""
    table = summary.set_index("kpi")
    figure, axes = new_figure(4.2)
    ax = axes[0, 0]
    stages = list(RRI_STAGES)
    x = np.arange(len(stages))
    for g, group in enumerate(RRI_GROUPS):
        for year in years:
            names = [f"rri_{stage}_{group}" + (f"_{year}" if year else "") for stage in stages]
            rows = table.reindex(names)[["mean", "ci_low", "ci_high"]].astype(float)
            means = rows["mean"].to_numpy()
            errors = np.vstack([means - rows["ci_low"], rows["ci_high"] - means])
            offset = (g - 1.5) * 0.08
            ax.errorbar(
                x + offset,
                means,
                yerr=np.nan_to_num(np.abs(errors)),
                color=GROUP_COLOURS[group],
                ls="--" if year == "y0" else "-",
                marker="o",
                ms=3.5,
                capsize=2,
                lw=1.2,
                label=f"{group.capitalize()}, {'before' if year == 'y0' else 'after'} the launch"
                if year
                else group.capitalize(),
            )
    ax.axhline(1.0, color=BASELINE_COLOUR, lw=0.9)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(FixedLocator([0.5, 0.75, 1, 1.5, 2, 3, 5, 8]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(x, [STAGE_LABELS[s] for s in stages])
    ax.set_ylabel("rate relative to white people (log scale)")
    figure.legend(*ax.get_legend_handles_labels(), ncols=4, loc="outside lower center", fontsize=7)
    figure.suptitle("Relative rate index at each stage, each group against white people")
    return figure


@styled
def reoffending_by_arm(summary: pd.DataFrame, months: int) -> Figure:
    """The share reoffending within ``months`` by arm, with the scheme and for the same
    people without it, with 95% CIs."""
    table = summary.set_index("kpi")
    arms = [a for a in REOFFENDING_ARMS if f"reoffending_{months}_months_{a}" in table.index]
    figure, axes = new_figure(0.55 * len(arms) + 1.4)
    ax = axes[0, 0]
    y = np.arange(len(arms))[::-1]
    for shift, suffix, colour, label in (
        (0.18, "", PALETTE["blue"], "with the scheme"),
        (-0.18, "_status_quo", BASELINE_COLOUR, "the same people without it"),
    ):
        names = [f"reoffending_{months}_months_{a}{suffix}" for a in arms]
        rows = table.reindex(names)[["mean", "ci_low", "ci_high"]].astype(float) * 100
        means = rows["mean"].to_numpy()
        errors = np.vstack([means - rows["ci_low"], rows["ci_high"] - means])
        ax.barh(y + shift, means, height=0.34, color=colour, label=label)
        ax.errorbar(
            means, y + shift, xerr=np.nan_to_num(errors), fmt="none", ecolor=PALETTE["ink"], lw=1
        )
    ax.set_yticks(y, [REOFFENDING_ARMS[a].removeprefix("people ").capitalize() for a in arms])
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel(f"share with a recorded offence within {months} months (%)")
    figure.legend(*ax.get_legend_handles_labels(), ncols=2, loc="outside lower center")
    figure.suptitle(f"Reoffending within {months} months by outcome of the first find")
    return figure
