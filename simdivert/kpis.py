"""The KPI catalogue: every KPI's name, unit, label in words, family and whether it is
also counted per year; and the lists of KPIs that tables and reports show first.

A KPI is added in two places: its computation (``model/results.py``) and its entry
here. A few are also counted per area (:data:`AREA_KPIS`), named after the area, or
per course stream (:data:`STREAM_KPIS`), named after the scenario's stream.
Everything that names, labels or groups KPIs (the terminal tables, the report, the
staffing targets, the readers of old folders) reads this module.

KPIs counted per year carry a suffix for each whole year around the launch:
``_y0`` the year before it, ``_y1``, ``_y2``... the policy years
(``charges_per_year_y2``); without a suffix they cover the whole measured window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from simdivert.scenario.schema import ETHNIC_GROUPS, FORMAL_OUTCOMES, SEXES

# Families: what part of the system a KPI describes (the report groups by them).
DEMAND, POLICE, OUTCOMES, EQUITY, PATHWAY, COHORTS, WAITS, QUEUES, CAPACITY, COSTS, AREAS = (
    "demand",
    "police",
    "outcomes",
    "equity",
    "pathway",
    "cohorts",
    "waits",
    "queues",
    "capacity",
    "costs",
    "areas",
)
REOFFENDING, COURTS = "reoffending", "courts"


# The substances whose share of referrals is a KPI (``share_cannabis``...).
SHARE_SUBSTANCES = ("cannabis", "cocaine", "nitrous_oxide")
# Months after the launch at which a pilot's cumulative referrals and completions are
# counted (West Midlands published figures at about 8, 12, 36 and 54 months): the cohort
# referred from the launch to the month, followed to the month.
COHORT_MONTHS = (8, 12, 36, 54)
# What has happened to a cohort's people by the day it is followed to: ``referred`` is
# everyone; ``completed``, ``disengaged`` (never contacted or left at any stage) and
# ``in_pathway`` (still in it) partition them; ``assessed`` (an assessment done) cuts
# across. A scenario's ``[[cohorts]]`` give KPIs ``cohort_<name>_<state>``.
COHORT_STATES = {
    "referred": "referred",
    "assessed": "assessed",
    "completed": "completed",
    "disengaged": "disengaged (never contacted or left)",
    "in_pathway": "still in the pathway",
}
COHORT_PREFIX = "cohort_"
_COHORT = re.compile(rf"^{COHORT_PREFIX}(?P<name>[a-z0-9_]+)_(?P<state>{'|'.join(COHORT_STATES)})$")


@dataclass(frozen=True)
class Kpi:
    """One KPI: its name in the files, unit, label in words, family, and whether it has
    per-year variants (``_y0``, ``_y1``...)."""

    name: str
    unit: str
    label: str
    family: str
    per_year: bool = False


# The police outcome of a find -> its KPI.
OUTCOME_KPIS = {
    "charge": "charges_per_year",
    "caution": "cautions_per_year",
    "cannabis_warning": "cannabis_warnings_per_year",
    "penalty_notice": "penalty_notices_per_year",
    "community_resolution": "community_resolutions_per_year",
    "no_further_action": "no_further_action_per_year",
}
_OUTCOME_LABELS = {
    "charge": "charges",
    "caution": "cautions",
    "cannabis_warning": "cannabis warnings",
    "penalty_notice": "penalty notices",
    "community_resolution": "community resolutions",
    "no_further_action": "no further action",
}
FORMAL_OUTCOME_KPIS = tuple(OUTCOME_KPIS[o] for o in FORMAL_OUTCOMES)
GROUP_SHARE_PREFIX = "formal_outcome_share_"
GROUPS = tuple(f"{g}_{s}" for g in ETHNIC_GROUPS for s in SEXES)
SEX_WORDS = {"male": "men", "female": "women"}
# Reoffending arms (model/offending.py) and their words.
REOFFENDING_ARMS = {
    "completed": "people who completed diversion",
    "disengaged": "people who did not engage",
    "formal": "people given a formal outcome",
    "informal": "people given an informal outcome or none",
}
FOLLOW_UP_MONTHS = (12, 24)
# Stages of the relative rate index (model/equity.py), in order, and their words.
RRI_STAGES = {
    "search": "stop and searched (per head of population)",
    "find": "found with drugs when searched",
    "recorded": "recorded for possession when found",
    "offer": "offered and accepting diversion when recorded",
    "formal": "given a formal outcome when recorded",
}
RRI_GROUPS = tuple(g for g in ETHNIC_GROUPS if g != "white")


def group_words(group: str) -> str:
    """``black_male`` -> ``Black men``."""
    ethnic, sex = group.rsplit("_", 1)
    return f"{ethnic.capitalize()} {SEX_WORDS.get(sex, sex)}"


def _catalogue() -> dict[str, Kpi]:
    rows = [
        Kpi("encounters_per_year", "encounters/year", "encounters a year", DEMAND),
        Kpi("finds_per_year", "finds/year", "finds a year", DEMAND),
        Kpi("repeat_find_share", "share", "share of finds that are repeat finds", DEMAND),
        Kpi(
            "recorded_possession_per_year",
            "offences/year",
            "recorded possession offences a year",
            POLICE,
            per_year=True,
        ),
        Kpi(
            "recorded_possession_without_policy_per_year",
            "offences/year",
            "recorded possession offences a year without the policy",
            POLICE,
        ),
        Kpi("recording_uplift", "ratio", "recording uplift", POLICE),
        Kpi(
            "recorded_possession_change_at_launch",
            "ratio",
            "change in recorded possession at the launch",
            POLICE,
        ),
        Kpi("referrals_per_year", "people/year", "referrals a year", PATHWAY),
        Kpi(
            "user_dealer_referrals_per_year",
            "people/year",
            "user-dealer referrals a year",
            PATHWAY,
        ),
        Kpi("rereferral_rate", "share", "re-referred within 12 months", PATHWAY),
        Kpi("offers_per_year", "offers/year", "offers of diversion a year", POLICE, per_year=True),
        Kpi(
            "diversions_per_year",
            "people/year",
            "diversions (referrals made) a year",
            PATHWAY,
            per_year=True,
        ),
        Kpi(
            "community_resolutions_with_diversion_per_year",
            "outcomes/year",
            "community resolutions, diversions counted as conditional ones",
            OUTCOMES,
            per_year=True,
        ),
        *(
            Kpi(
                f"referrals_by_month_{months}",
                "people",
                f"referrals in the first {months} months after the launch",
                COHORTS,
            )
            for months in COHORT_MONTHS
        ),
        *(
            Kpi(
                f"completions_by_month_{months}",
                "people",
                f"completions in the first {months} months after the launch",
                COHORTS,
            )
            for months in COHORT_MONTHS
        ),
        Kpi(
            "under_18_referrals_first_3_months",
            "people",
            "under-18 referrals in the youth scheme's first three months",
            COHORTS,
        ),
        *(
            Kpi(kpi, "outcomes/year", _OUTCOME_LABELS[outcome], OUTCOMES, per_year=True)
            for outcome, kpi in OUTCOME_KPIS.items()
        ),
        *(
            Kpi(
                GROUP_SHARE_PREFIX + group,
                "share",
                f"formal-outcome share, {group_words(group)}",
                EQUITY,
                per_year=True,
            )
            for group in GROUPS
        ),
        Kpi(
            "police_hours_per_year",
            "hours/year",
            "officer hours on possession finds a year",
            POLICE,
            per_year=True,
        ),
        Kpi("share_assessed", "share", "share assessed", PATHWAY),
        Kpi("share_completed", "share", "share completing", PATHWAY),
        Kpi("share_not_contacted", "share", "share never contacted", PATHWAY),
        Kpi("share_disengaged_assessment", "share", "share leaving at the assessment", PATHWAY),
        Kpi("share_disengaged_one_to_one", "share", "share leaving at the one-to-one", PATHWAY),
        Kpi("share_disengaged_course", "share", "share leaving at the course", PATHWAY),
        Kpi("share_in_system_at_end", "share", "share still in the pathway at the end", PATHWAY),
        Kpi("share_one_to_one", "share", "share of those assessed sent to a one-to-one", PATHWAY),
        *(
            Kpi(f"share_{name}", "share", f"share referred for {name.replace('_', ' ')}", PATHWAY)
            for name in SHARE_SUBSTANCES
        ),
        Kpi("first_contact_wait_mean_days", "days", "mean wait for first contact", WAITS),
        Kpi("assessment_wait_mean_days", "days", "mean wait to assessment", WAITS),
        Kpi("assessment_wait_p90_days", "days", "wait to assessment for 9 in 10", WAITS),
        Kpi(
            "assessment_queue_wait_mean_days",
            "days",
            "mean wait from first contact to assessment",
            WAITS,
        ),
        Kpi(
            "share_waited_for_assessment",
            "share",
            "share who waited for a drug worker after first contact",
            WAITS,
        ),
        Kpi("course_wait_mean_days", "days", "mean wait for a group session", WAITS),
        Kpi("course_wait_p90_days", "days", "wait for a group session for 9 in 10", WAITS),
        Kpi(
            "assessment_wait_so_far_p90_days",
            "days",
            "wait to assessment for 9 in 10, waits still open counted",
            WAITS,
        ),
        Kpi(
            "course_wait_so_far_p90_days",
            "days",
            "wait for a group session for 9 in 10, waits still open counted",
            WAITS,
        ),
        Kpi("one_to_one_wait_mean_days", "days", "mean wait for a one-to-one", WAITS),
        Kpi("drug_worker_utilisation", "share", "drug-worker utilisation", CAPACITY),
        Kpi("facilitator_utilisation", "share", "facilitator utilisation", CAPACITY),
        Kpi("group_session_fill_rate", "share", "group-session places filled", CAPACITY),
        Kpi("group_sessions_per_year", "sessions/year", "group sessions a year", CAPACITY),
        Kpi(
            "facilitator_hours_used_per_year",
            "hours/year",
            "facilitator hours used in sessions held a year",
            CAPACITY,
        ),
        Kpi(
            "reactive_sessions_added_per_year",
            "sessions/year",
            "group sessions added as queues grew a year",
            CAPACITY,
        ),
        Kpi(
            "reactive_sessions_removed_per_year",
            "sessions/year",
            "added group sessions taken away again a year",
            CAPACITY,
        ),
        Kpi(
            "overbooked_sessions_per_year",
            "sessions/year",
            "group sessions booked above their places a year",
            CAPACITY,
        ),
        Kpi(
            "turned_away_per_year",
            "people/year",
            "people turned away from full overbooked sessions a year",
            CAPACITY,
        ),
        Kpi("provider_cost_per_year", "GBP/year", "provider cost a year", COSTS),
        Kpi("cost_per_completion", "GBP", "provider cost per completion", COSTS),
        Kpi(
            "police_cost_saved_per_year",
            "GBP/year",
            "police time saved (adjusted), in money a year",
            COSTS,
        ),
        Kpi("onward_referrals_per_year", "referrals/year", "onward referrals a year", PATHWAY),
        Kpi(
            "safeguarding_referrals_per_year",
            "referrals/year",
            "safeguarding referrals a year",
            PATHWAY,
        ),
        Kpi(
            "police_hours_saved_published_per_year",
            "hours/year",
            "police hours saved (published method)",
            POLICE,
        ),
        Kpi(
            "police_hours_saved_adjusted_per_year",
            "hours/year",
            "police hours saved (adjusted method)",
            POLICE,
        ),
        Kpi("in_system_at_end", "people", "people in the pathway at the end", QUEUES),
        Kpi(
            "waiting_for_assessment_at_end",
            "people",
            "people waiting for an assessment at the end",
            QUEUES,
        ),
        Kpi(
            "waiting_for_course_at_end",
            "people",
            "people waiting for a group session at the end",
            QUEUES,
        ),
        Kpi("contact_queue_mean", "people", "mean number waiting for contact", QUEUES),
        Kpi("assessment_queue_mean", "people", "mean number waiting for assessment", QUEUES),
        Kpi("one_to_one_queue_mean", "people", "mean number waiting for a one-to-one", QUEUES),
        Kpi("course_queue_mean", "people", "mean number waiting for a group session", QUEUES),
    ]
    rows.extend(
        Kpi(
            f"rri_{stage}_{group}",
            "ratio",
            f"relative rate index, {group.capitalize()} against white people: {words}",
            EQUITY,
            per_year=True,
        )
        for stage, words in RRI_STAGES.items()
        for group in RRI_GROUPS
    )
    rows.extend(_reoffending_rows())
    rows.extend(_court_rows())
    return {kpi.name: kpi for kpi in rows}


def _reoffending_rows() -> list[Kpi]:
    rows = []
    for months in FOLLOW_UP_MONTHS:
        name = f"reoffending_{months}_months"
        within = f"reoffending within {months} months of their first find from the launch on"
        rows.append(Kpi(name, "share", f"share {within}", REOFFENDING))
        rows.append(
            Kpi(
                f"{name}_status_quo",
                "share",
                f"share {within}, the same people without the scheme",
                REOFFENDING,
            )
        )
        for arm, words in REOFFENDING_ARMS.items():
            rows.append(Kpi(f"{name}_{arm}", "share", f"share of {words} {within}", REOFFENDING))
            rows.append(
                Kpi(
                    f"{name}_{arm}_status_quo",
                    "share",
                    f"share of {words} {within}, the same people without the scheme",
                    REOFFENDING,
                )
            )
    rows.append(
        Kpi(
            "reoffences_avoided_per_year",
            "people/year",
            "people a year kept from reoffending within 12 months",
            REOFFENDING,
        )
    )
    return rows


def _court_rows() -> list[Kpi]:
    per_year = [
        ("prosecutions_per_year", "prosecutions a year"),
        ("convictions_per_year", "convictions a year"),
        ("fines_per_year", "fines a year"),
        ("custodial_sentences_per_year", "custodial sentences a year"),
        ("other_sentences_per_year", "other sentences a year"),
    ]
    money = [
        ("commissioning_cost_per_year", "GBP/year", "what the commissioner pays a year"),
        ("cost_per_referral", "GBP", "commissioning cost per referral"),
        (
            "police_cost_saved_per_crime_method_per_year",
            "GBP/year",
            "police cost saved a year, cost per possession crime method",
        ),
        ("court_cost_per_year", "GBP/year", "court cost of prosecutions a year"),
        ("court_cost_saved_per_year", "GBP/year", "court cost saved a year"),
        ("prison_cost_saved_per_year", "GBP/year", "prison cost saved a year"),
        (
            "net_public_cost_per_year",
            "GBP/year",
            "net public cost a year (commissioning less police, court and prison savings)",
        ),
        ("cost_per_reoffence_avoided", "GBP", "commissioning cost per reoffence avoided"),
    ]
    return [
        *(Kpi(name, "cases/year", label, COURTS) for name, label in per_year),
        Kpi("prison_places", "places", "prison places occupied on average", COURTS),
        Kpi("prison_places_avoided", "places", "prison places avoided", COURTS),
        Kpi("criminal_records_per_year", "records/year", "criminal records created a year", COURTS),
        Kpi(
            "criminal_records_avoided_per_year",
            "records/year",
            "criminal records avoided a year",
            COURTS,
        ),
        *(Kpi(name, unit, label, COSTS) for name, unit, label in money),
    ]


CATALOGUE: dict[str, Kpi] = _catalogue()

# Shown first in terminal tables, comparisons and sweeps, when present.
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
# A forecast with uncertainty's table of prediction intervals: the referrals and
# completions of the first year after the launch, then the headlines and the net cost.
FORECAST_KPIS = (
    "referrals_by_month_12",
    "completions_by_month_12",
    *HEADLINE_KPIS,
    "net_public_cost_per_year",
)
# What global sensitivity (``simdivert sensitivity --method sobol``) apportions among the
# uncertain inputs: referrals, the waits, completions, police time, net cost, reoffending.
SENSITIVITY_KPIS = (
    "referrals_per_year",
    "assessment_wait_p90_days",
    "course_wait_p90_days",
    "share_completed",
    "police_hours_per_year",
    "net_public_cost_per_year",
    "reoffending_12_months",
)
# The forest plot's KPIs; those counted per year in their last whole policy year
# (``charges_per_year`` stands for ``charges_per_year_y2``).
FOREST_KPIS = (
    "referrals_per_year",
    "assessment_wait_p90_days",
    "course_wait_p90_days",
    "share_completed",
    "charges_per_year",
    "cautions_per_year",
    "formal_outcome_share_black_male",
    "police_hours_per_year",
    "provider_cost_per_year",
    "cost_per_completion",
)
# A comparison's league table, the schemes side by side (per-year KPIs in their last
# whole policy year); a KPI the files lack (net cost, in an older folder) is left out.
LEAGUE_KPIS = (
    "referrals_per_year",
    "share_completed",
    "assessment_wait_p90_days",
    "course_wait_p90_days",
    "provider_cost_per_year",
    "net_public_cost_per_year",
    "police_hours_saved_published_per_year",
    "police_hours_saved_adjusted_per_year",
    "police_hours_per_year",
    "charges_per_year",
    "cautions_per_year",
    "formal_outcome_share_black_male",
)
# Pathway KPIs whose difference from the base a comparison states in words.
COMPARED_KPIS = (
    "referrals_per_year",
    "share_assessed",
    "share_completed",
    "assessment_wait_p90_days",
    "course_wait_p90_days",
    "rereferral_rate",
    "drug_worker_utilisation",
    "facilitator_utilisation",
)


# --- Names with a year ------------------------------------------------------------------

_YEAR = re.compile(r"^(?P<kpi>.+?)(?:_(?P<year>y\d+))?$")
WHOLE_WINDOW = ""  # the year label of a KPI over the whole measured window


def split_year(name: str) -> tuple[str, str]:
    """``charges_per_year_y2`` -> (``charges_per_year``, ``y2``); no suffix: year ``""``."""
    match = _YEAR.match(name)
    assert match is not None  # the pattern matches any non-empty name
    return match["kpi"], match["year"] or WHOLE_WINDOW


def is_per_year_variant(name: str) -> bool:
    """Whether a name is a KPI in one year (``charges_per_year_y2``)."""
    return split_year(name)[1] != WHOLE_WINDOW


def year_words(year: str) -> str:
    """``y0`` -> the year before the launch; ``y2`` -> policy year 2."""
    if year == WHOLE_WINDOW:
        return "the whole measured period"
    if year == "y0":
        return "the year before the launch (y0)"
    return f"policy year {year[1:]} ({year})"


def years_of(names: Iterable[str], base: str) -> list[str]:
    """The year labels present for a KPI (``y0``, ``y1``...), in order."""
    years = {year for kpi, year in map(split_year, names) if kpi == base and year}
    return sorted(years, key=lambda y: int(y[1:]))


def latest_policy_year(names: Iterable[str], base: str) -> str:
    """The KPI in its last whole policy year (``_y2``), else its whole-window name."""
    policy_years = [y for y in years_of(names, base) if y != "y0"]
    return f"{base}_{policy_years[-1]}" if policy_years else base


def cohort_kpi_names(cohort: str) -> tuple[str, ...]:
    """The KPIs of a scenario's cohort, by :data:`COHORT_STATES`."""
    return tuple(f"{COHORT_PREFIX}{cohort}_{state}" for state in COHORT_STATES)


