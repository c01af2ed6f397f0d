"""The fixed parts of the report: the assumptions it lists, how it writes them, its styles.

Assumptions are read from the resolved scenario in a run's manifest by dotted key; a key
that an older or newer scenario does not have is left out rather than failing, so old
folders still make a report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _percent(value: Any) -> str:
    return f"{float(value) * 100:.3g}%"


def _mix(value: dict[str, Any], fmt: Callable[[Any], str]) -> str:
    return ", ".join(f"{name.replace('_', ' ')} {fmt(v)}" for name, v in value.items())


def _stream_map(value: dict[str, str]) -> str:
    """Substances mapped to a course stream (``course.streams``); the others go to the
    stream of their name, else general."""
    if not value:
        return "none: each to the stream of its name, else general"
    return ", ".join(
        f"{name.replace('_', ' ')} to {stream.replace('_', ' ')}" for name, stream in value.items()
    )


def _distribution(value: dict[str, Any]) -> str:
    params = ", ".join(f"{k} {_number(v)}" for k, v in value.items() if k != "dist")
    return f"{value.get('dist', '?')}: {params}"


def _working_hours(team: dict[str, Any]) -> str:
    days = team["working_days"]
    return (
        f"{', '.join(days)}, {team['day_start_hour']:05.2f}–{team['day_end_hour']:05.2f}".replace(
            ".", ":"
        )
    )


def _areas(areas: list[dict[str, Any]]) -> str:
    """Each area's share of demand and, for a rollout, when it goes live."""
    parts = []
    for area in areas:
        days = float(area.get("go_live_after_days", 0))
        when = "at launch" if days == 0 else f"{days:g} days after launch"
        parts.append(f"{area['name']} ({_percent(area['demand_share'])} of demand, {when})")
    return "; ".join(parts)


def _staffing(changes: list[dict[str, Any]]) -> str:
    """Each staffing change: from which measured day, and what changes."""
    if not changes:
        return "none"
    parts = []
    for change in changes:
        what = [
            f"{key.replace('_', ' ')} "
            + (_mix(value, _number) if isinstance(value, dict) else _number(value))
            for key, value in change.items()
            if key != "from_day" and value is not None
        ]
        parts.append(f"from day {_number(change['from_day'])}: {', '.join(what)}")
    return "; ".join(parts)


