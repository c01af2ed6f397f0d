"""A fit of one scenario to its published targets: which rows are fitted and which are
tests, the cells each wave runs, each run's value of every target, and the checks.

Every target row of the scenario in the targets file takes part: rows with ``fit =
true`` become :class:`~simdivert.experiments.history_matching.Observation` s (their
``observation_sd`` and ``discrepancy_sd`` are required), the others are *tests*,
computed for every run and reported apart, never used to keep or reject a run. A
parameter set runs as one cell of the scenario and, when some row compares against
another scenario (``against = "status_quo"``), one cell of that scenario with the same
parameter values, seed and replication indices: common random numbers, so a change
against the status quo is the parameters' effect on the same finds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simdivert.errors import ScenarioError, UserError
from simdivert.experiments.calibration import Target
from simdivert.experiments.history_matching import Observation, Settings, quantile_interval
from simdivert.experiments.sweep_cells import Cell
from simdivert.experiments.sweep_runner import REPLICATION_COLUMN
from simdivert.experiments.uncertainty import set_overrides, uncertain_keys, values_at
from simdivert.numbers import format_with_unit
from simdivert.scenario.files import load_scenario_with_values, resolve_scenario_path
from simdivert.scenario.schema import Scenario
from simdivert.scenario.uncertainty import SET_COLUMN

ARM_COLUMN = "arm"  # which scenario a cell ran: the fitted one or a base it is compared with
FITTED, TEST = "fitted", "test"
PLAUSIBILITY, ECHOED, BY_HAND = "plausibility", "input echoed", "fitted by hand"
ROLES = (FITTED, TEST, PLAUSIBILITY, ECHOED, BY_HAND)  # the table's order
LOW_QUANTILE, HIGH_QUANTILE = 0.05, 0.95


@dataclass(frozen=True)
class FitTarget:
    """A target row of the fitted scenario, with its row number in the file and a name
    for its column in the waves table."""

    row: int  # from 1, as in the file
    target: Target

    @property
    def name(self) -> str:
        t = self.target
        return t.kpi if t.against is None else f"{t.kpi} vs {t.against}"

    @property
    def margin(self) -> str | None:
        """A ``below`` row's second column: its KPI minus the other KPI (must be < 0)."""
        return None if self.target.below is None else f"{self.name} - {self.target.below}"

    @property
    def role(self) -> str:
        """``fitted``, or what a row held out is evidence of (``Target.evidence``)."""
        return FITTED if self.target.fit else self.target.evidence

    def observation(self) -> Observation:
        t = self.target
        assert t.observation_sd is not None and t.discrepancy_sd is not None
        return Observation(self.name, t.low, t.high, t.observation_sd, t.discrepancy_sd)


@dataclass(frozen=True)
class FitPlan:
    """Everything a fit needs before it runs, checked."""

    scenario: Scenario
    scenario_path: Path
    arms: dict[str, Path]  # arm name -> scenario file; the fitted scenario first
    targets: list[FitTarget]
    settings: Settings
    replications: int
    targets_source: str

    @property
    def keys(self) -> list[str]:
        return uncertain_keys(self.scenario)

    @property
    def fitted(self) -> list[FitTarget]:
        return [t for t in self.targets if t.target.fit]

    @property
    def held_out(self) -> list[FitTarget]:
        """The rows not fitted: tests, plausibility checks and rows that are no evidence."""
        return [t for t in self.targets if not t.target.fit]

    def observations(self) -> list[Observation]:
        return [t.observation() for t in self.fitted]

    def digest(self) -> str:
        """What the fit's results depend on: a folder holds this fit only if it agrees."""
        record = {
            "settings": asdict(self.settings),
            "replications": self.replications,
            "arms": {
                name: load_scenario_with_values(path, ()).model_dump(mode="json")
                for name, path in self.arms.items()
            },
            "targets": [t.target.model_dump(mode="json") for t in self.targets],
        }
        return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()

    def cells(self, wave: int, unit: np.ndarray) -> list[Cell]:
        """A wave's cells: for each point, one per arm (cell = point x arms + arm)."""
        sets = values_at(self.scenario, unit)
        crn = (("run.seed", self.settings.seed), ("run.replications", self.replications))
        source = f"fit wave {wave}"
        cells = []
        for point, row in sets.iterrows():
            overrides = (*set_overrides(row), *crn)
            for arm_number, (arm, path) in enumerate(self.arms.items()):
                index = int(point) * len(self.arms) + arm_number
                try:
                    scenario = load_scenario_with_values(path, overrides, source)
                except ScenarioError as exc:
                    raise ScenarioError(
                        exc.source, exc.key, f"{exc.problem} (in {arm}, point {point})"
                    ) from None
                columns = {SET_COLUMN: int(point), ARM_COLUMN: arm}
                cells.append(Cell(index, scenario, str(path), overrides, columns))
        return cells


