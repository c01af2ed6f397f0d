"""The headline KPIs of a run in plain words, each with its 95% confidence interval.

Sentences are derived from ``summary.csv`` alone and say exactly what the KPI measures
(who is counted, from when to when). A KPI missing from the summary, or undefined in the
run (NaN), gives no sentence. Waits are checked against the scenario's targets: a target
is met only when the whole confidence interval is within it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from simdivert.clock import DAYS_PER_YEAR
from simdivert.numbers import format_value
from simdivert.output_readers import SweepSummary, baseline_scenarios
from simdivert.results import KPI_UNITS
from simdivert.scenario import TargetSettings

WEEKS_PER_YEAR = DAYS_PER_YEAR / 7
MET, MISSED, TOO_CLOSE = "met", "missed", "too close to call"

KPI_LABELS = {
    "referrals_per_year": "referrals a year",
    "share_assessed": "share assessed",
    "share_completed": "share completing",
    "assessment_wait_mean_days": "mean wait to assessment",
    "assessment_wait_p90_days": "wait to assessment for 9 in 10",
    "course_wait_mean_days": "mean wait for a group session",
    "course_wait_p90_days": "wait for a group session for 9 in 10",
    "one_to_one_wait_mean_days": "mean wait for a one-to-one",
    "first_contact_wait_mean_days": "mean wait for first contact",
    "drug_worker_utilisation": "drug-worker utilisation",
    "facilitator_utilisation": "facilitator utilisation",
    "group_session_fill_rate": "group-session places filled",
    "police_hours_saved_published_per_year": "police hours saved (published method)",
    "police_hours_saved_adjusted_per_year": "police hours saved (adjusted)",
    "recording_uplift": "recording uplift",
    "onward_referrals_per_year": "onward referrals a year",
    "safeguarding_referrals_per_year": "safeguarding referrals a year",
    "charges_per_year": "charges",
    "cautions_per_year": "cautions",
    "cannabis_warnings_per_year": "cannabis warnings",
    "penalty_notices_per_year": "penalty notices",
    "community_resolutions_per_year": "community resolutions",
}
# KPIs a comparison or sweep shows first, when present.
HEADLINE_KPIS = (
    "referrals_per_year",
    "assessment_wait_p90_days",
    "course_wait_p90_days",
    "share_assessed",
    "share_completed",
    "drug_worker_utilisation",
    "facilitator_utilisation",
    "police_hours_saved_adjusted_per_year",
)


def kpi_label(kpi: str) -> str:
    """A KPI's name in words."""
    return KPI_LABELS.get(kpi, kpi.replace("_", " "))


def kpi_unit(kpi: str) -> str:
    return KPI_UNITS.get(kpi, "")


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
    """One sentence about one KPI, and whether it meets its target (None: no target)."""

    kpi: str
    text: str
    verdict: str | None = None


def estimates(summary: pd.DataFrame) -> dict[str, Estimate]:
    """The defined KPIs of a summary table, by name."""
    return {
        row.kpi: Estimate(float(row.mean), float(row.ci_low), float(row.ci_high))
        for row in summary.itertuples()
        if not pd.isna(row.mean)
    }


def count(value: float) -> str:
    """A count in words: three significant figures, thousands separated."""
    if abs(value) < 10:
        return f"{value:.1f}".removesuffix(".0")
    magnitude = math.floor(math.log10(abs(value)))
    return f"{round(value, min(0, 2 - magnitude)):,.0f}"


def days(value: float) -> str:
    return f"{value:.0f} days" if abs(value) >= 20 else f"{value:.1f} days"


def percent(value: float, decimals: int = 0) -> str:
    return f"{value * 100:.{decimals}f}%"


def in_ten(share: float) -> str:
    """``about 8 in 10``; ``about 3 in 100`` when tenths would round a small share away."""
    if 0.095 <= share <= 0.905:
        return f"about {round(share * 10)} in 10"
    return f"about {round(share * 100)} in 100"


def interval(estimate: Estimate, fmt: Callable[[float], str], unit: str = "") -> str:
    """``95% CI 8.8 to 9.0 days``; says so when a single replication gives no interval."""
    if not estimate.has_interval:
        return "one replication, so no confidence interval"
    return f"95% CI {fmt(estimate.low)} to {fmt(estimate.high)}{unit}"


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


