"""The tornado chart of a sensitivity folder: for one KPI, each factor's bar runs from the
KPI at the factor's low value to the KPI at its high value (the others at the base),
largest swing on top, centred on the base scenario's value."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simdivert.kpis import kpi_label, kpi_unit
from simdivert.numbers import short_value, with_minus
from simdivert.reporting.plots import BASELINE_COLOUR, PALETTE, new_figure, styled
from simdivert.reporting.sweep_design import key_label, value_words

LOW_COLOUR = PALETTE["sky"]
HIGH_COLOUR = PALETTE["blue"]


def tornado_rows(one_at_a_time: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """One KPI's effects, largest absolute swing first; factors with no effect kept."""
    rows = one_at_a_time[one_at_a_time["kpi"] == kpi].copy()
    rows["size"] = rows["swing"].abs()
    return rows.sort_values("size", ascending=False, kind="stable").reset_index(drop=True)


def _scale(kpi: str) -> tuple[float, str]:
    """Shares drawn in percent; other KPIs in their unit."""
    unit = kpi_unit(kpi)
    return (100.0, "%") if unit in ("share", "ratio") else (1.0, unit)


@styled
def tornado(one_at_a_time: pd.DataFrame, kpi: str) -> Figure:
    """The tornado of one KPI (see the module's docstring); each bar's label gives the
    factor's range and its swing with the 95% CI."""
    rows = tornado_rows(one_at_a_time, kpi)
    scale, unit = _scale(kpi)
    figure, axes = new_figure(1.1 + 0.55 * len(rows))
    ax = axes[0, 0]
    base = float(rows["mean_at_base"].iloc[0]) * scale
    y = np.arange(len(rows))[::-1]
    for position, row in zip(y, rows.itertuples(), strict=True):
        low, high = row.mean_at_low * scale, row.mean_at_high * scale
        ends = sorted(((low, LOW_COLOUR), (high, HIGH_COLOUR)), key=lambda e: -abs(e[0] - base))
        for value, colour in ends:  # the longer first, so that the shorter shows on it
            ax.barh(position, value - base, left=base, color=colour, height=0.6)
        for value, colour in ((low, LOW_COLOUR), (high, HIGH_COLOUR)):
            ax.plot([value], [position], "|", color=colour, markersize=12)
    ax.axvline(base, color=BASELINE_COLOUR, lw=1)
    labels = [
        f"{key_label(row.factor)}\n{value_words(row.low)} – {value_words(row.high)}: swing "
        f"{with_minus(short_value(row.swing * scale))} "
        f"({with_minus(short_value(row.swing_ci_low * scale))} to "
        f"{with_minus(short_value(row.swing_ci_high * scale))})"
        for row in rows.itertuples()
    ]
    ax.set_yticks(y, labels)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"{kpi_label(kpi)} ({unit})" if unit else kpi_label(kpi))
    handles = [
        Patch(color=LOW_COLOUR, label="factor at its low value"),
        Patch(color=HIGH_COLOUR, label="factor at its high value"),
        Line2D([], [], color=BASELINE_COLOUR, label=f"base scenario ({short_value(base)})"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=3)
    figure.suptitle(f"Sensitivity: {kpi_label(kpi)}, one factor at a time")
    return figure
