"""KPIs of one replication, computed once, at the end, from the columnar logs.

The measured window is [warm-up, horizon). The cohort is the people referred within
it; shares are of the cohort and count what happened by the end of the run, so people
still in the pathway at the end are a category of their own (``share_in_system_at_end``)
and the shares of terminal states plus it sum to 1. Waits are of the cohort members
whose wait had ended by the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.demand import Demand
from simdivert.pathway import (
    COMPLETED,
    IN_SYSTEM,
    LEFT_AT_ASSESSMENT,
    LEFT_AT_COURSE,
    LEFT_AT_ONE_TO_ONE,
    NOT_CONTACTED,
    ROUTE_GROUP,
    ROUTE_ONE_TO_ONE,
    PathwayLog,
    SessionBook,
)
from simdivert.policy import SceneDecisions, outcome_hours
from simdivert.queues import stage_intervals, time_average
from simdivert.roster import working_windows
from simdivert.scenario import SUBSTANCES, Scenario

# A wait shorter than this is rounding, not waiting: the time a call starts and the time
# of first contact reach the log by different floating-point sums.
ROUNDING_HOURS = 1e-6

KPI_UNITS: dict[str, str] = {
    "encounters_per_year": "encounters/year",
    "finds_per_year": "finds/year",
    "recorded_possession_per_year": "offences/year",
    "recorded_possession_without_policy_per_year": "offences/year",
    "recording_uplift": "ratio",
    "referrals_per_year": "people/year",
    "share_assessed": "share",
    "share_completed": "share",
    "share_not_contacted": "share",
    "share_disengaged_assessment": "share",
    "share_disengaged_one_to_one": "share",
    "share_disengaged_course": "share",
    "share_in_system_at_end": "share",
    "share_one_to_one": "share",
    "share_cannabis": "share",
    "share_cocaine": "share",
    "share_nitrous_oxide": "share",
    "first_contact_wait_mean_days": "days",
    "assessment_wait_mean_days": "days",
    "assessment_wait_p90_days": "days",
    "assessment_queue_wait_mean_days": "days",
    "share_waited_for_assessment": "share",
    "course_wait_mean_days": "days",
    "course_wait_p90_days": "days",
    "one_to_one_wait_mean_days": "days",
    "drug_worker_utilisation": "share",
    "facilitator_utilisation": "share",
    "group_session_fill_rate": "share",
    "onward_referrals_per_year": "referrals/year",
    "safeguarding_referrals_per_year": "referrals/year",
    "police_hours_saved_published_per_year": "hours/year",
    "police_hours_saved_adjusted_per_year": "hours/year",
    "in_system_at_end": "people",
    "waiting_for_assessment_at_end": "people",
    "waiting_for_course_at_end": "people",
    "contact_queue_mean": "people",
    "assessment_queue_mean": "people",
    "one_to_one_queue_mean": "people",
    "course_queue_mean": "people",
}


@dataclass(frozen=True)
class Window:
    """The measured part of the run: [start, end) in model hours."""

    start: float
    end: float

    @property
    def years(self) -> float:
        return (self.end - self.start) / HOURS_PER_YEAR

    def contains(self, hours: np.ndarray) -> np.ndarray:
        return (hours >= self.start) & (hours < self.end)

    def overlap_hours(self, starts: np.ndarray, ends: np.ndarray) -> float:
        """Total length of the intervals [starts, ends) inside the window (NaN rows skipped)."""
        valid = ~(np.isnan(starts) | np.isnan(ends))
        lo = np.clip(starts[valid], self.start, self.end)
        hi = np.clip(ends[valid], self.start, self.end)
        return float(np.sum(np.maximum(hi - lo, 0.0)))


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if values.size else float("nan")


def _p90(values: np.ndarray) -> float:
    return float(np.quantile(values, 0.9)) if values.size else float("nan")


def _share(mask: np.ndarray, of: np.ndarray | None = None) -> float:
    if of is not None:
        mask = mask[of]
    return float(mask.mean()) if mask.size else float("nan")


def _days(hours: np.ndarray) -> np.ndarray:
    return hours / HOURS_PER_DAY


def demand_kpis(demand: Demand, scene: SceneDecisions, window: Window) -> dict[str, float]:
    """Encounters, finds and recorded offences per year."""
    years = window.years
    eligible_in = window.contains(demand.eligible_hours)
    recorded = float(np.sum(scene.recorded & eligible_in))
    recorded_without = float(np.sum(scene.recorded_without_policy & eligible_in))
    encounters = np.sum(window.contains(demand.search_hours)) + np.sum(
        window.contains(demand.other_find_hours)
    )
    return {
        "encounters_per_year": encounters / years,
        "finds_per_year": np.sum(window.contains(demand.find_hours)) / years,
        "recorded_possession_per_year": recorded / years,
        "recorded_possession_without_policy_per_year": recorded_without / years,
        "recording_uplift": recorded / recorded_without - 1 if recorded_without else float("nan"),
    }


def pathway_kpis(
    log: PathwayLog, substance: np.ndarray, window: Window, horizon: float
) -> dict[str, float]:
    """Flow, shares and waits of the cohort referred in the window."""
    cohort = window.contains(log.referral_hours)
    state = log.state[cohort]
    assessed = log.assessed[cohort]
    route = log.route[cohort]
    contact = log.first_contact_hours[cohort]
    referral = log.referral_hours[cohort]
    call = log.assessment_hours[cohort]
    assessment_end = log.assessment_end_hours[cohort]
    booked = log.intervention_booked_hours[cohort]
    called = ~np.isnan(call)
    group_booked = assessed & (route == ROUTE_GROUP) & (booked < horizon)
    one_to_one_called = assessed & (route == ROUTE_ONE_TO_ONE) & ~np.isnan(booked)
    return {
        "referrals_per_year": cohort.sum() / window.years,
        "share_assessed": _share(assessed),
        "share_completed": _share(state == COMPLETED),
        "share_not_contacted": _share(state == NOT_CONTACTED),
        "share_disengaged_assessment": _share(state == LEFT_AT_ASSESSMENT),
        "share_disengaged_one_to_one": _share(state == LEFT_AT_ONE_TO_ONE),
        "share_disengaged_course": _share(state == LEFT_AT_COURSE),
        "share_in_system_at_end": _share(state == IN_SYSTEM),
        "share_one_to_one": _share(route == ROUTE_ONE_TO_ONE, of=assessed),
        **{
            f"share_{name}": _share(substance[cohort] == SUBSTANCES.index(name))
            for name in ("cannabis", "cocaine", "nitrous_oxide")
        },
        "first_contact_wait_mean_days": _mean(
            _days(contact[contact < horizon] - referral[contact < horizon])
        ),
        "assessment_wait_mean_days": _mean(_days(call[called] - referral[called])),
        "assessment_wait_p90_days": _p90(_days(call[called] - referral[called])),
        "assessment_queue_wait_mean_days": _mean(_days(call[called] - contact[called])),
        "share_waited_for_assessment": _share(call[called] - contact[called] > ROUNDING_HOURS),
        "course_wait_mean_days": _mean(_days(booked[group_booked] - assessment_end[group_booked])),
        "course_wait_p90_days": _p90(_days(booked[group_booked] - assessment_end[group_booked])),
        "one_to_one_wait_mean_days": _mean(
            _days(booked[one_to_one_called] - assessment_end[one_to_one_called])
        ),
        "in_system_at_end": float(np.sum(state == IN_SYSTEM)),
        "waiting_for_assessment_at_end": float(np.sum((contact < horizon) & ~called)),
        "waiting_for_course_at_end": float(
            np.sum(assessed & (route == ROUTE_GROUP) & (state == IN_SYSTEM))
        ),
    }


def queue_kpis(log: PathwayLog, window: Window) -> dict[str, float]:
    """Time-average number waiting at each stage over the window (all referrals)."""
    return {
        f"{stage}_queue_mean": time_average(starts, ends, window.start, window.end)
        for stage, (starts, ends) in stage_intervals(log).items()
    }


def capacity_kpis(
    scenario: Scenario, log: PathwayLog, sessions: SessionBook, window: Window
) -> dict[str, float]:
    """Utilisation of drug workers and facilitators, and how full sessions are."""
    one_to_one = log.route == ROUTE_ONE_TO_ONE
    busy = window.overlap_hours(
        log.assessment_hours, log.assessment_end_hours
    ) + window.overlap_hours(
        log.intervention_booked_hours[one_to_one], log.intervention_end_hours[one_to_one]
    )
    on_duty = scenario.provider.drug_workers * working_windows(scenario.provider).open_hours(
        window.start, window.end
    )
    course = scenario.course
    held = attended = 0
    for times, booked, came in zip(sessions.times, sessions.booked, sessions.attended, strict=True):
        in_window = window.contains(np.asarray(times, dtype=float))
        ran = in_window & (np.asarray(booked) > 0)
        held += int(ran.sum())
        attended += int(np.asarray(came)[ran].sum())
    facilitator_hours = (
        held
        * course.facilitators_per_session
        * (course.session_hours + course.prep_hours_per_session)
    )
    contracted = (
        course.facilitators
        * course.facilitator_hours_per_week
        * ((window.end - window.start) / HOURS_PER_WEEK)
    )
    return {
        "drug_worker_utilisation": busy / on_duty if on_duty else float("nan"),
        "facilitator_utilisation": facilitator_hours / contracted if contracted else float("nan"),
        "group_session_fill_rate": attended / (held * course.places_per_session)
        if held
        else float("nan"),
    }


def police_kpis(
    scenario: Scenario,
    referral_hours: np.ndarray,
    counterfactual: np.ndarray,
    assessed: np.ndarray,
    needs_found: np.ndarray,
    safeguarding: np.ndarray,
    window: Window,
) -> dict[str, float]:
    """Police hours saved (published and adjusted methods) and onward referrals.

    Published: every referral counted as an avoided arrest. Adjusted: the officer
    hours of the outcome each referral would otherwise have had, less the referral's
    own time; a find recorded only because of the policy would have had an informal word.
    """
    police = scenario.police
    cohort = window.contains(referral_hours)
    years = window.years
    saved = outcome_hours(scenario, counterfactual[cohort]) - police.referral_hours
    return {
        "onward_referrals_per_year": float(needs_found[cohort & assessed].sum()) / years,
        "safeguarding_referrals_per_year": float(np.sum(safeguarding[cohort & assessed])) / years,
        "police_hours_saved_published_per_year": cohort.sum()
        * police.published_hours_per_arrest
        / years,
        "police_hours_saved_adjusted_per_year": float(saved.sum()) / years,
    }
