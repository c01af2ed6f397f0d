"""One self-contained HTML report of an output folder, made from its files alone.

``report.html`` embeds every figure as a base64 PNG and its styles inline, so it opens
from the file system with no network. Each figure is also written as PNG and SVG under
``figures/`` for use in documents. Both are written under temporary names and renamed
into place, so an interrupted report never leaves a half-written file, and nothing
else in the folder is touched.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from simdivert.kpis import (
    FOREST_KPIS,
    kpi_label,
    latest_policy_year,
    year_words,
    years_of,
)
from simdivert.outputs.readers import (
    Comparison,
    OutputFolder,
    RunFacts,
    group_share_rows,
    outcome_rows,
    read_output_folder,
    read_stage_waits,
    run_estimates,
)
from simdivert.reporting import (
    comparison_plots,
    fan_charts,
    outcome_plots,
    plots,
    sensitivity_plots,
    sobol_plots,
    staffing_plots,
    sweep_plots,
)
from simdivert.reporting.headlines import pick_kpis
from simdivert.reporting.html import FigureHtml, render_html
from simdivert.reporting.sweep_design import sweep_caption, sweep_design
from simdivert.waits import STAGES as WAIT_STAGES

REPORT = "report.html"
FIGURES = "figures"
SWEEP_CHARTS = 4
FOREST_PANELS = 8


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


def _launch_words(run: RunFacts) -> str:
    text = "The red line marks the launch of the scheme"
    go_lives = run.go_live_weeks()
    if go_lives:
        text += (
            "; dotted red lines, when further areas go live ("
            + "; ".join(f"{', '.join(areas)} in week {weeks:.0f}" for weeks, areas in go_lives)
            + ")"
        )
    return text + "."


def run_figures(output: OutputFolder) -> list[FigureSpec]:
    """The figures of a run that its files can make."""
    specs: list[FigureSpec] = []
    run, summary, timeseries = output.run, output.summary, output.timeseries
    reps = (output.manifest or {}).get("replications", "all")
    diverting = run is not None and run.diversion
    if timeseries is not None and run is not None and diverting:
        specs.append(
            FigureSpec(
                "referrals_per_week",
                "Referrals per week",
                f"People referred each week: the blue line is the median over {reps} "
                "replications and the light blue band holds 90% of them. The grey band is "
                "the warm-up, simulated but not measured; the last, partial week is left "
                f"out. {_launch_words(run)}",
                lambda: plots.referrals_per_week(timeseries, run),
            )
        )
        specs.append(
            FigureSpec(
                "queue_fan_chart",
                "People waiting at each stage",
                "Time-average number of people waiting at each stage in each week: in each "
                f"stage's colour, the line is the median over {reps} replications and the "
                "lighter band holds 90% of them; the grey band is the warm-up. Each panel has "
                f"its own scale. {_launch_words(run)}",
                lambda: plots.queue_fan_chart(timeseries, run),
            )
        )
    waits = read_stage_waits(output.events_path, run) if output.events_path and run else None
    if run is not None and waits is not None and not waits.empty:
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
                "Waits of the people referred from the launch on (after the warm-up), all "
                "replications together, from the event log: the same people and waits as "
                "the wait KPIs. The dashed line marks the wait that 9 in 10 people do not "
                "exceed; the red line the scenario's target, with the share of people "
                "within it.",
                lambda: plots.waiting_time_distributions(waits, stage_targets),
            )
        )
    if output.utilisation is not None and run is not None and diverting:
        utilisation = output.utilisation
        means = {
            role: _estimate(summary, kpi)
            for role, kpi in plots.ROLE_KPIS.items()
            if summary is not None and _estimate(summary, kpi) is not None
        }
        specs.append(
            FigureSpec(
                "utilisation_over_time",
                "Staff utilisation over time",
                "Each week, the share of each role's available hours spent on the work "
                "(utilisation.csv): drug workers' on-duty hours on client calls, "
                "facilitators' contracted hours running and preparing sessions. The blue "
                "(drug workers) and green (facilitators) lines are the medians over "
                f"{reps} replications and the lighter bands hold 90% of them; the dotted "
                "black level is the mean over the policy period (summary.csv); the grey band "
                f"is the warm-up. {_launch_words(run)}",
                lambda: plots.utilisation_over_time(utilisation, run, means),
            )
        )
    if summary is not None and run is not None:
        specs.extend(_summary_figures(summary, run))
    return specs


def _uplift_words(summary: pd.DataFrame) -> str:
    """The recording uplift, for the figure of recorded offences: finds that would have
    had an informal word are recorded (and referred) under the policy."""
    uplift = _estimate(summary, "recording_uplift")
    if uplift is None:
        return ""
    mean, low, high = uplift
    interval = "" if pd.isna(low) else f" (95% CI {low:+.1%} to {high:+.1%})"
    return (
        f" Recording uplift {mean:+.1%}{interval}: the share by which recorded possession "
        "offences rise under the policy, on the same finds, as finds that would have had an "
        "informal word are recorded and referred."
    )


def _police_hours_caption(hours_per_arrest: float | None, simulated: str = "") -> str:
    return (
        "The published method counts every referral as an arrest avoided"
        + (f" ({hours_per_arrest:g} officer hours each)" if hours_per_arrest else "")
        + ". The adjusted method counts the officer time of the outcome each find would "
        "otherwise have had (for finds recorded only because of the policy, the informal "
        "word they would have had), less the time of the app referral and any later "
        f"prosecution.{simulated} Means a year over the policy period, with 95% CIs."
    )


def _summary_figures(summary: pd.DataFrame, run: RunFacts) -> list[FigureSpec]:
    kpis = set(summary.loc[summary["mean"].notna(), "kpi"])  # defined in this run
    specs = []
    if set(plots.PATHWAY_OUTCOMES) & kpis:
        specs.append(
            FigureSpec(
                "pathway_outcomes",
                "What happened to the people referred",
                "Where the people referred from the launch on had got to when the run "
                "ended: mean over replications with 95% CIs.",
                lambda: plots.pathway_outcomes(summary),
            )
        )
    hours = police_hours_estimates(summary, run.scenario_name)
    if run.diversion and not hours.empty:  # no scheme: nothing saved
        per_arrest = run.scenario.get("police", {}).get("published_hours_per_arrest")
        specs.append(
            FigureSpec(
                "police_hours_saved",
                "Police hours saved",
                _police_hours_caption(per_arrest),
                lambda: plots.police_hours_saved(hours),
            )
        )
    estimates = run_estimates(summary, run.scenario_name)
    outcomes = outcome_rows(estimates[estimates["mean"].notna()])
    if not outcomes.empty:
        specs.append(
            FigureSpec(
                "formal_outcomes",
                "Police outcomes year by year",
                "Outcomes a year of recorded possession finds, each year of the run around "
                "the launch, means with 95% CIs. This run alone: the change from the year "
                "before the launch includes any trend in finds; compare the scheme with "
                "status_quo (simdivert compare) for its effect on the same finds."
                + _uplift_words(summary),
                lambda: comparison_plots.formal_outcomes(outcomes, run.scenario_name),
            )
        )
    specs.extend(_downstream_figures(summary, kpis))
    shares = group_share_rows(estimates[estimates["mean"].notna()])
    years = list(dict.fromkeys(shares["year"]))
    if years:
        shown = [y for y in (years[0], years[-1]) if y]  # before the launch and the last year
        shown = list(dict.fromkeys(shown)) or [""]
        rows = shares[shares["year"].isin(shown)].assign(series=lambda t: t["year"])
        specs.append(
            FigureSpec(
                "formal_outcome_share_by_group",
                "Formal-outcome share by group",
                "The share of each group's recorded possession finds that end in a formal "
                "outcome (charge, caution, penalty notice), with 95% CIs: a gap between "
                "groups is disproportionality.",
                lambda: comparison_plots.formal_outcome_shares(rows, shown, shown[0]),
            )
        )
    return specs


def _downstream_figures(summary: pd.DataFrame, kpis: set[str]) -> list[FigureSpec]:
    """Reoffending by arm (12 months, and 24 where the run follows people that long) and
    the relative rate index at each stage."""
    specs = []
    for months in (24, 12):
        if f"reoffending_{months}_months_completed" in kpis:
            specs.append(
                FigureSpec(
                    "reoffending_by_arm",
                    "Reoffending with and without the scheme",
                    f"The share of people with a recorded offence within {months} months of "
                    "their first find since the launch, by what that find led to, against the "
                    "same people without the scheme (the same random numbers: the status-quo "
                    "arm of a trial), means with 95% CIs. Only people followed for the whole "
                    f"{months} months are counted.",
                    functools.partial(outcome_plots.reoffending_by_arm, summary, months),
                )
            )
            break
    if "rri_formal_black" in kpis:
        years = outcome_plots.rri_years(summary)
        specs.append(
            FigureSpec(
                "rri_by_stage",
                "Disproportionality at each stage",
                "The relative rate index of each ethnic group against white people at each "
                "stage: searches per head of the force area's population, finds per search, "
                "recorded offences per possession find, diversions and formal outcomes per "
                "recorded offence; 1 means the same rate as white people. Dashed: the year "
                "before the launch; solid: the last policy year; 95% CIs.",
                functools.partial(outcome_plots.rri_by_stage, summary, years),
            )
        )
    return specs


POLICE_HOURS_KPIS = {
    "published": "police_hours_saved_published_per_year",
    "adjusted": "police_hours_saved_adjusted_per_year",
}


def police_hours_estimates(
    estimates: pd.DataFrame, scenario: str, simulated: pd.Series | None = None
) -> pd.DataFrame:
    """Police hours saved by each method, for one scenario: scenario, method, mean, CI."""
    rows = []
    for method, kpi in POLICE_HOURS_KPIS.items():
        found = estimates[estimates["kpi"] == kpi]
        if not found.empty and not pd.isna(found["mean"].iloc[0]):
            row = found.iloc[0]
            rows.append({"method": method, **{c: row[c] for c in ("mean", "ci_low", "ci_high")}})
    if rows and simulated is not None:
        rows.append(
            {"method": "simulated", **{c: simulated[c] for c in ("mean", "ci_low", "ci_high")}}
        )
    return pd.DataFrame(rows, columns=["method", "mean", "ci_low", "ci_high"]).assign(
        scenario=scenario
    )


def forest_kpis(comparison: Comparison) -> list[str]:
    """The headline KPIs with a paired difference for some scenario, per-year ones in
    their last whole policy year."""
    table = comparison.table
    kpis = set(table["kpi"])
    defined = set(
        table.loc[table["scenario"].isin(comparison.others) & table["diff_mean"].notna(), "kpi"]
    )
    chosen = [latest_policy_year(kpis, family) for family in FOREST_KPIS]
    return [k for k in chosen if k in defined][:FOREST_PANELS]


def forecast_figures(output: OutputFolder) -> list[FigureSpec]:
    """A forecast with uncertainty's fan chart (none for a run without uncertainty)."""
    data = fan_charts.forecast_figure_data(output)
    if data is None:
        return []
    monthly, cumulative = data
    return [
        FigureSpec(
            "forecast_fan_chart",
            "Forecast fan chart",
            "Over every parameter set x replication: the line is the median, the dark band "
            "holds the middle 50% of the runs and the light band 90% (the 90% prediction "
            "interval). Left, referrals a month after the launch (each whole month's weekly "
            "referrals, scaled to a month); right, referrals and completions since the "
            "launch at the months counted (summary.csv's referrals_by_month_*).",
            lambda: fan_charts.forecast_fan_chart(monthly, cumulative),
            section="forecast",
        )
    ]


