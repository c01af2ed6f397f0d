"""The headline KPIs in plain words, each with its 95% confidence interval.

Sentences are derived from the output files alone and say exactly what the KPI
measures (who is counted, from when to when). A KPI missing from the files, or
undefined in the run (NaN), gives no sentence. Waits are checked against the scenario's
targets: a target is met only when the whole confidence interval is within it. Police
hours are always given by named method: published (every referral counted as an
arrest avoided), adjusted (the outcome each find would otherwise have had) and, in a
comparison, simulated (all officer hours on possession finds against the base).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from simdivert.clock import DAYS_PER_YEAR
from simdivert.kpis import (
    CATALOGUE,
    COMPARED_KPIS,
    FORMAL_OUTCOME_KPIS,
    GROUP_SHARE_PREFIX,
    HEADLINE_KPIS,
    group_words,
    kpi_label,
    kpi_unit,
    latest_policy_year,
    split_year,
    year_words,
)
from simdivert.numbers import count, days, format_value, money, percent, with_minus
from simdivert.outputs.readers import (
    Comparison,
    SweepSummary,
)
from simdivert.reporting.sweep_design import LABEL, cell_rows, key_words, sweep_design
from simdivert.scenario.schema import TargetSettings

WEEKS_PER_YEAR = DAYS_PER_YEAR / 7
MET, MISSED, TOO_CLOSE = "met", "missed", "too close to call"


def pick_kpis(available: pd.Series, limit: int = len(HEADLINE_KPIS)) -> list[str]:
    """The headline KPIs present, in headline order; else the first ones in the file."""
    present = list(dict.fromkeys(available))
    chosen = [k for k in HEADLINE_KPIS if k in present]
    return (chosen or present)[:limit]


@dataclass(frozen=True)
class Estimate:
    """A KPI's mean and 95% confidence interval (NaN bounds: a single replication)."""

    mean: float
    low: float
    high: float

    @property
    def has_interval(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))


@dataclass(frozen=True)
class Headline:
    """One sentence about one KPI, and whether it meets its target (None: no target).

    In a comparison, ``scenario`` names the scenario the sentence is about.
    """

    kpi: str
    text: str
    verdict: str | None = None
    scenario: str | None = None


def estimates(summary: pd.DataFrame) -> dict[str, Estimate]:
    """The defined KPIs of a summary table, by name."""
    return {
        row.kpi: Estimate(float(row.mean), float(row.ci_low), float(row.ci_high))
        for row in summary.itertuples()
        if not pd.isna(row.mean)
    }


def in_ten(share: float) -> str:
    """``about 8 in 10``; ``about 3 in 100`` when tenths would round a small share away."""
    if 0.095 <= share <= 0.905:
        return f"about {round(share * 10)} in 10"
    return f"about {round(share * 100)} in 100"


def interval(estimate: Estimate, fmt: Callable[[float], str], unit: str = "") -> str:
    """``95% CI 8.8 to 9.0 days``; says so when a single replication gives no interval."""
    if not estimate.has_interval:
        return "one replication, so no confidence interval"
    low, high = fmt(estimate.low), fmt(estimate.high)
    if low == high:
        return f"95% CI rounds to {low}{unit}"
    return f"95% CI {low} to {high}{unit}"


def _one_decimal(value: float) -> str:
    return f"{value:.1f}"


def share_decimals(estimate: Estimate) -> int:
    """Whole percentages, unless the interval is narrower than a percentage point."""
    narrow = estimate.has_interval and (estimate.high - estimate.low) < 0.01
    return 1 if narrow else 0


def target_verdict(estimate: Estimate, target: float) -> str:
    """Met if the whole interval is within the target, missed if all of it is beyond."""
    low, high = (estimate.low, estimate.high) if estimate.has_interval else (estimate.mean,) * 2
    if high <= target:
        return MET
    if low > target:
        return MISSED
    return TOO_CLOSE


def _share_sentence(estimate: Estimate, subject: str) -> str:
    decimals = share_decimals(estimate)
    pct = percent(estimate.mean, decimals)
    ci = interval(estimate, lambda v: percent(v, decimals))
    return f"{in_ten(estimate.mean).capitalize()} {subject} ({pct}; {ci})"


