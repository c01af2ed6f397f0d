"""One self-contained HTML report of an output folder, made from its files alone.

``report.html`` embeds every figure as a base64 PNG and its styles inline, so it opens
from the file system with no network. Each figure is also written as PNG and SVG under
``figures/`` for use in documents. Both are written under temporary names and renamed
into place, so an interrupted report never leaves a half-written file, and nothing
else in the folder is touched.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from simdivert import comparison_plots, plots
from simdivert.headlines import kpi_label, pick_kpis
from simdivert.output_readers import (
    WAIT_STAGES,
    OutputFolder,
    group_share_rows,
    outcome_rows,
    read_output_folder,
    read_stage_waits,
)
from simdivert.report_html import FigureHtml, render_html

REPORT = "report.html"
FIGURES = "figures"
SWEEP_CHARTS = 4


@dataclass(frozen=True)
class FigureSpec:
    """A figure the folder's files can make: its file stem, heading, caption and builder."""

    stem: str
    heading: str
    caption: str
    build: Callable[[], Figure]
    section: str = "run"


def _estimate(summary: pd.DataFrame, kpi: str) -> tuple[float, float, float] | None:
    rows = summary[summary["kpi"] == kpi]
    if rows.empty or pd.isna(rows["mean"].iloc[0]):
        return None
    row = rows.iloc[0]
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])


def run_figures(output: OutputFolder) -> list[FigureSpec]:
    """The figures of a run that its files can make."""
    specs: list[FigureSpec] = []
    run, summary, timeseries = output.run, output.summary, output.timeseries
    reps = (output.manifest or {}).get("replications", "all")
    if timeseries is not None and run is not None:
        uplift = _estimate(summary, "recording_uplift") if summary is not None else None
        specs.append(
            FigureSpec(
                "referrals_per_week",
                "Referrals per week",
                f"People referred each week: the median over {reps} replications and the band "
                "holding 90% of them. The grey band is the warm-up, simulated but not "
                "measured; the last, partial week is left out. The dashed line is the level "
                "referrals would have had if only finds recorded before the policy were "
                "referred (from the recording-uplift KPI).",
                lambda: plots.referrals_per_week(timeseries, run, uplift),
            )
        )
        specs.append(
            FigureSpec(
                "queue_fan_chart",
                "People waiting at each stage",
                "Time-average number of people waiting at each stage in each week: median "
                f"over {reps} replications and the band holding 90% of them. Each panel has "
                "its own scale.",
                lambda: plots.queue_fan_chart(timeseries, run),
            )
        )
    waits = read_stage_waits(output.events_path, run) if output.events_path and run else None
    if waits is not None and not waits.empty:
        targets = run.targets.model_dump()
        stage_targets = {
            stage: targets[f"{stage}_wait_p90_days"]
            for stage in WAIT_STAGES
            if f"{stage}_wait_p90_days" in targets
        }
        specs.append(
            FigureSpec(
                "waiting_times",
                "Waiting times against targets",
                "Waits of the people referred in the measured period, all replications "
                "together (from the event log). The dashed line marks the wait that 9 in 10 "
                "people do not exceed; the red line the scenario's target, with the share "
                "of people within it.",
                lambda: plots.waiting_time_distributions(waits, stage_targets),
            )
        )
    if summary is not None:
        police = run.scenario.get("police", {}) if run is not None else {}
        specs.extend(_summary_figures(summary, police.get("published_hours_per_arrest")))
    return specs