def comparison_figures(output: OutputFolder) -> list[FigureSpec]:
    comparison = output.comparison
    if comparison is None:
        return []
    base = comparison.base
    specs = []
    kpis = forest_kpis(comparison)
    if kpis:
        specs.append(
            FigureSpec(
                "comparison_forest",
                f"Paired differences from {base}",
                f"Each scenario's difference from {base}, paired replication by replication "
                "on common random numbers (the same finds and people), written above its "
                "marker, with its 95% CI; each tick below is one replication's difference. A "
                "filled marker: the interval excludes zero; hollow: the difference is within "
                "the noise. KPIs counted per year are shown in the last whole policy year; "
                "waits and shares over the policy period. KPIs undefined under the base (no "
                "referrals) have no difference and no panel.",
                lambda: comparison_plots.comparison_forest(comparison, kpis),
                "comparison",
            )
        )
    outcomes = outcome_rows(comparison.table)
    if not outcomes.empty:
        specs.append(
            FigureSpec(
                "formal_outcomes",
                f"Police outcomes against {base}",
                f"Outcomes a year of recorded possession finds in each scenario, each year "
                f"around the launch, means with 95% CIs, all panels on one scale; the "
                f"percentages are each scenario's change from {base} in the same year, on "
                f"the same finds (any that would overlap another are left out).",
                lambda: comparison_plots.formal_outcomes(outcomes, base),
                "comparison",
            )
        )
    shares = group_share_rows(comparison.table)
    if not shares.empty:
        year = list(dict.fromkeys(shares["year"]))[-1]
        rows = shares[shares["year"] == year].assign(series=lambda t: t["scenario"])
        specs.append(
            FigureSpec(
                "formal_outcome_share_by_group",
                "Formal-outcome share by group",
                "The share of each group's recorded possession finds that end in a formal "
                "outcome (charge, caution, penalty notice), per scenario, with 95% CIs, in "
                f"{year_words(year)}: a gap between groups is disproportionality.",
                lambda: comparison_plots.formal_outcome_shares(rows, comparison.names, base),
                "comparison",
            )
        )
    simulated = comparison.police_hours_saved_simulated().set_index("scenario")
    hours = pd.concat(
        [
            police_hours_estimates(
                comparison.table[comparison.table["scenario"] == scenario],
                scenario,
                simulated.loc[scenario] if scenario in simulated.index else None,
            )
            for scenario in comparison.others
        ],
        ignore_index=True,
    )
    if not hours.empty:
        police = comparison.scenarios[comparison.others[0]].scenario.get("police", {})
        years = years_of(comparison.replications.columns, "police_hours_per_year")
        note = (
            f" Simulated: all officer hours on possession finds under {base} less under the "
            "scenario, on the same finds, a year over the policy years "
            f"({', '.join(y for y in years if y != 'y0')}); it also counts finds not "
            "diverted, later prosecutions and repeat finds the scheme changes."
            if not simulated.empty
            else " The simulated difference needs a whole policy year in the run."
        )
        specs.append(
            FigureSpec(
                "police_hours_saved",
                "Police hours saved",
                _police_hours_caption(police.get("published_hours_per_arrest"), note),
                lambda: plots.police_hours_saved(hours, base),
                "comparison",
            )
        )
    return specs


