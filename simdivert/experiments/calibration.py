"""Validation against published figures: a table of targets, checked on replications.

The targets are data (``calibration_targets.toml`` in the package, or a file of the
same form): one row per (scenario, KPI, range, source). :func:`run_calibration` runs
each scenario named in the table and checks every row. Three kinds of row:

* a KPI of one scenario: passes when the model's mean over replications lies in the
  range (with ``whole_ci``, when the whole 95% confidence interval does);
* with ``below``: also under the mean of another KPI of the same scenario;
* with ``against``: the relative change of the KPI from another scenario, on common
  random numbers (:func:`simdivert.experiments.replications.paired_comparison`): the paired mean
  difference over the other scenario's mean, with the paired difference's interval
  scaled the same way. Both scenarios run with the same seed and replications.

The results are a tidy table (CSV) and a markdown table that ``simdivert calibrate
--write-docs`` puts between markers in ``docs/VALIDATION.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, ValidationError, model_validator

from simdivert.errors import ScenarioError, UserError
from simdivert.experiments.executors import Executor
from simdivert.experiments.replications import RunResult, paired_comparison, run_replications
from simdivert.kpis import is_kpi, kpi_unit
from simdivert.numbers import CHANGE, format_with_unit
from simdivert.scenario.files import load_scenario, read_toml
from simdivert.scenario.schema import StrictModel

CONFIDENCE = 0.95


def default_targets_path() -> Path:
    """The targets shipped with simdivert."""
    return Path(str(resources.files("simdivert.experiments") / "calibration_targets.toml"))


class Target(StrictModel):
    """One published figure (or plausibility bound) a scenario must reproduce."""

    scenario: Annotated[str, Field(min_length=1)]
    figure: Annotated[str, Field(min_length=1)]
    kpi: str
    target: str
    low: float | None = None
    high: float | None = None
    below: str | None = None
    against: str | None = None
    whole_ci: bool = False
    source: Annotated[str, Field(min_length=1)]
    # For ``calibrate --fit`` (docs/MODEL.md §5.3): used in the fit, or held
    # out as a test; the published figure's observation error and the model's
    # discrepancy from it, as standard deviations in the KPI's units (a fitted row needs both).
    fit: bool = True
    observation_sd: Annotated[float, Field(gt=0)] | None = None
    discrepancy_sd: Annotated[float, Field(ge=0)] | None = None
    # What a row held out of the fit is evidence of: a *test* (nothing was set for it), a
    # *plausibility* check (no published figure), or none, because it repeats an input
    # (*input echoed*) or a parameter outside the fit was chosen by hand to meet it
    # (*fitted by hand*); those two name the input or parameter in ``set_by``.
    evidence: Literal["test", "plausibility", "input echoed", "fitted by hand"] = "test"
    set_by: Annotated[str, Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _checkable(self) -> Target:
        for kpi in (self.kpi, self.below):
            if kpi is not None and not is_kpi(kpi):
                raise ValueError(f"unknown KPI {kpi!r}")
        if self.fit and self.evidence != "test":
            raise ValueError(f"evidence: a fitted row is fitted, not {self.evidence!r}")
        if (self.evidence in ("input echoed", "fitted by hand")) != (self.set_by is not None):
            raise ValueError(
                "set_by names the input of a row whose evidence is "
                "'input echoed' or 'fitted by hand', and only of those"
            )
        if self.low is None and self.high is None and self.below is None:
            raise ValueError("give at least one of low, high, below")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        if self.against is not None and self.below is not None:
            raise ValueError("a row compares against another scenario or another KPI, not both")
        if self.against == self.scenario:
            raise ValueError(f"against: {self.against!r} is the row's own scenario")
        return self

    @property
    def unit(self) -> str:
        return CHANGE if self.against is not None else kpi_unit(self.kpi)

    @property
    def scenarios(self) -> tuple[str, ...]:
        """The scenarios this row needs: the base of a comparison first."""
        return (self.against, self.scenario) if self.against is not None else (self.scenario,)

    def range_text(self) -> str:
        """The range checked, in the KPI's own format."""
        parts = []
        if self.low is not None and self.high is not None:
            low, high = (format_with_unit(v, self.unit) for v in (self.low, self.high))
            parts.append(f"{low} to {high}")
        elif self.low is not None:
            parts.append(f"≥ {format_with_unit(self.low, self.unit)}")
        elif self.high is not None:
            parts.append(f"≤ {format_with_unit(self.high, self.unit)}")
        if self.below is not None:
            parts.append(f"< `{self.below}`")
        if self.against is not None:
            parts.append(f"against `{self.against}` (paired)")
        if self.whole_ci:
            parts.append("whole CI")
        return ", ".join(parts)


class _TargetFile(StrictModel):
    target: Annotated[list[Target], Field(min_length=1)]


def load_targets(path: Path | None = None) -> list[Target]:
    """Read and validate a targets file; errors name the file, the row and the key."""
    path = default_targets_path() if path is None else path
    data = read_toml(path)  # a bounded regular UTF-8 file, else one line naming it
    try:
        return _TargetFile.model_validate(data).target
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        if len(loc) >= 2 and loc[0] == "target" and loc[1].isdigit():
            loc[:2] = [f"target[{int(loc[1]) + 1}]"]  # rows counted from 1, as in the file
        problem = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            problem = "unknown key"
        raise ScenarioError(str(path), ".".join(loc) or None, problem) from None


@dataclass(frozen=True)
class Check:
    """One target against the model: mean and confidence interval over replications."""

    target: Target
    mean: float
    ci_low: float
    ci_high: float
    passed: bool


