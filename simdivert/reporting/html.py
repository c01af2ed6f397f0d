"""The report page: sections of HTML with the figures embedded as base64 PNGs.

The page needs nothing outside itself (styles inline, no scripts, no links but to its
own sections), so it opens from the file system with no network.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from simdivert import __version__
from simdivert.clock import utc_now
from simdivert.kpis import kpi_unit
from simdivert.numbers import format_value
from simdivert.outputs.readers import Comparison, OutputFolder, RunFacts
from simdivert.reporting.content import KEY_ASSUMPTIONS, STYLESHEET, assumption_value
from simdivert.reporting.fan_charts import forecast_section
from simdivert.reporting.headlines import (
    Headline,
    comparison_headlines,
    headlines,
    sensitivity_headlines,
    sweep_headlines,
)
from simdivert.reporting.page import Section, kpi_name, kpi_values, table
from simdivert.reporting.result_tables import (
    areas_section,
    league_section,
    sensitivity_section,
    sweep_cells_section,
)
from simdivert.reporting.sobol_section import sobol_headlines, sobol_section


@dataclass(frozen=True)
class FigureHtml:
    """A drawn figure as the page shows it."""

    stem: str
    heading: str
    caption: str
    png: bytes
    section: str  # "forecast", "run", "comparison", "sweep" or "staffing"
    files_folder: str
    data_points: int = 0  # finite points the figure draws (0: an empty chart)


def _headline_list(lines: list[Headline]) -> str:
    items = []
    for line in lines:
        badge = ""
        if line.verdict is not None:
            css = line.verdict.replace(" ", "-")
            badge = f' <span class="verdict {css}">target {escape(line.verdict)}</span>'
        items.append(f"<li>{escape(line.text)}{badge}</li>")
    return f'<ul class="headlines">{"".join(items)}</ul>'


def _figure(figure: FigureHtml) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    stem = escape(figure.stem)
    return (
        f'<figure id="fig-{stem}"><h3>{escape(figure.heading)}</h3>'
        f'<img alt="{escape(figure.heading)}" data-points="{figure.data_points}" '
        f'src="data:image/png;base64,{data}">'
        f"<figcaption>{escape(figure.caption)} "
        f'<span class="files">Files: {figure.files_folder}/{stem}.png and .svg</span>'
        "</figcaption></figure>"
    )


def report_title(output: OutputFolder) -> str:
    if output.comparison is not None:
        comparison = output.comparison
        return f"{', '.join(comparison.others)} against {comparison.base}"
    if output.run is not None:
        prefix = "staffing plan for " if output.staffing_plan is not None else ""
        sensitivity = output.sensitivity is not None or output.sobol is not None
        prefix = "sensitivity of " if sensitivity else prefix
        return prefix + output.run.scenario_name
    return f"sweep ({output.path.name})"


def _window_words(run: RunFacts) -> str:
    launch = (
        f"the launch after {run.launch_after_days:g} measured days"
        if run.diversion
        else "no diversion scheme"
    )
    return f"{run.years:g} measured year(s) after a {run.warmup_days:g}-day warm-up, with {launch}"


def _intro(output: OutputFolder) -> str:
    manifest = output.manifest or {}
    run = output.run
    parts = [f"<h1>Drug diversion simulation: {escape(report_title(output))}</h1>"]
    facts = []
    if output.comparison is not None:
        comparison = output.comparison
        diverting = [f for f in comparison.scenarios.values() if f.diversion]
        base = (diverting or [comparison.scenarios[comparison.base]])[0]
        items = "".join(
            f"<li><strong>{escape(name)}</strong>{' (the base)' if name == comparison.base else ''}"
            f": {escape(facts_.description)}</li>"
            for name, facts_ in comparison.scenarios.items()
        )
        parts.append(
            '<p class="lead">Every scenario ran on the same random numbers as the base, so '
            "the same finds and people recur wherever the rules allow, and the differences "
            f"are paired replication by replication.</p><ul>{items}</ul>"
        )
        facts.append(
            f"{manifest.get('replications', '?')} replications of each scenario over "
            f"{_window_words(base)}, seed {manifest.get('seed', '?')}"
        )
    elif run is not None:
        if run.description:
            parts.append(f'<p class="lead">{escape(run.description)}</p>')
        replications = manifest.get(
            "replications",
            manifest.get("replications_per_cell", manifest.get("replications_per_point", "?")),
        )
        each = " in each cell" if output.sensitivity is not None else ""
        uncertainty = manifest.get("uncertainty")
        if output.forecast is not None and isinstance(uncertainty, dict):
            each = f" of each of {uncertainty.get('sets', '?')} parameter sets"
        each = " at each point" if output.sobol is not None else each
        facts.append(
            f"{replications} replications{each} of {_window_words(run)}, "
            f"seed {manifest.get('seed', '?')}"
        )
    if "finished" in manifest:
        facts.append(f"run finished {manifest['finished']}")
    facts.append(
        f"report made {utc_now()} by simdivert {__version__} from folder {output.path.name}"
    )
    parts.append(f'<p class="meta">{escape("; ".join(facts))}.</p>')
    return "\n".join(parts)


def _headline_section(output: OutputFolder, sensitivity_kpis: list[str]) -> Section | None:
    blocks: list[str] = []
    if output.summary is not None and output.run is not None:
        lines = headlines(output.summary, output.run.targets, output.run.diversion)
        if lines:
            blocks.append(_headline_list(lines))
    if output.comparison is not None:
        comparison = output.comparison
        lines = comparison_headlines(comparison)
        for scenario in comparison.others:
            mine = [line for line in lines if line.scenario == scenario]
            if mine:
                blocks.append(
                    f"<h3>{escape(scenario)} against {escape(comparison.base)}</h3>"
                    + _headline_list(mine)
                )
    if output.sensitivity is not None:
        lines = sensitivity_headlines(output.sensitivity.one_at_a_time, sensitivity_kpis)
        if lines:
            blocks.append(_headline_list(lines))
    if output.sobol is not None:
        lines = sobol_headlines(output.sobol)
        if lines:
            blocks.append(_headline_list(lines))
    if output.sweep is not None:
        lines = sweep_headlines(output.sweep)
        if lines:
            blocks.append(_headline_list(lines))
    if not blocks and output.staffing_plan is not None:
        return None
    body = "".join(blocks) or "<p>This folder holds no headline KPIs.</p>"
    return Section(
        "headline",
        "Headline results",
        "<p>Means over the replications. Each comes with its 95% confidence interval (CI): "
        "how precisely the replications pin the figure down. Referrals, waits, costs and "
        "police hours saved are over the policy period (from the launch, after the "
        "warm-up); rates are per year of it.</p>" + body,
    )


def _figures_section(
    anchor: str, title: str, figures: list[FigureHtml], note: str = ""
) -> Section | None:
    if not figures and not note:
        return None
    note_html = f'<p class="note">{escape(note)}</p>' if note else ""
    return Section(anchor, title, note_html + "".join(_figure(f) for f in figures))


def _assumptions_section(output: OutputFolder) -> Section | None:
    if output.comparison is not None:
        return _differences_section(output.comparison)
    if output.run is None:
        return None
    sources = (output.manifest or {}).get("value_sources")
    rows = []
    for key, label, kind in KEY_ASSUMPTIONS:
        value = assumption_value(output.run.scenario, key, kind)
        if value is not None:
            row = [escape(label), escape(value), f"<code>{escape(key)}</code>"]
            if isinstance(sources, dict):
                row.append(escape(SOURCE_WORDS.get(sources.get(key, ""), "not said")))
            rows.append(row)
    header = ["assumption", "value", "scenario key"]
    if isinstance(sources, dict):
        header.append("source")
        note = (
            "The source of each value: <em>published</em> or <em>assumption</em> as the "
            "scenario file's comment beside it says, or <em>--set</em> on the command line."
        )
    else:
        note = "The scenario file says which values are published and which are assumptions."
    return Section(
        "assumptions",
        "Key assumptions",
        "<p>The scenario as resolved for this run (after <code>extends</code> and "
        f"<code>--set</code>). Every parameter is in the manifest at the end. {note}</p>"
        + table(header, rows, numeric_from=len(header), html_cells=True),
    )


SOURCE_WORDS = {"published": "published", "assumption": "assumption", "override": "--set"}


LIST_FORMATS = {key: kind for key, _, kind in KEY_ASSUMPTIONS if kind in ("areas", "staffing")}


def _words(key: str, value: Any) -> str:
    """A scenario value as a person reads it in a table cell: lists of tables (areas,
    staffing changes) summarised as the assumptions table writes them, never as JSON."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        if key in LIST_FORMATS:
            return assumption_value({key: value}, key, LIST_FORMATS[key]) or "–"
        names = [str(v.get("name", v.get("label", ""))) for v in value]
        return f"{len(value)} entries" + (f": {', '.join(names)}" if all(names) else "")
    if isinstance(value, list):
        return ", ".join(_words(key, v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    return (
        value
        if isinstance(value, str)
        else format_value(value)
        if isinstance(value, float)
        else str(value)
    )


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A resolved scenario as dotted keys and their values written as text."""
    if isinstance(value, dict):
        flat: dict[str, str] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: _words(prefix, value)}


def _differences_section(comparison: Comparison) -> Section:
    """The parameters that differ between the scenarios compared, side by side."""
    flat = {name: _flatten(facts.scenario) for name, facts in comparison.scenarios.items()}
    keys = dict.fromkeys(k for values in flat.values() for k in values)
    rows = [
        [
            f"<code>{escape(key)}</code>",
            *(escape(flat[name].get(key, "–")) for name in comparison.names),
        ]
        for key in keys
        if key not in ("name", "description")
        and len({flat[name].get(key) for name in comparison.names}) > 1
    ]
    body = (
        table(
            ["scenario key", *comparison.names],
            rows,
            numeric_from=len(comparison.names) + 1,
            html_cells=True,
        )
        if rows
        else "<p>The scenarios have the same parameters.</p>"
    )
    return Section(
        "assumptions",
        "What differs between the scenarios",
        "<p>The parameters whose resolved values differ (after <code>extends</code> and "
        "<code>--set</code>); everything else is the same in every scenario. Each scenario "
        "in full is in the manifest at the end.</p>" + body,
    )


def _kpi_section(output: OutputFolder) -> Section | None:
    if output.summary is not None:
        rows = [
            [
                kpi_name(str(row.kpi)),
                *(
                    escape(v)
                    for v in kpi_values(
                        row.mean, row.ci_low, row.ci_high, str(getattr(row, "unit", "") or "")
                    )
                ),
            ]
            for row in output.summary.itertuples()
        ]
        return Section(
            "kpis",
            "All KPIs",
            "<p>From <code>summary.csv</code>: mean and 95% t-interval over replications "
            "(shares in percent); <code>_y0</code> is the year before the launch, "
            "<code>_y1</code>, <code>_y2</code>... the policy years.</p>"
            + table(["KPI", "mean", "95% CI", "unit"], rows, html_cells=True),
        )
    if output.comparison is not None:
        compared = output.comparison.table
        rows = []
        for row in compared.itertuples():
            unit = kpi_unit(str(row.kpi))
            mean, interval, _ = kpi_values(row.mean, row.ci_low, row.ci_high, unit)
            diff, diff_interval, _ = kpi_values(
                row.diff_mean, row.diff_ci_low, row.diff_ci_high, unit
            )
            rows.append(
                [
                    kpi_name(str(row.kpi)),
                    escape(str(row.scenario)),
                    f'{escape(mean)}<br><span class="ci">{escape(interval)}</span>',
                    f'{escape(diff)}<br><span class="ci">{escape(diff_interval)}</span>',
                ]
            )
        return Section(
            "kpis",
            "All KPIs",
            "<p>From <code>comparison.csv</code>: each scenario's mean and 95% CI, and its "
            f"paired difference from {escape(output.comparison.base)} with its 95% CI.</p>"
            "<details><summary>Every KPI of every scenario</summary>"
            + table(
                ["KPI", "scenario", "mean (95% CI)", "difference (95% CI)"],
                rows,
                numeric_from=2,
                html_cells=True,
            )
            + "</details>",
        )
    return None


def _kpi_words(kpi: object) -> str:
    if not isinstance(kpi, str):
        return ""
    return kpi.replace("_wait_so_far_p90_days", " P90").replace("_", " ")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _share(value: float) -> str:
    return "" if _missing(value) else f"{value:.0%}"


def _staffing_section(output: OutputFolder, figures: list[FigureHtml]) -> Section | None:
    plan = output.staffing_plan
    if plan is None:
        return None
    if "kpi_quantile" not in plan.columns:  # a plan made before the quantile test
        plan = plan.assign(bound=math.nan, quantile=math.nan, share_missed=math.nan)
        plan["kpi_quantile"] = plan.get("kpi_mean", math.nan)
    quantile = float(plan["quantile"].iloc[0]) if len(plan) else math.nan
    tested = f"P{quantile * 100:g} of replications" if not math.isnan(quantile) else "mean"
    rows = [
        [
            str(row.period) + (" (surge)" if getattr(row, "surge", False) is True else ""),
            str(row.role).replace("sessions_per_week_", "sessions a week, "),
            f"{row.headcount:g}",
            _kpi_words(row.kpi),
            "" if _missing(row.bound) else f"{row.bound:g}",
            format_value(row.kpi_quantile),
            _share(row.share_missed),
        ]
        for row in plan.itertuples()
    ]
    targets = (output.manifest or {}).get("targets", [])
    html = (
        "<p>From <code>staffing_plan.csv</code>: per period, the fewest drug workers, "
        "sessions a week per stream and facilitators that meet the targets "
        f"({escape(', '.join(map(str, targets)) or 'as given')}). The statistic tested is "
        f"the {escape(tested)} of each P90 wait so far (waits still open at the end "
        "counted); <em>over target</em> is the share of replications whose P90 misses it. "
        "<code>staffing_plan.toml</code> runs the plan.</p>"
        + table(
            ["period", "role", "staff", "KPI", "target", tested, "over target"],
            rows,
            numeric_from=2,
        )
    )
    check, costs = output.staffing_check, output.staffing_costs
    if check is not None:
        cost = (
            dict(zip(costs["period"], costs["cost_per_year"], strict=True))
            if costs is not None
            else {}
        )
        check_rows = [
            [
                str(row.period),
                _kpi_words(row.kpi),
                f"{row.bound:g}",
                format_value(row.kpi_quantile),
                _share(row.share_missed),
                "yes" if row.meets else "no",
                f"£{cost[row.period]:,.0f}" if row.period in cost else "",
            ]
            for row in check.itertuples()
        ]
        html += (
            "<h3>Checked on fresh replications</h3><p>From <code>staffing_check.csv</code>: "
            "the plan run as <code>staffing_plan.toml</code> holds it, on replications the "
            "search never saw, judged by the same statistic.</p>"
            + table(
                ["period", "KPI", "target", tested, "over target", "meets", "cost a year"],
                check_rows,
                numeric_from=2,
            )
        )
    html += "".join(_figure(figure) for figure in figures)
    return Section("staffing", "Staffing plan", html)


MANIFEST_FACTS = (
    ("scenario_source", "scenario file"),
    ("scenario_sources", "scenario files"),
    ("overrides", "overrides (--set)"),
    ("targets", "targets"),
    ("command", "command"),
    ("seed", "seed"),
    ("replications", "replications"),
    ("workers", "worker processes"),
    ("started", "started (UTC)"),
    ("finished", "finished (UTC)"),
)


def _manifest_section(output: OutputFolder) -> Section | None:
    manifest = output.manifest
    if manifest is None:
        return None
    rows = []
    for key, label in MANIFEST_FACTS:
        if key in manifest:
            value = manifest[key]
            rows.append(
                [label, ", ".join(map(str, value)) if isinstance(value, list) else str(value)]
            )
    versions = manifest.get("versions", {})
    if isinstance(versions, dict) and versions:
        rows.append(["versions", ", ".join(f"{k} {v}" for k, v in versions.items())])
    full = escape(json.dumps(manifest, indent=2, default=str))
    return Section(
        "manifest",
        "Manifest",
        table(["", ""], rows, numeric_from=2)
        + f"<details><summary>The whole manifest (manifest.json)</summary><pre>{full}</pre>"
        "</details>",
    )


def render_html(
    output: OutputFolder, figures: list[FigureHtml], sensitivity_kpis: Sequence[str] = ()
) -> str:
    """The whole report page of an output folder (``sensitivity_kpis``: those its
    sensitivity section shows)."""
    by_section: dict[str, list[FigureHtml]] = {
        "forecast": [],
        "run": [],
        "comparison": [],
        "sweep": [],
        "sensitivity": [],
        "staffing": [],
    }
    for figure in figures:
        by_section[figure.section].append(figure)
    events_note = ""
    if output.is_run and output.events_path is None and output.run and output.run.diversion:
        events_note = (
            "Waiting-time distributions need the event log, which this run did not keep: "
            "rerun with --events (or --report)."
        )
    candidates = (
        _headline_section(output, list(sensitivity_kpis)),
        forecast_section(output, "".join(_figure(f) for f in by_section["forecast"])),
        league_section(output),
        _staffing_section(output, by_section["staffing"]),
        _figures_section("figures", "Figures", by_section["run"], events_note),
        areas_section(output),
        _figures_section("comparison", "Scenario comparison", by_section["comparison"]),
        _figures_section("sweep", "Sweep", by_section["sweep"]),
        sweep_cells_section(output),
        _figures_section("tornado", "Sensitivity", by_section["sensitivity"]),
        sensitivity_section(output, list(sensitivity_kpis)),
        sobol_section(output),
        _assumptions_section(output),
        _kpi_section(output),
        _manifest_section(output),
    )
    sections = [s for s in candidates if s is not None]
    contents = " · ".join(f'<a href="#{s.anchor}">{escape(s.title)}</a>' for s in sections)
    body = "\n".join(
        [_intro(output), f'<nav class="contents">{contents}</nav>', *(s.html() for s in sections)]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>simdivert report: {escape(report_title(output))}</title>"
        f"<style>{STYLESHEET}</style></head>\n<body><main>\n{body}\n</main></body></html>\n"
    )
