"""Reading a saved output folder back: the one place that knows the output file formats.

Reports and figures are made from these files alone, so a report can be rebuilt from a
folder saved long ago. What a folder holds decides what the report shows:

- a run (``simdivert run``): ``manifest.json`` (with the resolved ``scenario``),
  ``summary.csv``, ``replications.csv``, ``timeseries.csv``, ``utilisation.csv`` and,
  with ``--events``, ``events.parquet`` (one row per find);
- a comparison (``simdivert compare``): ``comparison.csv`` (per KPI and scenario, the
  mean and the paired difference from the base), ``replications.csv`` (long, with a
  ``scenario`` column) and ``manifest.json`` (``scenario_names``, the base first, and
  ``scenarios``: each resolved scenario by name);
- a staffing plan (``simdivert staff``): ``staffing_plan.csv``, ``staffing_spread.csv``,
  ``staffing_check.csv``, ``staffing_costs.csv`` and ``manifest.json``;
- a sweep (``simdivert sweep``): a ``summary.csv`` with one row per cell and KPI, whose
  extra columns are the varied parameters;
- a sensitivity analysis (``simdivert sensitivity``): ``one_at_a_time.csv`` and
  ``rank_correlations.csv``, or with ``--method sobol`` ``sobol.csv`` and
  ``sobol_kpis.csv`` (:mod:`simdivert.outputs.sobol_files`).

KPIs counted per year come whole-window (``charges_per_year``) and per year around the
launch (``charges_per_year_y0`` the year before it, ``_y1``, ``_y2``... policy years).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from pydantic import ValidationError

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.errors import ScenarioError, UserError
from simdivert.kpis import (
    GROUP_SHARE_PREFIX,
    GROUPS,
    OUTCOME_KPIS,
    WHOLE_WINDOW,
    split_year,
    years_of,
)
from simdivert.outputs.sobol_files import SOBOL, SOBOL_COLUMNS, SOBOL_KPI_COLUMNS, SOBOL_KPIS
from simdivert.scenario.schema import RunSettings, Scenario, TargetSettings
from simdivert.scenario.uncertainty import SET_COLUMN
from simdivert.stats import t_interval
from simdivert.waits import STAGES, StepTimes, finished_rows, finished_waits, in_days

MANIFEST = "manifest.json"
SUMMARY = "summary.csv"
REPLICATIONS = "replications.csv"
TIMESERIES = "timeseries.csv"
UTILISATION = "utilisation.csv"
EVENTS = "events.parquet"
COMPARISON = "comparison.csv"
STAFFING_PLAN = "staffing_plan.csv"
ONE_AT_A_TIME = "one_at_a_time.csv"
RANK_CORRELATIONS = "rank_correlations.csv"
ONE_AT_A_TIME_COLUMNS = (
    "kpi",
    "factor",
    "low",
    "high",
    "mean_at_low",
    "mean_at_base",
    "mean_at_high",
    "swing",
    "swing_ci_low",
    "swing_ci_high",
)
RANK_CORRELATION_COLUMNS = ("kpi", "factor", "spearman_rho")
STAFFING_SPREAD = "staffing_spread.csv"
STAFFING_CHECK = "staffing_check.csv"
STAFFING_COSTS = "staffing_costs.csv"

SUMMARY_COLUMNS = ("kpi", "mean", "ci_low", "ci_high")
# A forecast with uncertainty's summary.csv (and comparison.csv) adds its 90% prediction
# interval; its replications.csv and timeseries.csv have a column for the parameter set.
PREDICTION_COLUMNS = ("pi_low", "pi_high")
TIMESERIES_COLUMNS = ("replication", "week", "stage", "queue_mean", "waits_started")
UTILISATION_COLUMNS = (
    "replication",
    "week",
    "role",
    "busy_hours",
    "available_hours",
    "utilisation",
)
COMPARISON_COLUMNS = (
    "kpi",
    "scenario",
    "mean",
    "ci_low",
    "ci_high",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
)
# Plans written before the quantile test (0.1.x) have kpi_mean/kpi_ci_* instead of
# bound, quantile, kpi_quantile and share_missed: the report reads both.
STAFFING_PLAN_COLUMNS = ("period", "role", "headcount", "kpi")
STAFFING_SPREAD_COLUMNS = ("period", "check", "replication", "kpi", "value")
STAFFING_CHECK_COLUMNS = ("period", "kpi", "bound", "kpi_quantile", "share_missed", "meets")
STAFFING_COSTS_COLUMNS = ("period", "drug_workers", "facilitators", "cost_per_year")


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """A CSV with the columns it must have, or a one-line error naming file and column."""
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read as CSV ({exc})") from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}")
    return table


# --- KPIs per year ----------------------------------------------------------------------

OUTCOME_BASES = tuple(OUTCOME_KPIS.values())  # charges_per_year, cautions_per_year...


def outcome_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    """Rows of police outcomes per year with ``outcome`` and ``year`` columns, in order.

    Per-year rows (``_y0``, ``_y1``...) where the run had whole years around the launch;
    otherwise the whole-window ones.
    """
    return _family_rows(estimates, OUTCOME_BASES, "outcome")


def group_share_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    """Rows of the formal-outcome share per group (``white_male``...), with a ``year``."""
    families = tuple(GROUP_SHARE_PREFIX + g for g in GROUPS)
    rows = _family_rows(estimates, families, "group")
    rows["group"] = rows["group"].str.removeprefix(GROUP_SHARE_PREFIX)
    return rows


def _family_rows(estimates: pd.DataFrame, families: tuple[str, ...], column: str):
    parts = estimates["kpi"].map(split_year)
    rows = estimates.assign(
        **{column: parts.str[0], "year": parts.str[1]},
    )
    rows = rows[rows[column].isin(families)]
    per_year = rows[rows["year"] != WHOLE_WINDOW]
    rows = per_year if not per_year.empty else rows
    order = {f: i for i, f in enumerate(families)}
    rows = rows.assign(
        order=rows[column].map(order),
        year_order=rows["year"].str[1:].replace("", "-1").astype(int),
    )
    rows = rows.sort_values(["order", "year_order"], kind="stable")
    return rows.drop(columns=["order", "year_order"]).reset_index(drop=True)


# --- One scenario's facts ----------------------------------------------------------------


@dataclass(frozen=True)
class RunFacts:
    """What the figures need to know about one scenario as it was run."""

    scenario_name: str
    description: str
    warmup_days: float
    years: float
    launch_after_days: float
    diversion: bool
    area_go_live_days: tuple[tuple[str, float], ...]  # (area, days after the launch)
    staffing_change_days: tuple[float, ...]  # days after the warm-up
    scenario: dict[str, Any]  # the resolved scenario as written in the manifest
    targets: TargetSettings

    @property
    def start_date(self) -> date:
        """The run's first day (hour 0); a folder that does not say: the schema's default."""
        text = self.scenario.get("run", {}).get("start_date")
        return (
            date.fromisoformat(text)
            if isinstance(text, str)
            else RunSettings.model_fields["start_date"].default
        )

    @property
    def warmup_hours(self) -> float:
        return self.warmup_days * HOURS_PER_DAY

    @property
    def horizon_hours(self) -> float:
        return self.warmup_hours + self.years * HOURS_PER_YEAR

    @property
    def launch_hours(self) -> float:
        return self.warmup_hours + self.launch_after_days * HOURS_PER_DAY

    @property
    def policy_start_hours(self) -> float:
        """Start of the policy period, over which pathway KPIs are measured."""
        return max(self.warmup_hours, self.launch_hours)

    @property
    def warmup_weeks(self) -> float:
        return self.warmup_hours / HOURS_PER_WEEK

    @property
    def launch_weeks(self) -> float:
        return self.launch_hours / HOURS_PER_WEEK

    @property
    def whole_weeks(self) -> int:
        """Weeks of the run that are complete (a last, partial week is left out of charts)."""
        return int(np.floor(self.horizon_hours / HOURS_PER_WEEK + 1e-9))

    def go_live_weeks(self) -> list[tuple[float, list[str]]]:
        """Weeks when areas go live after the launch, with the areas going live then."""
        by_day: dict[float, list[str]] = {}
        for area, days in self.area_go_live_days:
            if days > 0:
                by_day.setdefault(days, []).append(area)
        return [
            ((self.launch_hours + days * HOURS_PER_DAY) / HOURS_PER_WEEK, areas)
            for days, areas in sorted(by_day.items())
            if self.launch_hours + days * HOURS_PER_DAY < self.horizon_hours
        ]

    def staffing_change_weeks(self) -> list[float]:
        return [
            (self.warmup_hours + days * HOURS_PER_DAY) / HOURS_PER_WEEK
            for days in self.staffing_change_days
            if self.warmup_hours + days * HOURS_PER_DAY < self.horizon_hours
        ]


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise UserError(f"{path}: expected a JSON object")
    return manifest


def scenario_facts(scenario: Any, source: str) -> RunFacts:
    """A scenario's window, launch, rollout and targets from its resolved form."""
    if not isinstance(scenario, dict):
        raise UserError(f"{source}: missing (the resolved scenario of the run)")
    run = scenario.get("run", {})
    policy = scenario.get("policy", {})
    try:
        warmup_days = float(run["warmup_days"])
        years = float(run["years"])
        launch_after_days = float(policy.get("launch_after_days", 0.0))
        areas = tuple(
            (str(a["name"]), float(a.get("go_live_after_days", 0.0)))
            for a in scenario.get("areas", [])
        )
        changes = tuple(float(c["from_day"]) for c in scenario.get("staffing", []))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise UserError(
            f"{source}: needs numeric run.warmup_days, run.years, policy.launch_after_days, "
            "areas.go_live_after_days and staffing.from_day"
        ) from None
    try:
        targets = TargetSettings.model_validate(scenario.get("targets", {}))
    except ValidationError as exc:
        raise UserError(f"{source}.targets: {exc.errors()[0]['msg']}") from None
    return RunFacts(
        scenario_name=str(scenario.get("name", "unnamed")),
        description=str(scenario.get("description", "")),
        warmup_days=warmup_days,
        years=years,
        launch_after_days=launch_after_days,
        diversion=bool(policy.get("diversion", True)),
        area_go_live_days=areas,
        staffing_change_days=changes,
        scenario=scenario,
        targets=targets,
    )