def sweep_figures(output: OutputFolder) -> list[FigureSpec]:
    sweep = output.sweep
    if sweep is None:
        return []
    design = sweep_design(sweep)
    return [
        FigureSpec(
            f"sweep_{kpi}",
            f"Sweep: {kpi_label(kpi)}",
            f"The mean of {kpi_label(kpi)} in each cell of the sweep, with its 95% CI "
            f"({sweep_caption(design)}).",
            functools.partial(sweep_plots.sweep_chart, sweep, kpi),
            "sweep",
        )
        for kpi in pick_kpis(sweep.table["kpi"], SWEEP_CHARTS)
    ]


def sensitivity_kpis(output: OutputFolder) -> list[str]:
    """The headline KPIs some factor moves (a swing other than zero)."""
    if output.sensitivity is None:
        return []
    effects = output.sensitivity.one_at_a_time
    moved = effects.loc[effects["swing"].fillna(0) != 0, "kpi"]
    return pick_kpis(moved, SWEEP_CHARTS)


def sensitivity_figures(output: OutputFolder) -> list[FigureSpec]:
    if output.sensitivity is None:
        return []
    effects = output.sensitivity.one_at_a_time
    return [
        FigureSpec(
            f"tornado_{kpi}",
            f"Tornado: {kpi_label(kpi)}",
            f"{kpi_label(kpi).capitalize()} with each factor at its low value (light bar) and "
            "its high value (dark bar), every other input at the base scenario's value (the "
            "grey line), on common random numbers; largest swing (high less low) on top, with "
            "its 95% CI in the label.",
            functools.partial(sensitivity_plots.tornado, effects, kpi),
            "sensitivity",
        )
        for kpi in sensitivity_kpis(output)
    ]


