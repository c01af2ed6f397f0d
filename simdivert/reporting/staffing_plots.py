"""The figures of a staffing plan, from its folder's files alone: the spread across
replications of each target's wait per period (what the search judged, and the check on
fresh replications), and the plan's staff and cost a year per period."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simdivert.reporting.plots import PALETTE, TARGET_COLOUR, new_figure, styled

CHECK_COLOURS = {"search": PALETTE["blue"], "fresh": PALETTE["orange"]}
CHECK_LABELS = {"search": "replications searched on", "fresh": "fresh replications (check)"}


def _kpi_words(kpi: str) -> str:
    """``course_wait_so_far_p90_days_cannabis`` -> ``course P90 cannabis``."""
    return kpi.replace("_wait_so_far_p90_days", " P90").replace("_", " ")


def tested_kpis(plan: pd.DataFrame) -> list[str]:
    """The columns the plan's targets were tested on, in the plan's order."""
    kpis = plan["kpi"].dropna().astype(str)
    return list(dict.fromkeys(k for k in kpis if k))


@styled
def wait_spread(spread: pd.DataFrame, plan: pd.DataFrame) -> Figure:
    """Per target (a panel each) and period: every replication's P90 wait so far, the
    searched ones and the fresh ones side by side, with the target and the quantile
    tested."""
    kpis = [k for k in tested_kpis(plan) if k in set(spread["kpi"])]
    bounds = plan.dropna(subset=["bound"]).drop_duplicates("kpi").set_index("kpi")["bound"]
    quantile = float(plan["quantile"].iloc[0])
    periods = list(dict.fromkeys(plan["period"]))
    ncols = 2 if len(kpis) > 1 else 1
    nrows = max(int(np.ceil(len(kpis) / ncols)), 1)
    figure, axes = new_figure(2.2 * nrows + 0.8, nrows, ncols)
    for ax in axes.flat[len(kpis) :]:
        ax.set_visible(False)
    rng = np.random.default_rng(0)  # horizontal jitter only, for legibility
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        mine = spread[spread["kpi"] == kpi]
        for offset, check in ((-0.18, "search"), (0.18, "fresh")):
            for x, period in enumerate(periods):
                values = mine.loc[
                    (mine["period"] == period) & (mine["check"] == check), "value"
                ].dropna()
                if values.empty:
                    continue
                jitter = rng.uniform(-0.07, 0.07, values.size)
                ax.scatter(
                    x + offset + jitter,
                    values,
                    s=12,
                    color=CHECK_COLOURS[check],
                    alpha=0.8,
                    label=CHECK_LABELS[check] if x == 0 else None,
                )
                statistic = np.quantile(values.to_numpy(), quantile, method="inverted_cdf")
                ax.hlines(statistic, x + offset - 0.12, x + offset + 0.12, color=PALETTE["ink"])
        if kpi in bounds:
            ax.axhline(bounds[kpi], color=TARGET_COLOUR, lw=1.5, label="target")
        ax.set_xticks(range(len(periods)), periods)
        ax.set_title(_kpi_words(kpi), loc="left")
        ax.set_ylabel("P90 wait (days)")
        ax.set_ylim(bottom=0)
    if kpis:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    figure.suptitle(
        f"Each replication's P90 wait per period; bars: the P{quantile * 100:g} of replications"
    )
    return figure


@styled
def plan_cost(costs: pd.DataFrame) -> Figure:
    """The plan's cost a year per period, with its drug workers and facilitators."""
    figure, axes = new_figure(2.6)
    ax = axes[0, 0]
    x = np.arange(len(costs))
    bars = ax.bar(x, costs["cost_per_year"] / 1000, color=PALETTE["blue"])
    for bar, row in zip(bars, costs.itertuples(), strict=True):
        ax.annotate(
            f"{row.drug_workers:g} drug workers, {row.facilitators:g} facilitators,\n"
            f"{row.sessions_per_week:g} sessions a week" + (" (surge)" if row.surge else ""),
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    ax.set_xticks(x, costs["period"])
    ax.set_ylabel("cost a year (£ thousand)")
    ax.margins(y=0.3)
    figure.suptitle("The plan's provider cost a year, period by period")
    return figure