def run_facts(manifest: dict[str, Any], source: Path) -> RunFacts:
    """The facts of the run whose manifest this is."""
    return scenario_facts(manifest.get("scenario"), f"{source}: scenario")


# --- A run's files ----------------------------------------------------------------------


def read_summary(path: Path) -> pd.DataFrame:
    """``summary.csv``: kpi, mean, ci_low, ci_high (and unit; a sweep's adds its parameters)."""
    return _read_csv(path, SUMMARY_COLUMNS)


def read_timeseries(path: Path) -> pd.DataFrame:
    """``timeseries.csv``: per replication, week and stage, queue_mean and waits_started."""
    return _read_csv(path, TIMESERIES_COLUMNS)


def read_utilisation(path: Path) -> pd.DataFrame:
    """``utilisation.csv``: per replication, week and role, busy and available hours."""
    return _read_csv(path, UTILISATION_COLUMNS)


_EVENT_COLUMNS = [
    "replication",
    "outcome",
    "find_hours",
    "route",
    "assessed",
    "first_contact_hours",
    "assessment_hours",
    "assessment_end_hours",
    "intervention_booked_hours",
    "end_hours",
]


def read_stage_waits(path: Path, run: RunFacts) -> pd.DataFrame:
    """Waits in days per stage from ``events.parquet``: columns replication, stage, wait_days.

    The event log has a row per find; referrals are the finds diverted, referred at the
    find. The cohort is the people referred in the policy period (from the launch, after
    the warm-up); a wait counts once it has ended before the end of the run, as in the
    KPIs (``assessment_wait_p90_days``...): both take it from :mod:`simdivert.waits`.
    """
    try:
        events = pq.read_table(path, columns=_EVENT_COLUMNS).to_pandas()
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"{path}: cannot read the event log ({exc})") from None
    horizon = run.horizon_hours
    referral = events["find_hours"]
    events = events[
        (events["outcome"] == "diverted")
        & (referral >= run.policy_start_hours)
        & (referral < horizon)
    ]
    route = events["route"].astype(str).to_numpy()
    replication = events["replication"].to_numpy()
    steps = StepTimes(
        referral=events["find_hours"].to_numpy(float),
        first_contact=events["first_contact_hours"].to_numpy(float),
        assessment=events["assessment_hours"].to_numpy(float),
        assessment_end=events["assessment_end_hours"].to_numpy(float),
        booked=events["intervention_booked_hours"].to_numpy(float),
        assessed=events["assessed"].to_numpy(bool),
        group=route == "group",
        one_to_one=route == "one_to_one",
        end=events["end_hours"].to_numpy(float),
    )
    rows, waits = finished_rows(steps, horizon), finished_waits(steps, horizon)
    frames = []
    for stage in STAGES:
        hours = waits[stage]
        frames.append(
            pd.DataFrame(
                {
                    "replication": replication[rows[stage]],
                    "stage": stage,
                    "wait_days": in_days(hours),
                }
            )
        )
    waits = pd.concat(frames, ignore_index=True)
    waits["stage"] = pd.Categorical(waits["stage"], categories=list(STAGES))
    return waits