def sobol_figures(output: OutputFolder) -> list[FigureSpec]:
    """A Sobol analysis's bars, a panel per KPI with indices."""
    sobol = output.sobol
    if sobol is None or sobol.indices.empty:
        return []
    manifest = output.manifest or {}
    return [
        FigureSpec(
            "sobol_indices",
            "Which uncertain inputs matter: Sobol indices",
            "For each headline KPI, the share of its variance over the priors that each "
            "uncertain input explains alone (S1, light bar) and alone or with the others "
            f"(ST, dark bar), with 95% bootstrap CIs, from {manifest.get('points', '?')} "
            f"points (N = {manifest.get('samples', '?')}) of "
            f"{manifest.get('replications_per_point', '?')} replication(s) each on common "
            "random numbers. Inputs in the same order in every panel, the largest S1 on top.",
            functools.partial(sobol_plots.sobol_bars, sobol.indices, sobol.kpis),
            "sensitivity",
        )
    ]


def staffing_figures(output: OutputFolder) -> list[FigureSpec]:
    """A staffing plan's figures: the spread of each target's wait, and the cost."""
    plan, spread, costs = output.staffing_plan, output.staffing_spread, output.staffing_costs
    specs = []
    if plan is not None and spread is not None and len(plan):
        specs.append(
            FigureSpec(
                "staffing_wait_spread",
                "Staffing plan: each target's wait across replications",
                "Per period, each replication's P90 wait so far for each target under the "
                "plan: on the replications the search judged it on and on fresh ones it "
                "never saw. Bars mark the quantile of replications tested; the line is "
                "the target. Replications far above the rest are queues that tipped.",
                functools.partial(staffing_plots.wait_spread, spread, plan),
                "staffing",
            )
        )
    if costs is not None and len(costs):
        specs.append(
            FigureSpec(
                "staffing_cost",
                "Staffing plan: cost a year",
                "The plan's provider cost a year in each period: drug workers and "
                "facilitators in post, every timetabled group session and the overhead.",
                functools.partial(staffing_plots.plan_cost, costs),
                "staffing",
            )
        )
    return specs