# --- Names with an area ----------------------------------------------------------------

# The KPIs also counted per area in a scenario of more than one area, over the policy
# period: "which areas first" (``area_birmingham_referrals_per_year``).
AREA_KPIS = (
    "referrals_per_year",
    "assessment_wait_p90_days",
    "share_completed",
    "police_hours_saved_adjusted_per_year",
)
AREA_PREFIX = "area_"
_AREA = re.compile(rf"^{AREA_PREFIX}(?P<area>[a-z0-9_]+?)_(?P<kpi>{'|'.join(AREA_KPIS)})$")


def area_slug(area: str) -> str:
    """An area's name in a KPI's name: ``Rest of force (north)`` -> ``rest_of_force_north``."""
    return re.sub(r"[^a-z0-9]+", "_", area.lower()).strip("_") or "area"


def area_kpi(area: str, kpi: str) -> str:
    """The name of ``kpi`` counted in one area."""
    return f"{AREA_PREFIX}{area_slug(area)}_{kpi}"


def split_area(name: str) -> tuple[str, str] | None:
    """``area_coventry_referrals_per_year`` -> (``coventry``, ``referrals_per_year``)."""
    match = _AREA.match(name)
    return (match["area"], match["kpi"]) if match else None


def area_words(slug: str) -> str:
    """An area's slug in words: ``rest_of_force_north`` -> ``Rest of force north``."""
    return slug.replace("_", " ").capitalize()


