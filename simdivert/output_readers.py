"""Reading a saved output folder back: the one place that knows the output file formats.

Reports and figures are made from these files alone, so a report can be rebuilt from a
folder saved long ago. What a folder holds decides what the report shows:

- a run (``simdivert run``): ``manifest.json``, ``summary.csv``, ``replications.csv``,
  ``timeseries.csv`` and, with ``--events``, ``events.parquet``;
- a comparison (``simdivert compare``): ``comparison.csv``, one row per KPI and scenario
  with the paired difference from the baseline scenario;
- a sweep (``simdivert sweep``): a ``summary.csv`` with one row per cell and KPI, whose
  extra columns are the varied parameters.

The comparison and sweep formats are being added by other work; their readers are kept
together at the bottom of this module so that they are easy to adjust.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from pydantic import ValidationError

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.errors import UserError
from simdivert.scenario import TargetSettings

MANIFEST = "manifest.json"
SUMMARY = "summary.csv"
REPLICATIONS = "replications.csv"
TIMESERIES = "timeseries.csv"
EVENTS = "events.parquet"
COMPARISON = "comparison.csv"

SUMMARY_COLUMNS = ("kpi", "mean", "ci_low", "ci_high")
TIMESERIES_COLUMNS = ("replication", "week", "stage", "queue_mean", "waits_started")


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


@dataclass(frozen=True)
class RunFacts:
    """What the figures need to know about the run that wrote a folder."""

    scenario_name: str
    description: str
    warmup_days: float
    years: float
    scenario: dict[str, Any]  # the resolved scenario as written in the manifest
    targets: TargetSettings

    @property
    def horizon_hours(self) -> float:
        return self.warmup_days * HOURS_PER_DAY + self.years * HOURS_PER_YEAR

    @property
    def warmup_hours(self) -> float:
        return self.warmup_days * HOURS_PER_DAY

    @property
    def warmup_weeks(self) -> float:
        return self.warmup_hours / HOURS_PER_WEEK

    @property
    def whole_weeks(self) -> int:
        """Weeks of the run that are complete (a last, partial week is left out of charts)."""
        return int(np.floor(self.horizon_hours / HOURS_PER_WEEK + 1e-9))


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise UserError(f"{path}: expected a JSON object")
    return manifest


def run_facts(manifest: dict[str, Any], source: Path) -> RunFacts:
    """The run's window and targets from the resolved scenario in its manifest."""
    scenario = manifest.get("scenario")
    if not isinstance(scenario, dict):
        raise UserError(f"{source}: scenario: missing (the resolved scenario of the run)")
    run = scenario.get("run", {})
    try:
        warmup_days = float(run["warmup_days"])
        years = float(run["years"])
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{source}: scenario.run: needs numeric warmup_days and years") from None
    try:
        targets = TargetSettings.model_validate(scenario.get("targets", {}))
    except ValidationError as exc:
        raise UserError(f"{source}: scenario.targets: {exc.errors()[0]['msg']}") from None
    return RunFacts(
        scenario_name=str(scenario.get("name", manifest.get("scenario_name", "unnamed"))),
        description=str(scenario.get("description", "")),
        warmup_days=warmup_days,
        years=years,
        scenario=scenario,
        targets=targets,
    )


def read_summary(path: Path) -> pd.DataFrame:
    """``summary.csv``: kpi, mean, ci_low, ci_high (and unit; a sweep's adds its parameters)."""
    return _read_csv(path, SUMMARY_COLUMNS)


def read_timeseries(path: Path) -> pd.DataFrame:
    """``timeseries.csv``: per replication, week and stage, queue_mean and waits_started."""
    return _read_csv(path, TIMESERIES_COLUMNS)


# The waits drawn from the event log, stage by stage, as results.py defines them: from
# when the wait starts to when it ends, for the people referred in the measured window.
WAIT_STAGES: dict[str, str] = {
    "first_contact": "referral to first answered call",
    "assessment": "referral to assessment call",
    "one_to_one": "assessment to one-to-one",
    "course": "assessment to first group session",
}
_EVENT_COLUMNS = [
    "replication",
    "referral_hours",
    "route",
    "assessed",
    "first_contact_hours",
    "assessment_hours",
    "assessment_end_hours",
    "intervention_booked_hours",
]


def read_stage_waits(path: Path, run: RunFacts) -> pd.DataFrame:
    """Waits in days per stage from ``events.parquet``: columns replication, stage, wait_days.

    The cohort is the people referred in the measured window; a wait counts once it has
    ended before the end of the run, as in the KPIs (``assessment_wait_p90_days``...).
    """
    try:
        events = pq.read_table(path, columns=_EVENT_COLUMNS).to_pandas()
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"{path}: cannot read the event log ({exc})") from None
    horizon = run.horizon_hours
    events = events[
        (events["referral_hours"] >= run.warmup_hours) & (events["referral_hours"] < horizon)
    ]
    route = events["route"].astype(str)
    assessed = events["assessed"].astype(bool)
    booked = events["intervention_booked_hours"]
    contact = events["first_contact_hours"]
    ends_and_starts = {
        "first_contact": (contact.where(contact < horizon), events["referral_hours"]),
        "assessment": (events["assessment_hours"], events["referral_hours"]),
        "one_to_one": (
            booked.where(assessed & (route == "one_to_one")),
            events["assessment_end_hours"],
        ),
        "course": (
            booked.where(assessed & (route == "group") & (booked < horizon)),
            events["assessment_end_hours"],
        ),
    }
    frames = []
    for stage, (end, start) in ends_and_starts.items():
        waited = end.notna()
        frames.append(
            pd.DataFrame(
                {
                    "replication": events.loc[waited, "replication"].to_numpy(),
                    "stage": stage,
                    "wait_days": ((end[waited] - start[waited]) / HOURS_PER_DAY).to_numpy(),
                }
            )
        )
    waits = pd.concat(frames, ignore_index=True)
    waits["stage"] = pd.Categorical(waits["stage"], categories=list(WAIT_STAGES))
    return waits


