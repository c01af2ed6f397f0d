"""A Sobol analysis in the report: a sentence per headline KPI naming the inputs that
matter, and a table per KPI of every input's prior, S1 and ST with their 95% CIs."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from simdivert.kpis import kpi_label
from simdivert.numbers import index_interval, share_index
from simdivert.outputs.readers import OutputFolder, SobolIndices
from simdivert.reporting.headlines import Headline
from simdivert.reporting.page import Section, kpi_values, table
from simdivert.reporting.sobol_plots import input_words

# An input whose total index is below this explains next to nothing of a KPI.
NEGLIGIBLE = 0.05
# Inputs that alone explain less than this share of a KPI's variance leave most of it to
# interactions or noise: its ST are not read as effects.
EXPLAINED = 0.5


def _ranked(sobol: SobolIndices, kpi: str) -> pd.DataFrame:
    rows = sobol.indices[sobol.indices["kpi"] == kpi]
    return rows.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)


def sobol_headlines(sobol: SobolIndices) -> list[Headline]:
    """Per KPI with indices: the input with the largest ST, the next one, and how many
    inputs barely matter; or that no input moves it, or that noise or interactions hold
    most of its variance."""
    lines = []
    explained = sobol.kpis.set_index("kpi")["S1_sum"]
    for kpi in sobol.kpis["kpi"]:
        rows = _ranked(sobol, kpi)
        if rows.empty:
            continue
        top = rows.iloc[0]
        if top["ST"] >= NEGLIGIBLE and explained[kpi] < EXPLAINED:
            lines.append(
                Headline(
                    kpi,
                    f"{kpi_label(kpi).capitalize()}: the inputs alone explain little of its "
                    f"variance (S1 sum {share_index(explained[kpi])}), so its ST (up to "
                    f"{share_index(top['ST'])}) are mostly Monte-Carlo noise or interactions: "
                    "more replications per point tell which.",
                )
            )
            continue
        if top["ST"] < NEGLIGIBLE:
            lines.append(
                Headline(
                    kpi,
                    f"{kpi_label(kpi).capitalize()}: no input has an ST of {NEGLIGIBLE:g} or "
                    f"more (the largest, {input_words(top['input'])}, "
                    f"{share_index(top['ST'])}): the priors barely move it, or what moves it is "
                    "too rare for the design to see.",
                )
            )
            continue
        text = (
            f"{kpi_label(kpi).capitalize()} depends most on {input_words(top['input'])} "
            f"(ST {index_interval(top['ST'], top['ST_conf'])}; alone, S1 {share_index(top['S1'])})"
        )
        if len(rows) > 1:
            second = rows.iloc[1]
            text += f", then {input_words(second['input'])} (ST {share_index(second['ST'])})"
        negligible = int((rows["ST"] < NEGLIGIBLE).sum())
        if negligible:
            text += f"; {negligible} of {len(rows)} inputs have ST below {NEGLIGIBLE:g}"
        lines.append(Headline(kpi, text + "."))
    return lines


def _notes(sobol: SobolIndices) -> str:
    about = sobol.kpis
    notes = [
        f"{escape(kpi_label(row.kpi).capitalize())}: {escape(str(row.note))}."
        for row in about.itertuples()
        if isinstance(row.note, str)
    ]
    return "".join(f"<p>No indices for {note}</p>" for note in notes)


def _design_words(manifest: dict[str, Any]) -> str:
    inputs = manifest.get("inputs", [])
    reps = manifest.get("replications_per_point", "?")
    words = (
        f"{len(inputs)} uncertain inputs drawn from their priors in a Sobol design of "
        f"N = {manifest.get('samples', '?')} base points, {manifest.get('points', '?')} "
        f"points in all, each run {reps} time(s) on the same random numbers"
    )
    warning = manifest.get("design_warning")
    if isinstance(warning, str):
        words += f". {warning[:1].upper()}{warning[1:]}"
    return words


def sobol_section(output: OutputFolder) -> Section | None:
    """The indices of every KPI that has them, the inputs by ST, with how far to trust
    them: the sum of S1 and, with replications, the share of variance that is noise."""
    sobol = output.sobol
    if sobol is None:
        return None
    manifest = output.manifest or {}
    priors = {item.get("key"): item.get("prior", "") for item in manifest.get("inputs", [])}
    blocks = []
    for row in sobol.kpis.itertuples():
        rows = _ranked(sobol, row.kpi)
        if rows.empty:
            continue
        noise = row.noise_share
        spread = kpi_values(row.sd, row.sd, row.sd, str(row.unit))
        trust = (
            f"sd across the points {spread[0]} {spread[2]}; S1 sum {share_index(row.S1_sum)}"
            + ("" if pd.isna(noise) else f"; {noise:.0%} of the points' variance is noise")
        )
        cells = [
            [
                r.input,
                str(priors.get(r.input, "")),
                index_interval(r.S1, r.S1_conf),
                index_interval(r.ST, r.ST_conf),
            ]
            for r in rows.itertuples()
        ]
        blocks.append(
            f"<h3>{escape(kpi_label(row.kpi).capitalize())} ({escape(trust)})</h3>"
            + table(["input", "prior", "S1 (95% CI)", "ST (95% CI)"], cells, numeric_from=2)
        )
    return Section(
        "sobol",
        "Which uncertain inputs matter",
        f"<p>{escape(_design_words(manifest))}. Per KPI, the mean over a point's "
        "replications is the output; S1 is the share of its variance an input explains "
        "alone, ST alone and with every other input (first order plus interactions), each "
        "with a 95% bootstrap CI. An input with ST near zero can be fixed anywhere in its "
        "prior; a sum of S1 well below one means interactions or Monte-Carlo noise, and "
        "wide CIs mean too few samples. Every index is in <code>sobol.csv</code>, a row "
        "per KPI in <code>sobol_kpis.csv</code>.</p>" + "".join(blocks) + _notes(sobol),
    )