@dataclass(frozen=True)
class ScenarioRun:
    """How a scenario was run for the checks."""

    scenario: str
    replications: int
    seed: int
    years: float
    warmup_days: float
    launch_after_days: float


def in_range(target: Target, value: float) -> bool:
    if math.isnan(value):
        return False
    if target.low is not None and value < target.low:
        return False
    return target.high is None or value <= target.high


def _require_kpis(target: Target, summary: pd.DataFrame) -> None:
    for kpi in (target.kpi, target.below):
        if kpi is not None and kpi not in summary.index:
            raise UserError(
                f"{target.scenario}: no KPI {kpi!r} in its run (a year beyond its horizon?)"
            )


def check(target: Target, summary: pd.DataFrame) -> Check:
    """Compare a one-scenario target with the scenario's summary (indexed by KPI)."""
    _require_kpis(target, summary)
    mean, low, high = (float(summary.loc[target.kpi, c]) for c in ("mean", "ci_low", "ci_high"))
    passed = in_range(target, mean)
    if target.whole_ci:
        passed &= in_range(target, low) and in_range(target, high)
    if target.below is not None:
        passed &= mean < float(summary.loc[target.below, "mean"])
    return Check(target, mean, low, high, bool(passed))


def check_against(target: Target, base: RunResult, other: RunResult) -> Check:
    """A relative-change target: the paired difference over the base scenario's mean."""
    _require_kpis(target, base.summary.set_index("kpi"))
    rows = paired_comparison([base, other], ["base", "other"]).set_index(["scenario", "kpi"])
    base_mean = float(rows.loc[("base", target.kpi), "mean"])
    change = rows.loc[("other", target.kpi)]
    mean, low, high = (
        float(change[c]) / base_mean if base_mean else math.nan
        for c in ("diff_mean", "diff_ci_low", "diff_ci_high")
    )
    passed = in_range(target, mean)
    if target.whole_ci:
        passed &= in_range(target, low) and in_range(target, high)
    return Check(target, mean, low, high, bool(passed))


def run_calibration(
    targets: list[Target],
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
) -> tuple[list[Check], list[ScenarioRun]]:
    """Run every scenario the targets name (its own run settings unless overridden) on
    ``executor`` (None: in this process).

    Raises UserError, before running anything, if a paired row's two scenarios would
    run with different seeds or replications (common random numbers need the same).
    """
    runs: dict[str, ScenarioRun] = {}
    scenarios = {}
    for name in dict.fromkeys(n for t in targets for n in t.scenarios):
        scenario = scenarios[name] = load_scenario(name)
        runs[name] = ScenarioRun(
            name,
            replications if replications is not None else scenario.run.replications,
            seed if seed is not None else scenario.run.seed,
            scenario.run.years,
            scenario.run.warmup_days,
            scenario.policy.launch_after_days,
        )
    for target in targets:
        if target.against is not None:
            base, other = runs[target.against], runs[target.scenario]
            if (base.seed, base.replications) != (other.seed, other.replications):
                raise UserError(
                    f"{target.scenario} against {target.against}: a paired check needs the "
                    "same seed and replications in both scenarios (give --seed and --reps)"
                )
    experiments = {
        name: run_replications(scenarios[name], run.replications, run.seed, executor)
        for name, run in runs.items()
    }
    summaries = {name: e.summary.set_index("kpi") for name, e in experiments.items()}
    checks = [
        check(target, summaries[target.scenario])
        if target.against is None
        else check_against(target, experiments[target.against], experiments[target.scenario])
        for target in targets
    ]
    return checks, list(runs.values())


def checks_table(checks: list[Check]) -> pd.DataFrame:
    """The tidy results table (``calibration.csv``)."""
    return pd.DataFrame(
        [
            {
                "scenario": c.target.scenario,
                "figure": c.target.figure,
                "kpi": c.target.kpi,
                "target": c.target.target,
                "low": c.target.low,
                "high": c.target.high,
                "below": c.target.below,
                "against": c.target.against,
                "whole_ci": c.target.whole_ci,
                "source": c.target.source,
                "mean": c.mean,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "unit": c.target.unit,
                "passed": c.passed,
            }
            for c in checks
        ]
    )


def markdown_table(checks: list[Check], runs: list[ScenarioRun], version: str, made_on: str) -> str:
    """The results as a markdown section: how they were made, then one row per target."""
    lines = [
        f"Made by `simdivert calibrate` on {made_on} (simdivert {version}); a target passes "
        "when the model mean lies in the range checked (with *whole CI*, when the whole "
        f"interval does). CI: {CONFIDENCE:.0%} t-interval over replications; for a change "
        "against another scenario (paired, on common random numbers), the interval of the "
        "paired difference over the other scenario's mean.",
        "",
    ]
    for run in runs:
        lines.append(
            f"- `{run.scenario}`: {run.replications} replications, seed {run.seed}; "
            f"{run.warmup_days:g} warm-up days, then {run.years:g} measured year(s), the "
            f"launch {run.launch_after_days:g} days in"
        )
    lines += [
        "",
        "| scenario | figure | target | range checked | source | model mean | 95% CI | pass |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        unit = c.target.unit
        interval = f"{format_with_unit(c.ci_low, unit)} – {format_with_unit(c.ci_high, unit)}"
        lines.append(
            f"| {c.target.scenario} | {c.target.figure} (`{c.target.kpi}`) | {c.target.target} "
            f"| {c.target.range_text()} | {c.target.source} | {format_with_unit(c.mean, unit)} "
            f"| {interval} | {'yes' if c.passed else '**no**'} |"
        )
    passed = sum(c.passed for c in checks)
    lines += ["", f"{passed} of {len(checks)} checks pass."]
    return "\n".join(lines) + "\n"