def _summary_figures(summary: pd.DataFrame, hours_per_arrest: float | None) -> list[FigureSpec]:
    kpis = set(summary.loc[summary["mean"].notna(), "kpi"])  # defined in this run
    specs = []
    if set(plots.PATHWAY_OUTCOMES) & kpis:
        specs.append(
            FigureSpec(
                "pathway_outcomes",
                "What happened to the people referred",
                "Where the people referred in the measured period had got to when the run "
                "ended: mean over replications with 95% CIs.",
                lambda: plots.pathway_outcomes(summary),
            )
        )
    if {"police_hours_saved_published_per_year", "police_hours_saved_adjusted_per_year"} & kpis:
        specs.append(
            FigureSpec(
                "police_hours_saved",
                "Police hours saved",
                "The published method counts every referral as an arrest avoided"
                + (f" ({hours_per_arrest:g} officer hours each)" if hours_per_arrest else "")
                + ". The adjusted method counts the officer time of the outcome each find "
                "would otherwise have had (for finds recorded only because of the policy, the "
                "informal word they would have had), less the time of the app referral. "
                "Means with 95% CIs.",
                lambda: plots.police_hours_saved(summary),
            )
        )
    if set(plots.ROLE_UTILISATION) & kpis:
        specs.append(
            FigureSpec(
                "utilisation_by_role",
                "Staff utilisation",
                "Share of each role's working time spent on the work over the measured "
                "period: means with 95% CIs.",
                lambda: plots.utilisation_by_role(summary),
            )
        )
    return specs


def comparison_figures(output: OutputFolder) -> list[FigureSpec]:
    comparison = output.comparison
    if comparison is None:
        return []
    specs = [
        FigureSpec(
            "comparison_forest",
            "Scenario comparison",
            "Each scenario's difference from the baseline, paired replication by "
            "replication on common random numbers, with its 95% CI. A filled marker: the "
            "interval excludes zero; hollow: the difference is within the noise.",
            lambda: comparison_plots.comparison_forest(comparison),
            "comparison",
        )
    ]
    if not outcome_rows(comparison).empty:
        specs.append(
            FigureSpec(
                "formal_outcomes",
                "Police outcomes against the status quo",
                "Outcomes a year for possession finds in each scenario, means with 95% CIs; "
                "the percentages are each scenario's change from the baseline.",
                lambda: comparison_plots.formal_outcomes(comparison),
                "comparison",
            )
        )
    if not group_share_rows(comparison).empty:
        specs.append(
            FigureSpec(
                "formal_outcome_share_by_group",
                "Formal-outcome share by group",
                "The share of each group's possession finds that end in a formal outcome, "
                "per scenario, with 95% CIs: a gap between groups is disproportionality.",
                lambda: comparison_plots.formal_outcome_shares(comparison),
                "comparison",
            )
        )
    return specs


def sweep_figures(output: OutputFolder) -> list[FigureSpec]:
    sweep = output.sweep
    if sweep is None:
        return []
    return [
        FigureSpec(
            f"sweep_{kpi}",
            f"Sweep: {kpi_label(kpi)}",
            f"The mean of {kpi_label(kpi)} in each cell of the sweep over "
            f"{', '.join(sweep.parameters)}, with its 95% CI where there is room.",
            lambda kpi=kpi: comparison_plots.sweep_chart(sweep, kpi),
            "sweep",
        )
        for kpi in pick_kpis(sweep.table["kpi"], SWEEP_CHARTS)
    ]


def render_figures(specs: list[FigureSpec], folder: Path) -> list[FigureHtml]:
    """Draw each figure, save it as PNG and SVG in ``folder``, keep the PNG to embed."""
    folder.mkdir(parents=True, exist_ok=True)
    rendered = []
    for spec in specs:
        paths = plots.save_figure(spec.build(), folder, spec.stem)
        png = paths["png"].read_bytes()
        rendered.append(
            FigureHtml(spec.stem, spec.heading, spec.caption, png, spec.section, FIGURES)
        )
    return rendered


# --- Writing --------------------------------------------------------------------------


def _swap_in(new: Path, target: Path) -> None:
    """Put ``new`` at ``target`` by renames; an old ``target`` is removed only afterwards."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.is_dir():
        shutil.rmtree(old)
    elif old.exists():
        old.unlink()


def write_report(folder: Path) -> Path:
    """Write ``report.html`` and ``figures/`` into an output folder; returns the report's path.

    Everything is drawn into a hidden staging folder first and renamed into place.
    """
    output = read_output_folder(folder)
    staging = folder / f".report.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        specs = run_figures(output) + comparison_figures(output) + sweep_figures(output)
        figures = render_figures(specs, staging / FIGURES)
        (staging / REPORT).write_text(render_html(output, figures), encoding="utf-8")
        _swap_in(staging / FIGURES, folder / FIGURES)
        _swap_in(staging / REPORT, folder / REPORT)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder / REPORT