def _auto(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return _number(value)


def _pounds(value: Any) -> str:
    """A money figure: a number (old folders) or ``{amount, price_year}``."""
    if not isinstance(value, dict):
        return f"£{float(value):,.2f}".removesuffix(".00")
    text = _pounds(value["amount"])
    return f"{text} ({value['price_year']} prices)" if value.get("price_year") else text


FORMATS: dict[str, Callable[[Any], str]] = {
    "auto": _auto,
    "percent": _percent,
    "percent_mix": lambda v: _mix(v, _percent),
    "mix": lambda v: _mix(v, _number),
    "stream_map": _stream_map,
    "distribution": _distribution,
    "working_hours": _working_hours,
    "areas": _areas,
    "staffing": _staffing,
    "pounds": _pounds,
}

# (dotted key in the scenario, what it means, how to write it)
KEY_ASSUMPTIONS: tuple[tuple[str, str, str], ...] = (
    ("run.years", "Measured period (years)", "auto"),
    ("run.warmup_days", "Warm-up before measuring (days, not counted)", "auto"),
    ("run.start_date", "Start date (a Monday)", "auto"),
    ("policy.launch_after_days", "Scheme launches after this many measured days", "auto"),
    ("areas", "Areas", "areas"),
    ("demand.searches_per_year", "Stop and searches a year", "auto"),
    ("demand.drug_search_share", "Searches made for drugs", "percent"),
    ("demand.find_rate_drug_searches", "Drug searches that find drugs", "percent"),
    ("demand.find_rate_other_searches", "Other searches that find drugs", "percent"),
    ("demand.other_finds_per_year", "Possession finds a year from other encounters", "auto"),
    (
        "demand.personal_possession_share",
        "Finds that are personal possession (eligible)",
        "percent",
    ),
    (
        "demand.informal_share_without_policy",
        "Eligible finds that got only an informal word before the policy",
        "percent",
    ),
    ("demand.annual_growth", "Growth in finds a year", "percent"),
    ("policy.diversion", "Diversion policy in force", "auto"),
    ("policy.adoption.start_share", "Eligible finds offered diversion at launch", "percent"),
    ("policy.adoption.mature_share", "Eligible finds offered diversion once adopted", "percent"),
    ("policy.adoption.half_way_days", "Days for officers' adoption to get half way", "auto"),
    ("policy.accept_share", "Offers accepted at the scene", "percent"),
    ("policy.decided_in", "Where diversion is decided (scene or custody)", "auto"),
    ("policy.adults_only", "Adults only", "auto"),
    ("policy.youth.go_live_after_days", "Under-18 scheme live after (days)", "auto"),
    ("policy.youth.force_wide_after_days", "Under-18 scheme force-wide after (days)", "auto"),
    ("policy.end_after_days", "Fixed-term pilot ends after (days)", "auto"),
    ("policy.once_only", "Diversion offered once per person only", "auto"),
    ("policy.bar_after_disengagement_days", "Bar on re-offer after not engaging (days)", "auto"),
    ("policy.non_engagement_outcome", "Outcome for not engaging", "auto"),
    ("policy.contract_days", "Deferred-prosecution contract (days)", "auto"),
    ("population.substance", "Main substance of the people found", "percent_mix"),
    ("contact.max_attempts", "Phone calls to reach a person, at most", "auto"),
    ("contact.answer_probability", "Chance each call is answered", "percent"),
    ("provider.drug_workers", "Drug workers in post (FTE)", "auto"),
    ("provider.availability", "Share of working days a worker is present", "percent"),
    ("provider.admin_share", "Share of a present worker's time off client calls", "percent"),
    ("provider", "Drug workers' working hours", "working_hours"),
    ("provider.assessment_minutes", "Assessment call (minutes)", "distribution"),
    ("provider.one_to_one_minutes", "One-to-one session (minutes)", "distribution"),
    (
        "engagement.assessment_engage_probability",
        "Engage with the assessment when seen at once",
        "percent",
    ),
    ("engagement.group_attend_probability", "Attend a group session when seen at once", "percent"),
    ("engagement.patience_days", "Patience: engagement falls as exp(−wait / this) (days)", "auto"),
    ("course.facilitators", "Group facilitators", "auto"),
    ("course.sessions_per_week", "Group sessions a week, by stream", "mix"),
    ("course.streams", "Substances mapped to a course stream", "stream_map"),
    ("course.places_per_session", "Places per group session", "auto"),
    ("course.session_hours", "Group session length (hours)", "auto"),
    ("course.sessions_per_course", "Sessions in a course", "auto"),
    ("staffing", "Staffing changes over time", "staffing"),
    ("costs.drug_worker_cost_per_fte_year", "Drug worker cost a year (FTE)", "pounds"),
    ("costs.facilitator_cost_per_fte_year", "Facilitator cost a year (FTE)", "pounds"),
    ("costs.cost_per_group_session", "Cost per group session", "pounds"),
    ("costs.provider_overhead_per_year", "Provider overhead a year", "pounds"),
    ("costs.police_cost_per_hour", "Police cost per officer hour", "pounds"),
    ("costs.price_year", "Costs reported in the prices of", "auto"),
    ("offending.rate_per_year", "Recorded offences a year after a formal outcome", "auto"),
    ("offending.after_completion", "Offending after completing, against a formal outcome", "auto"),
    ("courts.convicted_share", "Prosecutions ending in a conviction", "percent"),
    ("police.published_hours_per_arrest", "Officer hours per arrest avoided (published)", "auto"),
    ("police.referral_hours", "Officer hours per app referral", "auto"),
    ("targets.assessment_wait_p90_days", "Target: 9 in 10 assessed within (days)", "auto"),
    ("targets.one_to_one_wait_p90_days", "Target: 9 in 10 in a one-to-one within (days)", "auto"),
    ("targets.course_wait_p90_days", "Target: 9 in 10 at a group session within (days)", "auto"),
)


def assumption_value(scenario: dict[str, Any], dotted_key: str, kind: str) -> str | None:
    """The value at ``dotted_key`` written for people; None if the scenario lacks it."""
    value: Any = scenario
    for part in dotted_key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    try:
        return FORMATS[kind](value)
    except (KeyError, TypeError, ValueError, AttributeError):
        return _auto(value) if not isinstance(value, dict) else None


STYLESHEET = """
:root { --ink: #222; --muted: #666; --rule: #ddd; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.25rem; margin-top: 2.25rem; padding-bottom: 0.2rem;
  border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.05rem; margin: 1.5rem 0 0.5rem; }
.lead { font-size: 1.05rem; margin: 0.25rem 0; }
nav.contents { margin: 0.75rem 0; font-size: 0.9rem; }
nav.contents a { color: var(--accent); }
.meta, figcaption, .note { color: var(--muted); font-size: 0.9rem; }
ul.headlines { padding-left: 1.2rem; }
ul.headlines li { margin: 0.45rem 0; }
.verdict { display: inline-block; padding: 0 0.45rem; border-radius: 0.6rem;
  font-size: 0.8rem; font-weight: 600; white-space: nowrap; }
.verdict.met { background: #d8f0e6; color: #00573f; }
.verdict.missed { background: #f8dccb; color: #8a3300; }
.verdict.too-close-to-call { background: #fbf3c4; color: #5c5000; }
figure { margin: 1rem 0 2rem; break-inside: avoid; }
figure img { display: block; width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { margin-top: 0.4rem; }
.files { display: block; font-size: 0.8rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; margin: 0.5rem 0; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid var(--rule);
  vertical-align: top; overflow-wrap: break-word; }
td code { overflow-wrap: anywhere; }
.ci { color: var(--muted); font-size: 0.8rem; white-space: normal; }
.ci.clear { color: var(--ink); }
code.key { color: var(--muted); font-size: 0.72rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.82rem; }
pre { background: #f6f6f6; padding: 0.75rem; overflow-x: auto; }
details summary { cursor: pointer; color: var(--accent); }
@media print { @page { size: A4; margin: 15mm; } main { max-width: none; padding: 0; }
  details { display: none; } }
"""
