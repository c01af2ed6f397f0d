"""The diagnostics of a fit's folder: implausibility by wave, and each uncertain input's
values kept against its prior. Read from ``waves.parquet`` and the manifest only."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simdivert.outputs.fit_files import (
    FIGURES_DIR,
    IMPLAUSIBILITY,
    KEPT,
    MANIFEST,
    WAVES_FILE,
)
from simdivert.reporting.plots import (
    BASELINE_COLOUR,
    PALETTE,
    TARGET_COLOUR,
    new_figure,
    save_figure,
    styled,
)

PRIOR_COLOUR = PALETTE["light_grey"]
KEPT_COLOUR = PALETTE["blue"]
MARGINAL_COLUMNS = 4
BINS = 12
TITLE_CHARACTERS = 24
IMPLAUSIBILITY_CEILING = 20.0  # runs further out are drawn at the top edge


def input_title(key: str) -> str:
    """A dotted key short enough for a small panel, yet never ambiguous: the key without
    its table when it has three parts (``adoption.start share``), wrapped."""
    parts = key.split(".")
    shown = ".".join(parts[1:]) if len(parts) > 2 else key
    return textwrap.fill(shown.replace("_", " "), TITLE_CHARACTERS)


@styled
def implausibility_by_wave(waves: pd.DataFrame, cutoff: float) -> Figure:
    """Each run's implausibility (the ranked one the cut uses), a column of dots per
    wave, jittered; the cut as a line and the share of runs under it per wave."""
    figure, axes = new_figure(3.4)
    ax = axes[0, 0]
    rng = np.random.default_rng(0)  # jitter only: the same figure every time
    numbers = sorted(waves["wave"].unique())
    for number in numbers:
        rows = waves[waves["wave"] == number]
        values = np.minimum(rows[IMPLAUSIBILITY].to_numpy(float), IMPLAUSIBILITY_CEILING)
        x = number + rng.uniform(-0.18, 0.18, len(values))
        kept = rows[KEPT].to_numpy(bool)
        ax.scatter(x[~kept], values[~kept], s=7, color=BASELINE_COLOUR, alpha=0.6, lw=0)
        ax.scatter(x[kept], values[kept], s=7, color=KEPT_COLOUR, lw=0)
        ax.text(
            number,
            IMPLAUSIBILITY_CEILING * 1.05,
            f"{kept.mean():.0%} under",
            ha="center",
            fontsize=8,
        )
    ax.axhline(cutoff, color=TARGET_COLOUR, lw=1.2)
    ax.text(numbers[0] - 0.45, cutoff, f"cut {cutoff:g}", va="bottom", color=TARGET_COLOUR)
    ax.set_xticks(numbers, [f"wave {n}\n{(waves['wave'] == n).sum()} runs" for n in numbers])
    ax.set_xlim(numbers[0] - 0.5, numbers[-1] + 0.5)
    ax.set_ylim(0, IMPLAUSIBILITY_CEILING * 1.12)
    ax.set_ylabel("implausibility of the run")
    ceiling = f"{IMPLAUSIBILITY_CEILING:g}"
    ax.set_title(
        f"Implausibility by wave (blue: non-implausible; above {ceiling} drawn at {ceiling})"
    )
    return figure


@styled
def marginals(waves: pd.DataFrame, keys: list[str]) -> Figure:
    """A histogram per input: wave 1 (drawn from the priors) against the final wave's
    non-implausible runs, each as a density on the prior's range."""
    rows = math.ceil(len(keys) / MARGINAL_COLUMNS)
    figure, axes = new_figure(1.55 * rows + 0.5, rows, MARGINAL_COLUMNS)
    prior = waves[waves["wave"] == waves["wave"].min()]
    final = waves[(waves["wave"] == waves["wave"].max()) & waves[KEPT]]
    for ax, key in zip(axes.flat, keys, strict=False):
        values = prior[key].to_numpy(float)
        kept = final[key].to_numpy(float)
        both = np.concatenate([values, kept])
        edges = np.linspace(both.min(), both.max(), BINS + 1)
        if edges[0] == edges[-1]:
            edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
        ax.hist(values, edges, density=True, color=PRIOR_COLOUR, label="prior (wave 1)")
        if len(final):
            ax.hist(
                kept,
                edges,
                density=True,
                histtype="step",
                lw=1.6,
                color=KEPT_COLOUR,
                label="kept (final wave)",
            )
        ax.set_title(input_title(key), fontsize=7.5)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(keys) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2)
    figure.suptitle(f"Uncertain inputs: prior against the {len(final)} non-implausible runs")
    return figure


def write_fit_figures(folder: Path) -> dict[str, Path]:
    """``figures/implausibility_by_wave`` and ``figures/marginals`` (PNG and SVG)."""
    waves = pd.read_parquet(folder / WAVES_FILE)
    manifest = json.loads((folder / MANIFEST).read_text())
    figures = folder / FIGURES_DIR
    figures.mkdir(exist_ok=True)
    cutoff = float(manifest["settings"]["cutoff"])
    keys = list(manifest["uncertain_inputs"])
    written = {}
    for stem, figure in (
        ("implausibility_by_wave", implausibility_by_wave(waves, cutoff)),
        ("marginals", marginals(waves, keys)),
    ):
        written[stem] = save_figure(figure, figures, stem)["png"]
    return written
