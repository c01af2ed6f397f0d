"""Report sections of results with a row per cell, factor, area or KPI: a sweep's cells,
a sensitivity's effects, a run's areas and a comparison's league table."""

from __future__ import annotations

from html import escape

import pandas as pd

from simdivert.kpis import AREA_KPIS, area_words, kpi_label, kpi_unit, split_area
from simdivert.outputs.readers import OutputFolder
from simdivert.reporting.headlines import pick_kpis
from simdivert.reporting.league import difference_text, league_rows, mean_text, unit_heading
from simdivert.reporting.page import PERCENT_UNITS, Section, kpi_values, table
from simdivert.reporting.sensitivity_plots import tornado_rows
from simdivert.reporting.sweep_design import (
    LABEL,
    cell_rows,
    key_label,
    sweep_caption,
    sweep_design,
    value_words,
)

SWEEP_TABLE_KPIS = 4
SWEEP_TABLE_ROWS = 40


def sweep_cells_section(output: OutputFolder) -> Section | None:
    """Every cell by its label with the headline KPIs and their 95% CIs; cells named only
    by variants (a rollout's orders, forces) ranked by the first KPI, lowest first."""
    sweep = output.sweep
    if sweep is None:
        return None
    design = sweep_design(sweep)
    kpis = pick_kpis(sweep.table["kpi"], SWEEP_TABLE_KPIS)
    cells = design.cells[[c for c in design.cells.columns if c == "cell" or c == LABEL]]
    columns = {}
    for kpi in kpis:
        rows = cell_rows(design, sweep.table, kpi).set_index(LABEL)
        columns[kpi] = rows
    ranked = not design.grid and not design.samples and bool(kpis)
    labels = list(cells[LABEL])
    if ranked:
        first = columns[kpis[0]]["mean"]
        labels = sorted(labels, key=lambda label: (pd.isna(first.get(label)), first.get(label)))
    table_rows = []
    for label in labels[:SWEEP_TABLE_ROWS]:
        row = [label]
        for kpi in kpis:
            found = columns[kpi]
            if label not in found.index:
                row.append("–")
                continue
            r = found.loc[label]
            mean, interval, _ = kpi_values(r["mean"], r["ci_low"], r["ci_high"], kpi_unit(kpi))
            row.append(f'{escape(mean)}<br><span class="ci">{escape(interval)}</span>')
        table_rows.append([escape(row[0]), *row[1:]])
    more = len(labels) - SWEEP_TABLE_ROWS
    note = (f"<p>Ranked by {escape(kpi_label(kpis[0]))}, lowest first.</p>" if ranked else "") + (
        f"<p>… and {more} more cells: see <code>summary.csv</code>.</p>" if more > 0 else ""
    )
    header = [
        "cell",
        *(f"{kpi_label(k)} ({'%' if kpi_unit(k) in PERCENT_UNITS else kpi_unit(k)})" for k in kpis),
    ]
    return Section(
        "cells",
        "Cells of the sweep",
        f"<p>Each cell ({escape(sweep_caption(design))}): the mean over its replications "
        "and, beneath it, the 95% CI.</p>" + table(header, table_rows, html_cells=True) + note,
    )


def sensitivity_section(output: OutputFolder, kpis: list[str]) -> Section | None:
    """Per KPI: each factor's range, the KPI at its low and high values, the swing with its
    95% CI and the rank correlation over the Latin hypercube sample."""
    sensitivity = output.sensitivity
    if sensitivity is None:
        return None
    rho = sensitivity.rank_correlations
    blocks = []
    for kpi in kpis:
        effects = tornado_rows(sensitivity.one_at_a_time, kpi)
        correlations = (
            rho[rho["kpi"] == kpi].set_index("factor")["spearman_rho"] if rho is not None else None
        )
        rows = []
        for row in effects.itertuples():
            at_low, _, unit = kpi_values(
                row.mean_at_low, row.mean_at_low, row.mean_at_low, kpi_unit(kpi)
            )
            at_high = kpi_values(
                row.mean_at_high, row.mean_at_high, row.mean_at_high, kpi_unit(kpi)
            )[0]
            swing, interval, _ = kpi_values(
                row.swing, row.swing_ci_low, row.swing_ci_high, kpi_unit(kpi)
            )
            value = correlations.get(row.factor) if correlations is not None else None
            rows.append(
                [
                    key_label(row.factor),
                    f"{value_words(row.low)} – {value_words(row.high)}",
                    at_low,
                    at_high,
                    f"{swing} ({interval})",
                    "–" if value is None or pd.isna(value) else f"{value:+.2f}",
                ]
            )
        unit = "%" if kpi_unit(kpi) in PERCENT_UNITS else kpi_unit(kpi)
        blocks.append(
            f"<h3>{escape(kpi_label(kpi).capitalize())} ({escape(unit)})</h3>"
            + table(
                ["factor", "low – high", "at low", "at high", "swing (95% CI)", "Spearman ρ"], rows
            )
        )
    samples = (output.manifest or {}).get("samples", "?")
    return Section(
        "sensitivity",
        "Effects of each factor",
        "<p>One at a time: each factor at its low and its high value with every other input "
        "at the base scenario's, on common random numbers; the swing is high less low, with "
        "its paired 95% CI. Spearman ρ: the rank correlation of the factor with the KPI over "
        f"a Latin hypercube of {escape(str(samples))} samples varying every factor at once. "
        "Every KPI is in <code>one_at_a_time.csv</code> and "
        "<code>rank_correlations.csv</code>.</p>" + "".join(blocks),
    )