def headlines(summary: pd.DataFrame, targets: TargetSettings) -> list[Headline]:
    """Plain-words sentences for the headline KPIs present in a run's summary."""
    kpis = estimates(summary)
    lines: list[Headline] = []
    referrals = kpis.get("referrals_per_year")
    if referrals is not None:
        if referrals.mean == 0:
            return [Headline("referrals_per_year", "Nobody is referred to the provider.")]
        lines.append(
            Headline(
                "referrals_per_year",
                f"About {count(referrals.mean)} people a year are referred to the provider "
                f"({interval(referrals, count)}), about {count(referrals.mean / WEEKS_PER_YEAR)}"
                " a week.",
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
    lines.extend(_provider_headlines(kpis))
    return lines


def _police_headlines(kpis: dict[str, Estimate]) -> list[Headline]:
    published = kpis.get("police_hours_saved_published_per_year")
    adjusted = kpis.get("police_hours_saved_adjusted_per_year")
    if published is None or adjusted is None:
        return []
    ratio = ""
    if published.mean > 0:
        ratio = f", {percent(adjusted.mean / published.mean)} of the published figure"
    return [
        Headline(
            "police_hours_saved_adjusted_per_year",
            f"Police officer hours saved a year: {count(published.mean)} by the published "
            f"method, which counts every referral as an arrest avoided "
            f"({interval(published, count)}); {count(adjusted.mean)} counting the outcome "
            f"each find would otherwise have had ({interval(adjusted, count)})"
            f"{ratio}.",
        )
    ]


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
            ci = interval(share, lambda v, d=decimals: percent(v, d))
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
    if unit == "share":
        return f"{value * 100:.1f}"
    if unit == "days":
        return f"{value:.1f}"
    return count(value) if abs(value) >= 10 else format_value(value)


def _unit_words(unit: str, difference: bool) -> str:
    if unit == "share":
        return " percentage points" if difference else "%"
    return f" {unit}" if unit else ""


def _amount(value: float, unit: str, difference: bool = False) -> str:
    """A KPI value (or a difference) in words with its unit: ``3.1 days``, ``42.6%``."""
    return _number_in(value, unit) + _unit_words(unit, difference)


def comparison_headlines(comparison: pd.DataFrame) -> list[Headline]:
    """Per scenario, the headline KPIs that differ clearly from the baseline, in words.

    A difference is clear when its paired 95% CI excludes zero; the others are listed as
    within the noise.
    """
    baselines = baseline_scenarios(comparison)
    against = " and ".join(baselines) if baselines else "the baseline"
    kpis = pick_kpis(comparison["kpi"])
    lines = []
    others = comparison[~comparison["scenario"].astype(str).isin(baselines)]
    for scenario, rows in others.groupby("scenario", sort=False):
        unclear = []
        for row in rows.set_index("kpi").reindex(kpis).dropna(subset=["diff_mean"]).itertuples():
            label = kpi_label(row.Index)
            if row.diff_ci_low > 0 or row.diff_ci_high < 0:
                unit = kpi_unit(row.Index)
                direction = "higher" if row.diff_mean > 0 else "lower"
                lines.append(
                    Headline(
                        row.Index,
                        f"{scenario}: {label} is {direction} by "
                        f"{_amount(abs(row.diff_mean), unit, difference=True)} than in "
                        f"{against} (95% CI of the difference {_number_in(row.diff_ci_low, unit)}"
                        f" to {_amount(row.diff_ci_high, unit, difference=True)}).",
                    )
                )
            else:
                unclear.append(label)
        if unclear:
            lines.append(
                Headline(
                    "comparison",
                    f"{scenario}: no clear difference from {against} in {', '.join(unclear)} "
                    "(the 95% CI of each difference includes zero).",
                )
            )
    return lines


def sweep_headlines(sweep: SweepSummary, limit: int = 4) -> list[Headline]:
    """For the headline KPIs of a sweep, the cells where each is lowest and highest."""
    table = sweep.table
    lines = []
    for kpi in pick_kpis(table["kpi"], limit):
        cells = table[(table["kpi"] == kpi) & table["mean"].notna()]
        if cells.empty:
            continue
        low, high = cells.loc[cells["mean"].idxmin()], cells.loc[cells["mean"].idxmax()]

        def where(cell: pd.Series) -> str:
            return ", ".join(f"{p} = {cell[p]}" for p in sweep.parameters)

        unit = kpi_unit(kpi)
        lines.append(
            Headline(
                kpi,
                f"{kpi_label(kpi).capitalize()}: from {_amount(low['mean'], unit)} "
                f"({where(low)}) to {_amount(high['mean'], unit)} ({where(high)}) "
                f"across the {len(cells)} cells.",
            )
        )
    return lines