def plan_fit(
    scenario: str | Path | None,
    targets: list[Target],
    settings: Settings,
    replications: int,
    targets_source: str,
) -> FitPlan:
    """Check the fit can run: the scenario's uncertain inputs, its target rows (a fitted
    row has both standard deviations and no ``below``), the settings; one-line errors."""
    path = resolve_scenario_path(scenario)
    base = load_scenario_with_values(path, ())
    uncertain_keys(base, str(path))
    if replications < 1:
        raise UserError(f"reps {replications}: at least 1", option="reps")
    rows = [
        FitTarget(number, t) for number, t in enumerate(targets, start=1) if t.scenario == base.name
    ]
    if not rows:
        raise UserError(f"{targets_source}: no target rows for scenario {base.name!r}")
    for row in rows:
        t = row.target
        where = f"target[{row.row}]"
        if t.fit and t.below is not None:
            raise ScenarioError(
                targets_source,
                f"{where}.fit",
                "a row with `below` compares two KPIs and cannot be fitted: set fit = false",
            )
        for key in ("observation_sd", "discrepancy_sd"):
            if t.fit and getattr(t, key) is None:
                raise ScenarioError(targets_source, f"{where}.{key}", "a fitted row needs it")
    fitted = [row for row in rows if row.target.fit]
    if not fitted:
        raise UserError(f"{targets_source}: no row of {base.name!r} has fit = true")
    settings.check(len(fitted))
    arms = {base.name: path}
    for row in rows:
        against = row.target.against
        if against is not None and against not in arms:
            arms[against] = resolve_scenario_path(against)
    return FitPlan(base, path, arms, rows, settings, replications, targets_source)


def point_values(plan: FitPlan, table: pd.DataFrame) -> pd.DataFrame:
    """Each point's value of every target (and margin), a row per point (``set``), from
    the cells' rows (a row per cell and replication)."""
    arms = list(plan.arms)
    by_arm = {
        arm: table[table[ARM_COLUMN] == arm].set_index([SET_COLUMN, REPLICATION_COLUMN])
        for arm in arms
    }
    base = by_arm[arms[0]]
    points = sorted(set(table[SET_COLUMN]))
    columns: dict[str, Any] = {}
    for row in plan.targets:
        t = row.target
        means = _mean_by_point(base, t.kpi, points)
        if t.against is None:
            columns[row.name] = means
        else:
            other = by_arm[t.against]
            columns[row.name] = [_paired_change(base, other, t.kpi, point) for point in points]
        if row.margin is not None and t.below is not None:
            columns[row.margin] = np.array(means) - np.array(_mean_by_point(base, t.below, points))
    frame = pd.DataFrame(columns, index=pd.Index(points, name=SET_COLUMN))
    return frame


def _mean_by_point(rows: pd.DataFrame, kpi: str, points: list[int]) -> list[float]:
    if kpi not in rows.columns:
        raise UserError(f"no KPI {kpi!r} in the fit's runs (a year beyond the horizon?)")
    means = rows[kpi].astype(float).groupby(level=SET_COLUMN).mean()
    return [float(means.get(point, np.nan)) for point in points]


def _paired_change(base: pd.DataFrame, other: pd.DataFrame, kpi: str, point: int) -> float:
    """The change from ``other`` (the base scenario of the comparison) to ``base`` (the
    fitted scenario), replication by replication, over ``other``'s mean."""
    if kpi not in other.columns or kpi not in base.columns:
        raise UserError(f"no KPI {kpi!r} in the fit's runs (a year beyond the horizon?)")
    fitted = base.loc[point, kpi].astype(float)
    compared = other.loc[point, kpi].astype(float).reindex(fitted.index)
    mean = float(compared.mean())
    return float((fitted - compared).mean() / mean) if mean else float("nan")