def _estimate_cell(row: pd.Series | None, unit: str) -> str:
    """A mean with its 95% CI beneath it (HTML), shares in percent; – when missing."""
    if row is None or pd.isna(row["mean"]):
        return "–"
    mean, interval, _ = kpi_values(row["mean"], row["ci_low"], row["ci_high"], unit)
    return f'{escape(mean)}<br><span class="ci">{escape(interval)}</span>'


def areas_section(output: OutputFolder) -> Section | None:
    """A run's KPIs per area, busiest area first: which areas to start in, where the
    waits are longest."""
    summary = output.summary
    if summary is None:
        return None
    rows = summary.assign(_area=summary["kpi"].map(split_area)).dropna(subset=["_area"])
    if rows.empty:
        return None
    rows = rows.assign(area=rows["_area"].str[0], base=rows["_area"].str[1]).set_index(
        ["area", "base"]
    )
    areas = list(dict.fromkeys(rows.index.get_level_values("area")))
    referrals = "referrals_per_year"
    if (areas[0], referrals) in rows.index:
        areas.sort(key=lambda a: -float(rows.loc[(a, referrals), "mean"]))
    header = ["area", *(f"{kpi_label(k)} ({unit_words(kpi_unit(k))})" for k in AREA_KPIS)]
    body = [
        [
            escape(area_words(area)),
            *(
                _estimate_cell(
                    rows.loc[(area, k)] if (area, k) in rows.index else None, kpi_unit(k)
                )
                for k in AREA_KPIS
            ),
        ]
        for area in areas
    ]
    return Section(
        "areas",
        "Areas",
        "<p>The people found in each area (by where they live) over the policy period: "
        "mean over replications and, beneath it, the 95% CI; busiest area first. Waits and "
        "shares are of the people referred from each area; police hours saved by the "
        "adjusted method.</p>" + table(header, body, html_cells=True),
    )


def unit_words(unit: str) -> str:
    """A unit as a column heading shows it: shares in percent."""
    return "%" if unit in PERCENT_UNITS else unit


def league_section(output: OutputFolder) -> Section | None:
    """A comparison's league table: the schemes side by side (:mod:`league`)."""
    comparison = output.comparison
    if comparison is None:
        return None
    rows = league_rows(comparison.table, comparison.names)
    body = []
    for row in rows:
        cells = []
        for name in comparison.names:
            cell = row.cells.get(name)
            if cell is None:
                cells.append("–")
                continue
            difference = difference_text(cell, row.unit)
            cells.append(
                escape(mean_text(cell, row.unit))
                + (
                    f'<br><span class="ci{" clear" if cell.clear else ""}">'
                    f"{escape(difference)}</span>"
                    if difference
                    else ""
                )
            )
        body.append([escape(f"{row.label} ({unit_heading(row.unit)})"), *cells])
    return Section(
        "league",
        "League table",
        f"<p>Each scheme's mean and, beneath it, its difference from {escape(comparison.base)} "
        "paired replication by replication on the same finds (Δ, with its 95% CI; shares "
        "in percentage points; in dark type where the CI excludes zero). Per-year KPIs are in "
        "the last whole policy year.</p>"
        + table(["KPI", *comparison.names], body, html_cells=True),
    )
