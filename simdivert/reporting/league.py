"""A comparison's league table: the schemes side by side, one row per KPI (referrals,
completions, waits, provider cost, police hours by each method, formal outcomes, the
equity measure), each scheme's mean and its paired difference from the base with the
95% CI (and, compared with uncertainty, the difference's 90% prediction interval over
the same parameter sets x replications). The terminal (``simdivert compare``) and the
report show the same rows."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from simdivert.kpis import LEAGUE_KPIS, kpi_label, kpi_unit, latest_policy_year
from simdivert.numbers import with_minus

PREDICTION_DIFFERENCES = ("diff_pi_low", "diff_pi_high")  # comparison.csv, with uncertainty


@dataclass(frozen=True)
class LeagueCell:
    """One scheme's mean of a KPI and its paired difference from the base (NaN: none)."""

    mean: float
    diff: float
    diff_low: float
    diff_high: float
    diff_pi_low: float = math.nan  # compared with uncertainty: the 90% PI of the difference
    diff_pi_high: float = math.nan

    @property
    def clear(self) -> bool:
        """Whether the difference's 95% CI excludes zero."""
        return not math.isnan(self.diff_low) and (self.diff_low > 0 or self.diff_high < 0)


@dataclass(frozen=True)
class LeagueRow:
    kpi: str
    label: str
    unit: str
    cells: dict[str, LeagueCell]


def league_rows(table: pd.DataFrame, names: list[str]) -> list[LeagueRow]:
    """The league table's rows from a ``comparison.csv`` table, in :data:`LEAGUE_KPIS`
    order, ``names[0]`` the base; a KPI with no value for any scheme is left out."""
    present = set(table["kpi"])
    by_key = table.set_index(["kpi", "scenario"])
    rows = []
    for family in LEAGUE_KPIS:
        kpi = latest_policy_year(present, family)
        if kpi not in present:
            continue
        cells = {}
        for name in names:
            if (kpi, name) not in by_key.index:
                continue
            row = by_key.loc[(kpi, name)]
            columns = ["mean", "diff_mean", "diff_ci_low", "diff_ci_high"]
            columns += [c for c in PREDICTION_DIFFERENCES if c in row.index]
            mean, *difference = (float(row[c]) for c in columns)
            if name == names[0]:  # the base: no difference from itself
                difference = [math.nan] * len(difference)
            cells[name] = LeagueCell(mean, *difference)
        if any(not math.isnan(cell.mean) for cell in cells.values()):
            rows.append(LeagueRow(kpi, kpi_label(kpi), kpi_unit(kpi), cells))
    return rows


PERCENT_UNITS = ("share", "ratio")


def unit_heading(unit: str) -> str:
    """A row's unit as its label shows it: shares in percent, pounds as £."""
    return "%" if unit in PERCENT_UNITS else unit.replace("GBP", "£")


def _number(value: float, unit: str, signed: bool = False) -> str:
    if unit in PERCENT_UNITS:
        value *= 100
    text = f"{value:+,.1f}" if signed and abs(value) < 100 else f"{value:,.1f}"
    if abs(value) >= 100:
        text = f"{value:+,.0f}" if signed else f"{value:,.0f}"
    return with_minus(text)


def mean_text(cell: LeagueCell, unit: str) -> str:
    """A scheme's mean as the league table shows it (shares in percent)."""
    return "–" if math.isnan(cell.mean) else _number(cell.mean, unit)


def difference_text(cell: LeagueCell, unit: str) -> str:
    """The paired difference from the base and its 95% CI (shares in percentage points),
    then its 90% PI when compared with uncertainty."""
    if math.isnan(cell.diff):
        return ""
    points = " pts" if unit in PERCENT_UNITS else ""
    interval = (
        ""
        if math.isnan(cell.diff_low)
        else f" ({_number(cell.diff_low, unit)} to {_number(cell.diff_high, unit)})"
    )
    if not math.isnan(cell.diff_pi_low):
        interval += (
            f"; 90% PI {_number(cell.diff_pi_low, unit)} to {_number(cell.diff_pi_high, unit)}"
        )
    return f"Δ {_number(cell.diff, unit, signed=True)}{points}{interval}"