def _wait_headline(
    kpi: str, estimate: Estimate, subject: str, since: str, target: float
) -> Headline:
    """``9 in 10 <subject> within <days> <since> (CI); the target is ...`` and its verdict."""
    return Headline(
        kpi,
        f"9 in 10 {subject} within {days(estimate.mean)} {since} "
        f"({interval(estimate, _one_decimal, ' days')}); the target is 9 in 10 within "
        f"{target:g} days.",
        target_verdict(estimate, target),
    )


def _wait_headlines(kpis: dict[str, Estimate], targets: TargetSettings) -> list[Headline]:
    lines = []
    if "assessment_wait_p90_days" in kpis:
        lines.append(
            _wait_headline(
                "assessment_wait_p90_days",
                kpis["assessment_wait_p90_days"],
                "people who had an assessment call had it",
                "of being referred",
                targets.assessment_wait_p90_days,
            )
        )
    if "course_wait_p90_days" in kpis:
        lines.append(
            _wait_headline(
                "course_wait_p90_days",
                kpis["course_wait_p90_days"],
                "people booked onto a group course had their first session",
                "of their assessment",
                targets.course_wait_p90_days,
            )
        )
    return lines


def _without_scheme_headlines(kpis: dict[str, Estimate]) -> list[Headline]:
    """A run with no diversion scheme: nobody is referred; what the police do instead."""
    lines = [
        Headline(
            "referrals_per_year",
            "There is no diversion scheme in this scenario: nobody is referred, and recorded "
            "possession finds get formal or out-of-court outcomes only.",
        )
    ]
    parts = [
        f"{count(kpis[kpi].mean)} {CATALOGUE[kpi].label} ({interval(kpis[kpi], count)})"
        for kpi in FORMAL_OUTCOME_KPIS
        if kpi in kpis
    ]
    if parts:
        text = f"Over the measured period, possession finds lead to {', '.join(parts)} a year"
        hours = kpis.get("police_hours_per_year")
        if hours is not None:
            text += (
                f"; officers spend about {count(hours.mean)} hours a year on possession finds "
                f"({interval(hours, count)})"
            )
        lines.append(Headline("charges_per_year", text + "."))
    return lines


def headlines(
    summary: pd.DataFrame, targets: TargetSettings, diversion: bool = True
) -> list[Headline]:
    """Plain-words sentences for the headline KPIs present in a run's summary."""
    # Imported here: the downstream sentences are built from this module's pieces.
    from simdivert.reporting.outcome_headlines import (
        court_headlines,
        downstream_headlines,
        equity_headlines,
    )

    kpis = estimates(summary)
    names = list(summary["kpi"])
    if not diversion:
        return [
            *_without_scheme_headlines(kpis),
            *court_headlines(kpis),
            *equity_headlines(kpis, names),
        ]
    lines: list[Headline] = []
    referrals = kpis.get("referrals_per_year")
    if referrals is not None:
        if referrals.mean == 0:
            return [Headline("referrals_per_year", "Nobody is referred to the provider.")]
        lines.append(
            Headline(
                "referrals_per_year",
                f"About {count(referrals.mean)} people a year are referred to the provider "
                f"while the scheme runs ({interval(referrals, count)}), about "
                f"{count(referrals.mean / WEEKS_PER_YEAR)} a week.",
            )
        )
    uplift = kpis.get("recording_uplift")
    if uplift is not None and uplift.mean != 0:
        lines.append(
            Headline(
                "recording_uplift",
                f"Recorded possession offences are {percent(uplift.mean, 1)} higher than "
                f"without the policy ({interval(uplift, lambda v: percent(v, 1))}): finds that "
                "would have had an informal word are now recorded and referred.",
            )
        )
    if "share_assessed" in kpis:
        lines.append(
            Headline(
                "share_assessed",
                _share_sentence(kpis["share_assessed"], "people referred complete the assessment")
                + ".",
            )
        )
    lines.extend(_wait_headlines(kpis, targets))
    if "one_to_one_wait_mean_days" in kpis:
        wait = kpis["one_to_one_wait_mean_days"]
        lines.append(
            Headline(
                "one_to_one_wait_mean_days",
                f"People who need a one-to-one wait {days(wait.mean)} on average after their "
                f"assessment ({interval(wait, _one_decimal, ' days')}).",
            )
        )
    if "share_completed" in kpis:
        text = _share_sentence(
            kpis["share_completed"], "people referred complete the diversion by the end of the run"
        )
        still = kpis.get("share_in_system_at_end")
        if still is not None:
            text += f"; {percent(still.mean)} are still in the pathway when the run ends"
        lines.append(Headline("share_completed", text + "."))
    lines.extend(_police_headlines(kpis))
    lines.extend(_cost_headlines(kpis))
    lines.extend(_provider_headlines(kpis))
    lines.extend(downstream_headlines(kpis, names))
    return lines