def run_estimates(summary: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """A run's summary in the comparison's long form (no differences: one scenario)."""
    rows = summary[list(SUMMARY_COLUMNS)].assign(scenario=scenario)
    return rows.assign(diff_mean=np.nan, diff_ci_low=np.nan, diff_ci_high=np.nan)[
        list(COMPARISON_COLUMNS)
    ]


# --- A comparison's files ---------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """A compare folder: the scenarios (base first), their KPIs and replications."""

    names: list[str]
    scenarios: dict[str, RunFacts]
    table: pd.DataFrame  # comparison.csv
    replications: pd.DataFrame  # replications.csv, long, with a scenario column

    @property
    def base(self) -> str:
        return self.names[0]

    @property
    def others(self) -> list[str]:
        return self.names[1:]

    @property
    def run_keys(self) -> list[str]:
        """What pairs a scenario's rows with the base's: the replication, and the
        parameter set in a comparison with uncertainty."""
        return [c for c in (SET_COLUMN, "replication") if c in self.replications.columns]

    def paired_differences(self, kpi: str) -> pd.DataFrame:
        """Per replication (and set) and scenario, the KPI minus the base's: replication,
        scenario, diff."""
        if kpi not in self.replications.columns:
            return pd.DataFrame(columns=["replication", "scenario", "diff"])
        values = self.replications.pivot(index=self.run_keys, columns="scenario", values=kpi)
        diffs = values[self.others].sub(values[self.base], axis=0)
        long = diffs.reset_index().melt(
            id_vars=self.run_keys, var_name="scenario", value_name="diff"
        )
        return long.dropna(subset=["diff"])

    def police_hours_saved_simulated(self) -> pd.DataFrame:
        """Officer hours a year saved against the base, as simulated, per other scenario.

        Per replication, the mean over the whole policy years (y1, y2...) of the base's
        ``police_hours_per_year_yk`` less the scenario's, on the same finds; then the mean
        and 95% t-interval over replications. Columns scenario, mean, ci_low, ci_high,
        years (the policy years used). Empty without a whole policy year.
        """
        years = [
            y for y in years_of(self.replications.columns, "police_hours_per_year") if y != "y0"
        ]
        if not years:
            return pd.DataFrame(columns=["scenario", "mean", "ci_low", "ci_high", "years"])
        reps = self.replications
        per_rep = reps[[*self.run_keys, "scenario"]].assign(
            hours=reps[[f"police_hours_per_year_{y}" for y in years]].mean(axis=1)
        )
        values = per_rep.pivot(index=self.run_keys, columns="scenario", values="hours")
        rows = []
        for scenario in self.others:
            mean, low, high = t_interval((values[self.base] - values[scenario]).to_numpy())
            rows.append(
                {
                    "scenario": scenario,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "years": ", ".join(years),
                }
            )
        return pd.DataFrame(rows)


def read_comparison(folder: Path, manifest: dict[str, Any] | None) -> Comparison:
    """``comparison.csv``, ``replications.csv`` and the manifest of a compare folder."""
    path = folder / MANIFEST
    if manifest is None:
        raise UserError(f"{path}: missing; a comparison needs its scenarios")
    names = manifest.get("scenario_names")
    resolved = manifest.get("scenarios")
    if not (isinstance(names, list) and len(names) >= 2 and isinstance(resolved, dict)):
        raise UserError(f"{path}: scenario_names: expected the base then the others")
    names = [str(n) for n in names]
    scenarios = {
        name: scenario_facts(resolved.get(name), f"{path}: scenarios.{name}") for name in names
    }
    table = _read_csv(folder / COMPARISON, COMPARISON_COLUMNS)
    replications = _read_csv(folder / REPLICATIONS, ("replication", "scenario"))
    for source, found in (
        (COMPARISON, set(table["scenario"].astype(str))),
        (REPLICATIONS, set(replications["scenario"].astype(str))),
    ):
        if found != set(names):
            raise UserError(
                f"{folder / source}: scenario: holds {', '.join(sorted(found))}, but the "
                f"manifest names {', '.join(names)}"
            )
    table["scenario"] = table["scenario"].astype(str)
    replications["scenario"] = replications["scenario"].astype(str)
    return Comparison(names, scenarios, table, replications)


# --- Sweeps (summary.csv of `simdivert sweep`: cell, scenario, [variant], the varied keys, then
# kpi, mean, ci_low, ci_high, unit, replications) ----------------------------------------

# Columns of a sweep's summary.csv that are not varied parameters.
SWEEP_VALUE_COLUMNS = frozenset(
    {
        *SUMMARY_COLUMNS,
        *PREDICTION_COLUMNS,
        "unit",
        "cell",
        "replications",
        "n",
        "half_width",
        "sd",
        "std",
    }
)


@dataclass(frozen=True)
class SweepSummary:
    """A sweep's per-cell summary: a row per cell and KPI, and which columns were varied."""

    table: pd.DataFrame
    parameters: list[str]


def sweep_parameters(summary: pd.DataFrame) -> list[str]:
    """The varied parameters: the columns of a summary beyond a run's own that take more
    than one value (a sweep of one scenario still names it in every row)."""
    return [
        c
        for c in summary.columns
        if c not in SWEEP_VALUE_COLUMNS and summary[c].nunique(dropna=False) > 1
    ]


# --- Sensitivity (one_at_a_time.csv and rank_correlations.csv of `simdivert sensitivity`) --


@dataclass(frozen=True)
class Sensitivity:
    """One-at-a-time effects (a row per KPI and factor) and rank correlations."""

    one_at_a_time: pd.DataFrame
    rank_correlations: pd.DataFrame | None


def read_sensitivity(folder: Path) -> Sensitivity:
    correlations = folder / RANK_CORRELATIONS
    return Sensitivity(
        _read_csv(folder / ONE_AT_A_TIME, ONE_AT_A_TIME_COLUMNS),
        _read_csv(correlations, RANK_CORRELATION_COLUMNS) if correlations.exists() else None,
    )


@dataclass(frozen=True)
class SobolIndices:
    """A Sobol analysis: S1 and ST per KPI and input, and a row per KPI (its S1 sum, the
    noise share, or why it has no indices)."""

    indices: pd.DataFrame
    kpis: pd.DataFrame


def read_sobol(folder: Path) -> SobolIndices:
    return SobolIndices(
        _read_csv(folder / SOBOL, SOBOL_COLUMNS), _read_csv(folder / SOBOL_KPIS, SOBOL_KPI_COLUMNS)
    )


# --- What a folder holds ----------------------------------------------------------------


@dataclass(frozen=True)
class OutputFolder:
    """The files of one output folder that a report can use (None: not in the folder)."""

    path: Path
    manifest: dict[str, Any] | None
    run: RunFacts | None  # a run's or a staffing plan's scenario
    summary: pd.DataFrame | None  # a run's summary
    timeseries: pd.DataFrame | None
    utilisation: pd.DataFrame | None
    events_path: Path | None
    comparison: Comparison | None
    sweep: SweepSummary | None
    staffing_plan: pd.DataFrame | None
    sensitivity: Sensitivity | None = None
    # A staffing plan's spread, check on fresh replications and costs (None: not there).
    staffing_spread: pd.DataFrame | None = None
    staffing_check: pd.DataFrame | None = None
    staffing_costs: pd.DataFrame | None = None
    # A forecast with uncertainty's replications.csv: a row per parameter set and
    # replication (None: a run without uncertainty, or not a run).
    forecast: pd.DataFrame | None = None
    sobol: SobolIndices | None = None  # a Sobol analysis of the uncertain inputs

    @property
    def is_run(self) -> bool:
        return self.summary is not None


def read_output_folder(folder: Path) -> OutputFolder:
    """Read whatever a report can use from ``folder``; a one-line error if it holds nothing."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    manifest = read_manifest(folder) if (folder / MANIFEST).exists() else None
    run = None
    if manifest is not None and "scenario" in manifest:  # a run's or a staffing plan's
        run = run_facts(manifest, folder / MANIFEST)
    summary = sweep = comparison = None
    if (folder / COMPARISON).exists():
        comparison = read_comparison(folder, manifest)
    elif (folder / SUMMARY).exists():
        table = read_summary(folder / SUMMARY)
        if sweep_parameters(table):  # a sweep's summary: a row per cell and KPI
            sweep = SweepSummary(table, sweep_parameters(table))
        else:
            summary = table
    timeseries = read_timeseries(folder / TIMESERIES) if (folder / TIMESERIES).exists() else None
    utilisation = (
        read_utilisation(folder / UTILISATION) if (folder / UTILISATION).exists() else None
    )
    events_path = folder / EVENTS if (folder / EVENTS).exists() else None
    plan = (
        _read_csv(folder / STAFFING_PLAN, STAFFING_PLAN_COLUMNS)
        if (folder / STAFFING_PLAN).exists()
        else None
    )
    sensitivity = read_sensitivity(folder) if (folder / ONE_AT_A_TIME).exists() else None
    forecast = None
    if summary is not None and PREDICTION_COLUMNS[0] in summary.columns:
        forecast = _read_csv(folder / REPLICATIONS, (SET_COLUMN, "replication"))
    sobol = read_sobol(folder) if (folder / SOBOL).exists() else None
    if all(x is None for x in (summary, sweep, comparison, plan, sensitivity, sobol)):
        raise UserError(
            f"{folder}: no simdivert results here "
            f"(expected {SUMMARY}, {COMPARISON}, {STAFFING_PLAN}, {ONE_AT_A_TIME} or {SOBOL})"
        )
    if (
        timeseries is not None or utilisation is not None or events_path is not None
    ) and run is None:
        raise UserError(
            f"{folder / MANIFEST}: scenario: missing; the charts over time need the run window"
        )
    spread, check, costs = (
        _read_csv(folder / name, columns) if (folder / name).exists() else None
        for name, columns in (
            (STAFFING_SPREAD, STAFFING_SPREAD_COLUMNS),
            (STAFFING_CHECK, STAFFING_CHECK_COLUMNS),
            (STAFFING_COSTS, STAFFING_COSTS_COLUMNS),
        )
    )
    return OutputFolder(
        folder,
        manifest,
        run,
        summary,
        timeseries,
        utilisation,
        events_path,
        comparison,
        sweep,
        plan,
        sensitivity,
        spread,
        check,
        costs,
        forecast,
        sobol,
    )


def read_run_events(run_dir: Path) -> tuple[pd.DataFrame, float]:
    """A run folder's repeat finds (``events.parquet``) and its launch time (from the
    manifest's scenario), for choosing a warm-up after the run."""
    for name in ("manifest.json", "events.parquet"):
        if not (run_dir / name).is_file():
            raise UserError(
                f"{run_dir / name}: no such file (a folder written by simdivert run --events?)"
            )
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text())
        events = pd.read_parquet(
            run_dir / "events.parquet", columns=["replication", "find_hours", "repeat_find"]
        )
    except (json.JSONDecodeError, ValueError, OSError, RecursionError) as exc:
        raise UserError(f"{run_dir}: cannot read the run folder: {exc}") from None
    try:
        scenario = Scenario.model_validate(manifest["scenario"])
    except (KeyError, ValueError) as exc:
        raise ScenarioError(
            str(run_dir / "manifest.json"), "scenario", f"not a valid scenario: {exc}"
        ) from None
    return events, scenario.launch_hours