# --- Names with a course stream --------------------------------------------------------

# The KPIs also counted per course stream, for each of the scenario's streams (the keys
# of course.sessions_per_week), named after the stream: ``group_session_fill_rate_cannabis``.
# A stream is never named like a year (``y1``), so the two suffixes cannot be confused.
STREAM_KPIS = ("group_session_fill_rate",)
_STREAM = re.compile(rf"^(?P<kpi>{'|'.join(STREAM_KPIS)})_(?P<stream>(?!y[0-9]+$)[a-z][a-z0-9_]*)$")


def stream_kpi(kpi: str, stream: str) -> str:
    """The name of ``kpi`` counted in one course stream."""
    return f"{kpi}_{stream}"


def capacity_kpi_names(streams: Iterable[str]) -> tuple[str, ...]:
    """The capacity KPIs of a scenario with these course streams, each per-stream KPI
    followed by its streams': undefined (NaN) in a scenario with no provider."""
    streams = tuple(streams)
    names: list[str] = []
    for kpi in CATALOGUE.values():
        if kpi.family == CAPACITY:
            names.append(kpi.name)
            if kpi.name in STREAM_KPIS:
                names.extend(stream_kpi(kpi.name, stream) for stream in streams)
    return tuple(names)


# --- Looking a KPI up -------------------------------------------------------------------