PUBLISHED_WORDS = "the published method, which counts every referral as an arrest avoided"
ADJUSTED_WORDS = (
    "the adjusted method, which counts the officer time of the outcome each find would "
    "otherwise have had, less the referral"
)


def _police_headlines(
    kpis: dict[str, Estimate],
    simulated: Estimate | None = None,
    simulated_words: str = "",
    scenario: str | None = None,
) -> list[Headline]:
    """Police hours saved a year by each method, each named for what it counts."""
    published = kpis.get("police_hours_saved_published_per_year")
    adjusted = kpis.get("police_hours_saved_adjusted_per_year")
    if published is None or adjusted is None:
        return []
    ratio = ""
    if published.mean > 0:
        ratio = f", {percent(adjusted.mean / published.mean)} of the published figure"
    text = (
        "Police officer hours saved a year while the scheme runs: "
        f"{count(published.mean)} by {PUBLISHED_WORDS} ({interval(published, count)}); "
        f"{count(adjusted.mean)} by {ADJUSTED_WORDS} ({interval(adjusted, count)}){ratio}"
    )
    if simulated is not None:
        text += (
            f"; {count(simulated.mean)} simulated, {simulated_words} ({interval(simulated, count)})"
        )
    return [Headline("police_hours_saved_adjusted_per_year", text + ".", scenario=scenario)]


def _cost_headlines(kpis: dict[str, Estimate], scenario: str | None = None) -> list[Headline]:
    """What the provider costs while the scheme runs, per completion, and police time in money."""
    cost = kpis.get("provider_cost_per_year")
    if cost is None:
        return []
    text = (
        f"The provider costs about {money(cost.mean)} a year while the scheme runs "
        f"({interval(cost, money)})"
    )
    per_completion = kpis.get("cost_per_completion")
    if per_completion is not None:
        text += (
            f", about {money(per_completion.mean)} for each person who completes "
            f"({interval(per_completion, money)})"
        )
    saved = kpis.get("police_cost_saved_per_year")
    if saved is not None:
        text += (
            f"; the officer time saved by the adjusted method is worth about "
            f"{money(saved.mean)} a year ({interval(saved, money)})"
        )
    return [Headline("provider_cost_per_year", text + ".", scenario=scenario)]


def _provider_headlines(kpis: dict[str, Estimate]) -> list[Headline]:
    lines = []
    for kpi, sentence in (
        ("drug_worker_utilisation", "Drug workers spend {} of their on-duty hours on client calls"),
        (
            "facilitator_utilisation",
            "Group facilitators spend {} of their contracted hours running and preparing sessions",
        ),
    ):
        share = kpis.get(kpi)
        if share is not None:
            decimals = share_decimals(share)
            ci = interval(share, functools.partial(percent, decimals=decimals))
            lines.append(Headline(kpi, f"{sentence.format(percent(share.mean, decimals))} ({ci})."))
    onward = kpis.get("onward_referrals_per_year")
    safeguarding = kpis.get("safeguarding_referrals_per_year")
    if onward is not None and safeguarding is not None:
        lines.append(
            Headline(
                "onward_referrals_per_year",
                f"Assessments lead to about {count(onward.mean)} onward referrals a year for "
                f"other needs such as mental health, housing or debt ({interval(onward, count)})"
                f", and about {count(safeguarding.mean)} safeguarding referrals "
                f"({interval(safeguarding, count)}).",
            )
        )
    return lines


