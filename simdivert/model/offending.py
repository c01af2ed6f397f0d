"""Reoffending: each person's time to their next recorded offence of any kind, with and
without the scheme, from the same random numbers.

Computed after the run from its logs, in bulk. A person's index event is their first
find in the policy period (from the launch on). Its outcome puts them in an arm:
completed diversion, disengaged (never reached, or left at any stage, whatever
followed), a formal outcome (charge, caution, penalty notice) or an informal one (a
warning, a community resolution, no further action, or no record at all). Referrals
still in the pathway at the end have no arm yet and are left out.

The time to the next recorded offence is ``E / (rate x age band ratio x Z x m)`` with
``E`` a unit exponential and ``Z`` a gamma frailty (mean 1), both the person's own, and
``m`` the multiplier of the arm (:class:`~simdivert.scenario.outcome_settings.OffendingSettings`).
The person's status-quo arm is the arm of their find's counterfactual outcome (what it
would have had without the scheme): the same ``E`` and ``Z`` with that arm's multiplier
give the same person's time without the scheme. The two arms are paired on common random
numbers, as the two arms of a trial would be if every person could be in both: where the
scheme changed nothing for a person, both times are equal.

Censoring: a person counts towards reoffending within 12 (24) months only if the run
lasts 12 (24) months after their index event; the offending process itself is not
truncated at the end of the run (whether an offence falls after it is not observed, but
nobody is counted whose follow-up is cut short).

This process is separate from the drug re-find process of :mod:`simdivert.model.police`,
which drives repeat finds and re-referrals within the run: a re-find is one kind of
recorded offence (a drug find by the police in the force area), much rarer than
recorded offending of any kind, and it feeds back into the pathway; this one does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simdivert.clock import HOURS_PER_YEAR
from simdivert.kpis import FOLLOW_UP_MONTHS, REOFFENDING_ARMS
from simdivert.model.demand import People
from simdivert.model.police import FindsLog
from simdivert.model.provider import COMPLETED, IN_SYSTEM, PathwayLog
from simdivert.model.random_streams import RandomStreams
from simdivert.model.rules import DIVERTED, FORMAL_CODES
from simdivert.scenario.outcome_settings import OffendingSettings

ARMS = tuple(REOFFENDING_ARMS)  # completed, disengaged, formal, informal
COMPLETED_ARM, DISENGAGED_ARM, FORMAL_ARM, INFORMAL_ARM = range(len(ARMS))
NO_ARM_YET = -1  # still in the pathway at the end of the run


@dataclass(frozen=True)
class IndexEvents:
    """Each person's first find in the policy period: when, their arm with the scheme and
    without it (status quo), and their years to the next recorded offence in each."""

    person: np.ndarray
    hours: np.ndarray
    arm: np.ndarray
    status_quo_arm: np.ndarray
    years_to_offence: np.ndarray
    status_quo_years_to_offence: np.ndarray


def outcome_arms(outcomes: np.ndarray) -> np.ndarray:
    """The arm of police outcomes that are not a diversion: formal or informal."""
    return np.where(np.isin(outcomes, FORMAL_CODES), FORMAL_ARM, INFORMAL_ARM)


def arm_multipliers(settings: OffendingSettings) -> np.ndarray:
    """The hazard multiplier of each arm, in :data:`ARMS` order."""
    return np.array(
        [
            settings.after_completion,
            settings.after_disengagement,
            settings.after_formal_outcome,
            settings.after_informal_outcome,
        ]
    )


def years_to_offence(
    settings: OffendingSettings,
    unit: np.ndarray,
    frailty: np.ndarray,
    age_band: np.ndarray,
    arm: np.ndarray,
) -> np.ndarray:
    """Years to the next recorded offence (inf where the hazard is 0)."""
    ratio = np.asarray(settings.age_band_ratio.values())[age_band]
    hazard = settings.rate_per_year * ratio * frailty * arm_multipliers(settings)[arm]
    with np.errstate(divide="ignore"):
        return unit / hazard


def index_events(
    settings: OffendingSettings,
    people: People,
    finds: FindsLog,
    pathway: PathwayLog,
    start: float,
    end: float,
    streams: RandomStreams,
) -> IndexEvents:
    """The index events of the people first found (in the period) in [start, end)."""
    rows = np.flatnonzero((finds.hours >= start) & (finds.hours < end))
    _, first = np.unique(finds.person[rows], return_index=True)  # finds are in time order
    rows = rows[first]
    person = finds.person[rows]
    outcome = finds.outcome[rows]
    arm = outcome_arms(outcome)
    diverted = outcome == DIVERTED
    state = pathway.state[finds.referral[rows[diverted]]]
    arm[diverted] = np.where(
        state == COMPLETED, COMPLETED_ARM, np.where(state == IN_SYSTEM, NO_ARM_YET, DISENGAGED_ARM)
    )
    status_quo_arm = outcome_arms(finds.counterfactual[rows])
    # One unit exponential and one frailty per person of the run, whoever is indexed:
    # the same person has the same numbers in every scenario.
    unit = streams.generator("offending.next_offence").exponential(1.0, people.size)[person]
    frailty = streams.generator("offending.frailty").gamma(
        settings.frailty_shape, 1.0 / settings.frailty_shape, people.size
    )[person]
    age_band = people.age_band[person]
    years = years_to_offence(settings, unit, frailty, age_band, np.maximum(arm, 0))
    years[arm == NO_ARM_YET] = math.nan
    return IndexEvents(
        person=person,
        hours=finds.hours[rows],
        arm=arm,
        status_quo_arm=status_quo_arm,
        years_to_offence=years,
        status_quo_years_to_offence=years_to_offence(
            settings, unit, frailty, age_band, status_quo_arm
        ),
    )


def _share(flags: np.ndarray) -> float:
    return float(flags.mean()) if flags.size else math.nan


def reoffending_kpis(events: IndexEvents, horizon: float, period_years: float) -> dict[str, float]:
    """Reoffending within 12 and 24 months, overall and by arm, with the scheme and for the
    same people without it; and first reoffences within 12 months avoided a year."""
    kpis: dict[str, float] = {}
    for months in FOLLOW_UP_MONTHS:
        years = months / 12
        observed = (events.hours + years * HOURS_PER_YEAR <= horizon) & (events.arm != NO_ARM_YET)
        scheme = events.years_to_offence <= years
        status_quo = events.status_quo_years_to_offence <= years
        name = f"reoffending_{months}_months"
        kpis[name] = _share(scheme[observed])
        kpis[f"{name}_status_quo"] = _share(status_quo[observed])
        for k, arm in enumerate(ARMS):
            in_arm = observed & (events.arm == k)
            kpis[f"{name}_{arm}"] = _share(scheme[in_arm])
            kpis[f"{name}_{arm}_status_quo"] = _share(status_quo[in_arm])
    people_per_year = events.person.size / period_years if period_years > 0 else math.nan
    kpis["reoffences_avoided_per_year"] = (
        kpis["reoffending_12_months_status_quo"] - kpis["reoffending_12_months"]
    ) * people_per_year
    return kpis