def checks_table(plan: FitPlan, prior_runs: pd.DataFrame, kept_runs: pd.DataFrame) -> pd.DataFrame:
    """Per target: its role, errors, the prior and calibrated 5-95% intervals over runs
    (wave 1; the final wave's non-implausible runs) and whether it passes: the
    calibrated median in the range (and, for a ``below`` row, the margin's median < 0)."""
    from simdivert.experiments.calibration import in_range

    rows = []
    for row in plan.targets:
        t = row.target
        prior = quantile_interval(prior_runs[row.name].to_numpy(float), LOW_QUANTILE, HIGH_QUANTILE)
        low, median, high = quantile_interval(
            kept_runs[row.name].to_numpy(float) if len(kept_runs) else np.array([]),
            LOW_QUANTILE,
            HIGH_QUANTILE,
        )
        passed = in_range(t, median)
        if row.margin is not None:
            margin = quantile_interval(
                kept_runs[row.margin].to_numpy(float) if len(kept_runs) else np.array([])
            )[1]
            passed = passed and margin < 0
        rows.append(
            {
                "row": row.row,
                "figure": t.figure,
                "kpi": t.kpi,
                "against": t.against,
                "below": t.below,
                "target": t.target,
                "range": t.range_text().replace("`", ""),
                "source": t.source,
                "role": row.role,
                "set_by": t.set_by,
                "observation_sd": t.observation_sd,
                "discrepancy_sd": t.discrepancy_sd,
                "unit": t.unit,
                "prior_low": prior[0],
                "prior_high": prior[2],
                "fitted_low": low,
                "fitted_median": median,
                "fitted_high": high,
                "passed": bool(passed),
            }
        )
    return pd.DataFrame(rows)


def markdown_checks(checks: pd.DataFrame, header: list[str]) -> str:
    """The per-target table for ``docs/VALIDATION.md``: fitted rows, then the tests."""
    lines = [*header, ""]
    lines += [
        "| figure | target | range | source | observation sd | discrepancy sd | role "
        "| prior 5–95% | calibrated 5–95% (median) | pass |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    ordered = pd.concat([checks[checks["role"] == role] for role in ROLES])
    for _, c in ordered.iterrows():
        unit = c["unit"]

        def fmt(value: Any, unit: str = unit) -> str:
            return format_with_unit(None if pd.isna(value) else float(value), unit)

        sd_unit = "share" if unit == "change" else unit  # an sd of a change is in points
        lines.append(
            f"| {c['figure']} (`{c['kpi']}`) | {c['target']} | {c['range']} | {c['source']} "
            f"| {fmt(c['observation_sd'], sd_unit)} | {fmt(c['discrepancy_sd'], sd_unit)} "
            f"| {_role_text(c)} | {fmt(c['prior_low'])} – {fmt(c['prior_high'])} "
            f"| {fmt(c['fitted_low'])} – {fmt(c['fitted_high'])} ({fmt(c['fitted_median'])}) "
            f"| {'yes' if c['passed'] else '**no**'} |"
        )
    fitted, tests, plausible, echoes = (
        checks[checks["role"].isin(roles)]
        for roles in ([FITTED], [TEST], [PLAUSIBILITY], [ECHOED, BY_HAND])
    )
    lines += [
        "",
        f"**Fitted targets: {len(fitted)}**, of which {int(fitted['passed'].sum())} pass. "
        f"**Tests (published figures not used to set anything, in the fit or by hand): "
        f"{len(tests)}**, of which {int(tests['passed'].sum())} pass. Not counted as "
        f"evidence: {len(plausible)} plausibility checks (no published figure; "
        f"{int(plausible['passed'].sum())} pass) and {len(echoes)} rows that echo an input "
        f"or were fitted by hand outside the fit ({int(echoes['passed'].sum())} pass).",
    ]
    return "\n".join(lines) + "\n"


def _role_text(check: pd.Series) -> str:
    if check["role"] in (ECHOED, BY_HAND):
        return f"{check['role']}: `{check['set_by']}`"
    return str(check["role"])