def _number_in(value: float, unit: str) -> str:
    """A value of a KPI without its unit: shares in percent (points), counts rounded."""
    if unit in ("share", "ratio"):
        return with_minus(f"{value * 100:.1f}")
    if unit == "days":
        return with_minus(f"{value:.1f}")
    if unit.startswith("GBP"):
        return money(value)
    return count(value) if abs(value) >= 10 else with_minus(format_value(value))


def _unit_words(unit: str, difference: bool) -> str:
    if unit in ("share", "ratio"):
        return " percentage points" if difference else "%"
    if unit.startswith("GBP"):
        return " a year" if unit.endswith("/year") else ""
    return f" {unit}" if unit else ""


def _amount(value: float, unit: str, difference: bool = False) -> str:
    """A KPI value (or a difference) in words with its unit: ``3.1 days``, ``42.6%``."""
    return _number_in(value, unit) + _unit_words(unit, difference)


# --- A comparison -----------------------------------------------------------------------


def _scenario_estimates(table: pd.DataFrame, scenario: str) -> dict[str, Estimate]:
    return estimates(table[table["scenario"] == scenario])


def _differences(table: pd.DataFrame, scenario: str) -> dict[str, Estimate]:
    rows = table[(table["scenario"] == scenario) & table["diff_mean"].notna()]
    return {
        row.kpi: Estimate(float(row.diff_mean), float(row.diff_ci_low), float(row.diff_ci_high))
        for row in rows.itertuples()
    }


def _clear(difference: Estimate) -> bool:
    return difference.has_interval and (difference.low > 0 or difference.high < 0)


def _difference_words(difference: Estimate, unit: str) -> str:
    if not difference.has_interval:
        return "one replication, so no confidence interval"
    return (
        f"95% CI of the difference {_number_in(difference.low, unit)} to "
        f"{_amount(difference.high, unit, difference=True)}"
    )


def _formal_outcome_headlines(comparison: Comparison, scenario: str) -> list[Headline]:
    """The change in formal outcomes and in the most affected group's formal-outcome share."""
    table = comparison.table
    base, kpis = comparison.base, set(table["kpi"])
    mine = _scenario_estimates(table, scenario)
    theirs = _scenario_estimates(table, base)
    differences = _differences(table, scenario)
    parts = []
    year = ""
    for family in FORMAL_OUTCOME_KPIS:
        kpi = latest_policy_year(kpis, family)
        year = split_year(kpi)[1]
        before, after, change = theirs.get(kpi), mine.get(kpi), differences.get(kpi)
        if before is None or after is None or change is None or before.mean <= 0:
            continue
        direction = "fall" if change.mean < 0 else "rise"
        parts.append(
            f"{CATALOGUE[family].label} {direction} {abs(change.mean) / before.mean:.0%} "
            f"({count(before.mean)} → {count(after.mean)} a year; "
            f"{_difference_words(change, 'outcomes/year')})"
        )
    lines = []
    if parts:
        lines.append(
            Headline(
                "charges_per_year",
                f"Formal outcomes in {year_words(year)}, against {base} on the same finds: "
                + "; ".join(parts)
                + ".",
                scenario=scenario,
            )
        )
    shares = {
        kpi: estimate
        for kpi, estimate in theirs.items()
        if kpi.startswith(GROUP_SHARE_PREFIX) and split_year(kpi)[1] == year
    }
    if shares:
        # The group clearly highest under the base: by the lower end of its interval, so a
        # small group's noisy share does not stand in for the disproportionality.
        highest = max(
            shares, key=lambda k: shares[k].low if shares[k].has_interval else shares[k].mean
        )
        after, change = mine.get(highest), differences.get(highest)
        if after is not None and change is not None:
            group = group_words(split_year(highest)[0].removeprefix(GROUP_SHARE_PREFIX))
            lines.append(
                Headline(
                    highest,
                    f"The formal-outcome share of {group}, the group with the highest share "
                    f"under {base} (lower end of its 95% CI), goes from "
                    f"{percent(shares[highest].mean, 1)} to {percent(after.mean, 1)} in "
                    f"{year_words(year)} ({_difference_words(change, 'share')}).",
                    scenario=scenario,
                )
            )
    return lines