# The figures being drawn, for the worker processes forked to draw them: forked, they
# inherit this list (its builders are closures over the folder's tables, which do not
# pickle) and are told only which one to draw.
_DRAWING: list[FigureSpec] = []


def _draw(index: int, folder: Path) -> tuple[Path, int]:
    """Draw figure ``index`` of :data:`_DRAWING` and save it as PNG and SVG; its PNG path
    and how many data points it draws."""
    spec = _DRAWING[index]
    figure = spec.build()
    return plots.save_figure(figure, folder, spec.stem)["png"], plots.drawn_points(figure)


def report_workers(figures: int) -> int:
    """Processes to draw ``figures`` figures with: one per core, at most one per figure
    (saving a figure is most of a report's time, and each is independent)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, figures))


def render_figures(
    specs: list[FigureSpec], folder: Path, workers: int | None = None
) -> list[FigureHtml]:
    """Draw each figure, save it as PNG and SVG in ``folder``, keep the PNG to embed.

    With more than one worker (None: :func:`report_workers`) the figures are drawn in
    forked processes, in parallel; the files are the same either way.
    """
    folder.mkdir(parents=True, exist_ok=True)
    workers = report_workers(len(specs)) if workers is None else min(workers, len(specs))
    _DRAWING[:] = specs
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                drawn = list(pool.map(_draw, range(len(specs)), [folder] * len(specs)))
        else:
            drawn = [_draw(index, folder) for index in range(len(specs))]
    finally:
        _DRAWING.clear()
    return [
        FigureHtml(
            spec.stem, spec.heading, spec.caption, png.read_bytes(), spec.section, FIGURES, points
        )
        for spec, (png, points) in zip(specs, drawn, strict=True)
    ]


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


def write_report(folder: Path, workers: int | None = None) -> Path:
    """Write ``report.html`` and ``figures/`` into an output folder; returns the report's path.

    Everything is drawn into a hidden staging folder first and renamed into place; the
    figures on ``workers`` processes (None: one per core, 1: in this process).
    """
    output = read_output_folder(folder)
    staging = folder / f".report.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        specs = [
            *forecast_figures(output),
            *run_figures(output),
            *comparison_figures(output),
            *sweep_figures(output),
            *sensitivity_figures(output),
            *sobol_figures(output),
            *staffing_figures(output),
        ]
        figures = render_figures(specs, staging / FIGURES, workers)
        html = render_html(output, figures, sensitivity_kpis(output))
        (staging / REPORT).write_text(html, encoding="utf-8")
        _swap_in(staging / FIGURES, folder / FIGURES)
        _swap_in(staging / REPORT, folder / REPORT)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder / REPORT