def lookup(name: str) -> Kpi | None:
    """The catalogue entry of a KPI (per-year, per-area and per-stream variants included);
    None if unknown, as in a folder written by another version."""
    kpi = CATALOGUE.get(name)
    if kpi is not None:
        return kpi
    cohort = _COHORT.match(name)
    if cohort is not None:
        words = COHORT_STATES[cohort["state"]]
        return Kpi(name, "people", f"cohort {cohort['name']}: {words}", COHORTS)
    in_area = split_area(name)
    if in_area is not None:
        area, base_name = in_area
        base_kpi = CATALOGUE[base_name]
        return Kpi(name, base_kpi.unit, f"{base_kpi.label} in {area_words(area)}", AREAS)
    in_stream = _STREAM.match(name)
    if in_stream is not None:
        base_kpi = CATALOGUE[in_stream["kpi"]]
        words = in_stream["stream"].replace("_", " ")
        return Kpi(name, base_kpi.unit, f"{base_kpi.label}, {words}", base_kpi.family)
    base, year = split_year(name)
    kpi = CATALOGUE.get(base)
    return kpi if kpi is not None and kpi.per_year and year else None


def is_kpi(name: str) -> bool:
    """Whether a name is a KPI of this version (per-year variants included)."""
    return lookup(name) is not None


def kpi_unit(name: str) -> str:
    """A KPI's unit, per-year variants included; empty for a KPI this version lacks."""
    kpi = lookup(name)
    return kpi.unit if kpi is not None else ""


def kpi_label(name: str) -> str:
    """A KPI's name in words, with its year (``charges, policy year 2 (y2)``) or its area."""
    in_area = lookup(name) if split_area(name) else None
    if in_area is not None:
        return in_area.label
    base, year = split_year(name)
    kpi = lookup(base)
    label = kpi.label if kpi is not None else base.replace("_", " ")
    return f"{label}, {year_words(year)}" if year else label