def comparison_headlines(comparison: Comparison) -> list[Headline]:
    """Per scenario against the base: formal outcomes, police hours, costs, waits, and the
    pathway KPIs that differ clearly (the paired 95% CI excludes zero)."""
    table, base = comparison.table, comparison.base
    simulated = comparison.police_hours_saved_simulated().set_index("scenario")
    base_estimates = _scenario_estimates(table, base)
    from simdivert.reporting.outcome_headlines import downstream_headlines  # see headlines()

    lines: list[Headline] = []
    for scenario in comparison.others:
        mine = _scenario_estimates(table, scenario)
        lines.extend(_formal_outcome_headlines(comparison, scenario))
        saved = None
        words = ""
        if scenario in simulated.index and not math.isnan(simulated.loc[scenario, "mean"]):
            row = simulated.loc[scenario]
            saved = Estimate(float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))
            words = (
                f"all officer hours on possession finds under {base} less under {scenario}, "
                f"on the same finds, a year over {row['years']}"
            )
        lines.extend(_police_headlines(mine, saved, words, scenario))
        lines.extend(_cost_headlines(mine, scenario))
        lines.extend(downstream_headlines(mine, list(mine), scenario))
        for line in _wait_headlines(mine, comparison.scenarios[scenario].targets):
            lines.append(Headline(line.kpi, line.text, line.verdict, scenario))
        differences = _differences(table, scenario)
        unclear = []
        for kpi in COMPARED_KPIS:
            difference = differences.get(kpi)
            if difference is None or kpi not in base_estimates:
                continue
            if _clear(difference):
                unit = kpi_unit(kpi)
                direction = "higher" if difference.mean > 0 else "lower"
                lines.append(
                    Headline(
                        kpi,
                        f"{kpi_label(kpi).capitalize()}: {direction} by "
                        f"{_amount(abs(difference.mean), unit, difference=True)} than in "
                        f"{base} ({_difference_words(difference, unit)}).",
                        scenario=scenario,
                    )
                )
            else:
                unclear.append(kpi_label(kpi))
        if unclear:
            lines.append(
                Headline(
                    "comparison",
                    f"No clear difference from {base} in {', '.join(unclear)} "
                    "(the 95% CI of each difference includes zero).",
                    scenario=scenario,
                )
            )
    return lines


def sweep_headlines(sweep: SweepSummary, limit: int = 4) -> list[Headline]:
    """For the headline KPIs of a sweep, the cells where each is lowest and highest, each
    named by its label (variant, grid and sampled values)."""
    design = sweep_design(sweep)
    lines = []
    for kpi in pick_kpis(sweep.table["kpi"], limit):
        cells = cell_rows(design, sweep.table, kpi)
        cells = cells[cells["mean"].notna()]
        if cells.empty:
            continue
        low, high = cells.loc[cells["mean"].idxmin()], cells.loc[cells["mean"].idxmax()]
        unit = kpi_unit(kpi)
        lines.append(
            Headline(
                kpi,
                f"{kpi_label(kpi).capitalize()}: from {_amount(low['mean'], unit)} "
                f"({low[LABEL]}) to {_amount(high['mean'], unit)} ({high[LABEL]}) "
                f"across the {len(cells)} cells.",
            )
        )
    return lines


def sensitivity_headlines(one_at_a_time: pd.DataFrame, kpis: list[str]) -> list[Headline]:
    """For each KPI, the factor with the largest one-at-a-time swing, in words."""
    lines = []
    for kpi in kpis:
        rows = one_at_a_time[(one_at_a_time["kpi"] == kpi) & one_at_a_time["swing"].notna()]
        if rows.empty:
            continue
        top = rows.loc[rows["swing"].abs().idxmax()]
        unit = kpi_unit(kpi)
        swing = Estimate(top["swing"], top["swing_ci_low"], top["swing_ci_high"])
        lines.append(
            Headline(
                kpi,
                f"{kpi_label(kpi).capitalize()} moves most with {key_words(top['factor'])}: from "
                f"{_amount(top['mean_at_low'], unit)} at {top['low']:g} to "
                f"{_amount(top['mean_at_high'], unit)} at {top['high']:g}: a change of "
                f"{_amount(swing.mean, unit, difference=True)} "
                f"({_difference_words(swing, unit)}).",
            )
        )
    return lines
