"""The figure of a Sobol analysis: for each headline KPI a panel of horizontal bars, per
uncertain input its total index ST (dark) and its first-order index S1 (light) with
their 95% confidence intervals; the inputs in one order in every panel, the one that
matters most alone (the largest S1 in any panel) on top."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from simdivert.kpis import kpi_label
from simdivert.numbers import share_index
from simdivert.reporting.plots import PALETTE, new_figure, styled

TOTAL_COLOUR = PALETTE["blue"]
FIRST_ORDER_COLOUR = PALETTE["sky"]
COLUMNS = 2
LABEL_WIDTH = 26  # characters of an input's label on one line
TITLE_WIDTH = 44  # characters of a panel's title on one line
BAR = 0.38  # each of an input's two bars, as a share of its row
AXIS_LIMITS = (-0.25, 1.25)


def input_words(key: str) -> str:
    """An uncertain input in a few words that still tell it apart: its last two parts
    (``policy.offer_odds_ratio.caution`` -> ``offer odds ratio: caution``)."""
    parts = key.split(".")
    return ": ".join(part.replace("_", " ") for part in parts[-2:])


def _input_label(key: str) -> str:
    return textwrap.fill(input_words(key), LABEL_WIDTH)


def input_order(indices: pd.DataFrame) -> list[str]:
    """The inputs, the largest S1 in any KPI first: noise raises every ST of a KPI it
    dominates, and would put any input on top, but leaves its S1 near zero."""
    largest = indices.groupby("input", sort=False)["S1"].max().fillna(0)
    return list(largest.sort_values(ascending=False, kind="stable").index)


def _shown_kpis(indices: pd.DataFrame, kpis: pd.DataFrame) -> list[str]:
    """The KPIs with indices, in the analysis's order."""
    return [kpi for kpi in kpis["kpi"] if kpi in set(indices["kpi"])]


def panel_title(kpi: str, about: pd.Series) -> str:
    """A KPI's label, with the sum of its S1 (how much the inputs explain alone)."""
    words = kpi_label(kpi).split(" (")[0]  # the label's gloss in brackets is too long here
    words = textwrap.fill(words[:1].upper() + words[1:], TITLE_WIDTH)
    return f"{words}\nS1 sum {share_index(about['S1_sum'])}"


@styled
def sobol_bars(indices: pd.DataFrame, kpis: pd.DataFrame) -> Figure:
    """The Sobol indices of every KPI that has them (see the module's docstring)."""
    shown = _shown_kpis(indices, kpis)
    order = input_order(indices)
    rows = max(1, math.ceil(len(shown) / COLUMNS))
    figure, axes = new_figure(0.9 + rows * (0.8 + 0.27 * len(order)), rows, COLUMNS, sharey=True)
    y = np.arange(len(order))[::-1]
    about = kpis.set_index("kpi")
    # Noise can take an estimate below 0 or above 1; the axis stops a little beyond both.
    high = min(max(1.0, float((indices["ST"] + indices["ST_conf"]).max())), AXIS_LIMITS[1])
    low = max(min(0.0, float((indices["S1"] - indices["S1_conf"]).min())), AXIS_LIMITS[0])
    for ax, kpi in zip(axes.flat, shown, strict=False):
        table = indices[indices["kpi"] == kpi].set_index("input").reindex(order)
        for offset, column, colour in (
            (BAR / 2, "ST", TOTAL_COLOUR),
            (-BAR / 2, "S1", FIRST_ORDER_COLOUR),
        ):
            ax.barh(
                y + offset,
                table[column],
                height=BAR,
                color=colour,
                xerr=table[f"{column}_conf"],
                error_kw={"ecolor": PALETTE["ink"], "elinewidth": 0.7, "capsize": 1.5},
            )
        ax.axvline(0, color=PALETTE["grey"], lw=0.8)
        ax.set_title(panel_title(kpi, about.loc[kpi]), fontsize=8.5)
        ax.grid(axis="y", visible=False)
        ax.set_xlim(low - 0.02, high + 0.02)
        ax.set_xticks([0.0, 0.5, 1.0])
    for number, ax in enumerate(axes.flat):
        if number >= len(shown):
            ax.set_visible(False)
        elif number + COLUMNS >= len(shown):  # nothing drawn below it
            ax.set_xlabel("share of the KPI's variance")
    for ax in axes[:, 0]:
        ax.set_yticks(y, [_input_label(key) for key in order])
    handles = [
        Patch(color=TOTAL_COLOUR, label="ST: total (alone and with others)"),
        Patch(color=FIRST_ORDER_COLOUR, label="S1: first order (alone)"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=2)
    figure.suptitle("Which uncertain inputs matter: Sobol indices, 95% CIs")
    return figure