# --- Formats added by other work (compare, sweep): adjust here when they land. ---------

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
# Police outcomes per year, in the order they are drawn; those present are shown.
OUTCOME_KPIS = (
    "charges_per_year",
    "cautions_per_year",
    "cannabis_warnings_per_year",
    "penalty_notices_per_year",
    "community_resolutions_per_year",
)
GROUP_SHARE_PREFIX = "formal_outcome_share_"
# Columns of a sweep's summary.csv that are not varied parameters.
SWEEP_VALUE_COLUMNS = frozenset(
    {*SUMMARY_COLUMNS, "unit", "cell", "replications", "n", "half_width", "sd", "std"}
)


def read_comparison(path: Path) -> pd.DataFrame:
    """``comparison.csv``: per KPI and scenario, its mean and the paired difference (CIs)."""
    return _read_csv(path, COMPARISON_COLUMNS)


def baseline_scenarios(comparison: pd.DataFrame) -> list[str]:
    """Scenarios that are the comparison's baseline: no difference from themselves."""
    no_difference = comparison["diff_mean"].isna() | (
        (comparison["diff_mean"] == 0)
        & (comparison["diff_ci_low"].fillna(0) == 0)
        & (comparison["diff_ci_high"].fillna(0) == 0)
    )
    per_scenario = no_difference.groupby(comparison["scenario"], sort=False).all()
    return [str(s) for s in per_scenario[per_scenario].index]


def outcome_rows(comparison: pd.DataFrame) -> pd.DataFrame:
    """Rows giving police outcomes per year (charges, cautions, ...), in the drawing order."""
    rows = comparison[comparison["kpi"].isin(OUTCOME_KPIS)].copy()
    rows["order"] = rows["kpi"].map({k: i for i, k in enumerate(OUTCOME_KPIS)})
    return rows.sort_values("order", kind="stable").drop(columns="order")


def group_share_rows(comparison: pd.DataFrame) -> pd.DataFrame:
    """Rows giving the formal-outcome share of each group, with a ``group`` column."""
    rows = comparison[comparison["kpi"].str.startswith(GROUP_SHARE_PREFIX)].copy()
    rows["group"] = rows["kpi"].str.removeprefix(GROUP_SHARE_PREFIX)
    return rows


@dataclass(frozen=True)
class SweepSummary:
    """A sweep's per-cell summary: a row per cell and KPI, and which columns were varied."""

    table: pd.DataFrame
    parameters: list[str]


def sweep_parameters(summary: pd.DataFrame) -> list[str]:
    """The varied parameters: the columns of a summary beyond a run's own."""
    return [c for c in summary.columns if c not in SWEEP_VALUE_COLUMNS]


# --- What a folder holds ----------------------------------------------------------------


@dataclass(frozen=True)
class OutputFolder:
    """The files of one output folder that a report can use (None: not in the folder)."""

    path: Path
    manifest: dict[str, Any] | None
    run: RunFacts | None
    summary: pd.DataFrame | None  # a run's summary
    timeseries: pd.DataFrame | None
    events_path: Path | None
    comparison: pd.DataFrame | None
    sweep: SweepSummary | None

    @property
    def is_run(self) -> bool:
        return self.summary is not None


def read_output_folder(folder: Path) -> OutputFolder:
    """Read whatever a report can use from ``folder``; a one-line error if it holds nothing."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    manifest = read_manifest(folder) if (folder / MANIFEST).exists() else None
    run = None
    if manifest is not None and "scenario" in manifest:  # a run's (compare and sweep differ)
        run = run_facts(manifest, folder / MANIFEST)
    summary = sweep = None
    if (folder / SUMMARY).exists():
        table = read_summary(folder / SUMMARY)
        if sweep_parameters(table):  # a sweep's summary: a row per cell and KPI
            sweep = SweepSummary(table, sweep_parameters(table))
        else:
            summary = table
    timeseries = read_timeseries(folder / TIMESERIES) if (folder / TIMESERIES).exists() else None
    events_path = folder / EVENTS if (folder / EVENTS).exists() else None
    comparison = read_comparison(folder / COMPARISON) if (folder / COMPARISON).exists() else None
    if summary is None and sweep is None and comparison is None:
        raise UserError(f"{folder}: no simdivert results here (expected {SUMMARY} or {COMPARISON})")
    if (timeseries is not None or events_path is not None) and run is None:
        raise UserError(
            f"{folder / MANIFEST}: scenario: missing; the charts over time need the run window"
        )
    return OutputFolder(folder, manifest, run, summary, timeseries, events_path, comparison, sweep)
