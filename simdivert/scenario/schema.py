"""The validated, frozen description of one scenario: every parameter of the model.

Scenario files (TOML) are read by :mod:`simdivert.scenario.files`; this module only
says what a valid scenario is. Unknown keys are rejected everywhere, so a typo fails
instead of being silently ignored. Category mixes are models with one field per
category, so an error names the dotted key (``population.substance.cannabis``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simdivert.clock import DAYS_PER_YEAR, HOURS_PER_DAY, HOURS_PER_YEAR
from simdivert.scenario.bounds import (
    LIST_WHY,
    MAX_LIST,
    MAX_PEOPLE,
    PEOPLE_WHY,
    People,
    PerYear,
    Replications,
    Seed,
    Staff,
    StaffCount,
    Years,
    at_most,
)
from simdivert.scenario.cohort_settings import CohortSettings
from simdivert.scenario.course_streams import (
    SessionsPerStream,
    StreamName,
    check_streams,
    stream_of,
    unreachable_streams,
)
from simdivert.scenario.distributions import Distribution
from simdivert.scenario.outcome_settings import (
    CourtSettings,
    Money,
    OffendingSettings,
    PricedAmount,
    PriceYear,
    money_in,
)
from simdivert.scenario.policy_settings import (
    AdoptionCurve,
    CustodyRoute,
    OfferOddsRatio,
    YouthScheme,
)
from simdivert.scenario.strict import NoLimit, NotBool, Probability, StrictModel
from simdivert.scenario.timetable import sessions_per_fortnight, timetable_capacity
from simdivert.scenario.uncertainty import MAX_UNCERTAIN_INPUTS, MISSING, Prior, key_problem

if TYPE_CHECKING:  # numpy is imported where arrays are made: validating a scenario never needs it
    import numpy as np

DayName = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# A substance is a key of population.substance (the scenario's list, in file order).
SubstanceName = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
HourOfDay = Annotated[float, Field(ge=0.0, le=24.0)]

AGE_BANDS = ("under_18", "age_18_to_24", "age_25_to_34", "age_35_plus")
SEXES = ("male", "female")
ETHNIC_GROUPS = ("white", "black", "asian", "mixed", "other")
# The substance whose counterfactual mix a substance without its own takes (its course
# stream: scenario/course_streams.py).
FALLBACK_SUBSTANCE = "other"
UNDER_18_MIX = "under_18"  # the counterfactual mix row of under-18s
OUTCOMES = (
    "charge",
    "caution",
    "cannabis_warning",
    "penalty_notice",
    "community_resolution",
    "no_further_action",
)
FORMAL_OUTCOMES = ("charge", "caution", "penalty_notice")
HOLISTIC_NEEDS = (
    "mental_health",
    "alcohol",
    "housing",
    "domestic_abuse",
    "gambling",
    "exploitation",
    "employment",
    "debt",
)


# Bounds of this file's sizes, with their reasons (the shared ones are in bounds.py).
Days = Annotated[NonNegativeFloat, at_most(36_500, "a hundred years; a typo")]
Multiplier = Annotated[NonNegativeFloat, at_most(100, "a hundredfold change is a typo")]
Changes = at_most(MAX_LIST, LIST_WHY)
MAX_GROWTH = 1_000  # demand at the end of a run over demand at its start


class _Mix(StrictModel):
    """Shares over a fixed set of categories (one field each) that sum to 1."""

    @model_validator(mode="after")
    def _sums_to_one(self) -> _Mix:
        total = sum(getattr(self, name) for name in type(self).model_fields)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"shares must sum to 1 (they sum to {total:.6g})")
        return self

    def shares(self) -> np.ndarray:
        """The shares in field order."""
        import numpy as np

        return np.array([getattr(self, name) for name in type(self).model_fields])


class AgeMix(_Mix):
    under_18: Probability
    age_18_to_24: Probability
    age_25_to_34: Probability
    age_35_plus: Probability


class SexMix(_Mix):
    male: Probability
    female: Probability


class EthnicMix(_Mix):
    white: Probability
    black: Probability
    asian: Probability
    mixed: Probability
    other: Probability


def _shares_sum_to_one(shares: dict[str, float]) -> dict[str, float]:
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"shares must sum to 1 (they sum to {total:.6g})")
    return shares


# Shares by substance (the keys of population.substance are the scenario's substances).
SubstanceShare = Annotated[Probability, NotBool]
SubstanceMix = Annotated[
    dict[SubstanceName, SubstanceShare], Field(min_length=1), AfterValidator(_shares_sum_to_one)
]


class OutcomeMix(_Mix):
    charge: Probability
    caution: Probability
    cannabis_warning: Probability
    penalty_notice: Probability
    community_resolution: Probability
    no_further_action: Probability


PerSubstance = dict[SubstanceName, SubstanceShare]  # a probability for each substance
# The outcome mix without diversion: adults by main substance (a substance without a row
# takes the "other" row), and under-18s.
CounterfactualMix = dict[SubstanceName, OutcomeMix]


class PerEthnicGroup(StrictModel):
    """A non-negative factor for each ethnic group."""

    white: NonNegativeFloat
    black: NonNegativeFloat
    asian: NonNegativeFloat
    mixed: NonNegativeFloat
    other: NonNegativeFloat

    def values(self) -> np.ndarray:
        import numpy as np

        return np.array([getattr(self, g) for g in ETHNIC_GROUPS])


class EquitySettings(StrictModel):
    """Who is searched and found, by ethnic group, against the force area's population.

    Each stop and search is of a person of a group drawn with shares proportional to
    ``population x search_rate_ratio``; a drug search finds drugs with chance
    ``find_rate_drug_searches x find_rate_ratio`` (normalised so that the average over
    searches is the scenario's find rate). Ratios are relative to white people.
    """

    population: PerEthnicGroup
    search_rate_ratio: PerEthnicGroup
    find_rate_ratio: PerEthnicGroup

    @model_validator(mode="after")
    def _white_is_the_reference(self) -> EquitySettings:
        for name in ("population", "search_rate_ratio", "find_rate_ratio"):
            if getattr(self, name).white <= 0:
                raise ValueError(f"{name}.white must be above 0: white people are the reference")
        return self

    def search_shares(self) -> np.ndarray:
        """Each group's share of searches."""
        weights = self.population.values() * self.search_rate_ratio.values()
        return weights / weights.sum()

    def find_rate_factors(self) -> np.ndarray:
        """Each group's find rate relative to the average over searches."""
        ratio = self.find_rate_ratio.values()
        return ratio / float(self.search_shares() @ ratio)


class OutcomeHours(StrictModel):
    """Officer hours spent on each outcome of a possession find."""

    charge: NonNegativeFloat
    caution: NonNegativeFloat
    cannabis_warning: NonNegativeFloat
    penalty_notice: NonNegativeFloat
    community_resolution: NonNegativeFloat
    no_further_action: NonNegativeFloat

    def values(self) -> np.ndarray:
        import numpy as np

        return np.array([getattr(self, o) for o in OUTCOMES])


class HolisticNeeds(StrictModel):
    """Chance that the assessment's holistic screen finds each need."""

    mental_health: Probability
    alcohol: Probability
    housing: Probability
    domestic_abuse: Probability
    gambling: Probability
    exploitation: Probability
    employment: Probability
    debt: Probability

    def values(self) -> np.ndarray:
        import numpy as np

        return np.array([getattr(self, n) for n in HOLISTIC_NEEDS])


class RunSettings(StrictModel):
    """How long to simulate and how often."""

    years: Years = 1.0
    warmup_days: Annotated[NonNegativeFloat, at_most(3_650, "ten years of warm-up; a typo")] = 0.0
    replications: Replications = 20
    seed: Seed = 2020
    start_date: date = date(2023, 4, 3)

    @model_validator(mode="after")
    def _starts_monday(self) -> RunSettings:
        if self.start_date.weekday() != 0:
            raise ValueError(f"start_date must be a Monday (got {self.start_date:%A})")
        return self


class Surge(StrictModel):
    """A stretch of extra (or less) demand, e.g. +30% for a quarter."""

    start_day: Days  # from the start of the measured window
    days: Annotated[PositiveFloat, at_most(36_500, "a hundred years; a typo")]
    multiplier: Multiplier


class DemandSettings(StrictModel):
    """Encounters that find drugs, over time."""

    searches_per_year: PerYear
    drug_search_share: Probability
    find_rate_drug_searches: Probability
    find_rate_other_searches: Probability
    other_finds_per_year: PerYear
    personal_possession_share: Probability
    informal_share_without_policy: Annotated[float, Field(ge=0.0, lt=1.0)]
    user_dealer_share_of_excluded: Probability = 0.0
    # of eligible possession finds, those that come with another, non-serious offence
    # (e.g. theft): still eligible, offered at policy.other_offence_offer_odds_ratio
    other_offence_share: Probability = 0.0
    annual_growth: Annotated[float, Field(gt=-1.0)] = 0.0  # bounded with the years: Scenario
    weekday_weights: Annotated[list[NonNegativeFloat], Field(min_length=7, max_length=7)]
    hour_weights: Annotated[list[NonNegativeFloat], Field(min_length=24, max_length=24)]
    month_weights: Annotated[list[NonNegativeFloat], Field(min_length=12, max_length=12)] = [
        1.0
    ] * 12
    surges: Annotated[list[Surge], Changes] = []

    @model_validator(mode="after")
    def _profiles_not_zero(self) -> DemandSettings:
        for name in ("weekday_weights", "hour_weights", "month_weights"):
            if sum(getattr(self, name)) <= 0:
                raise ValueError(f"{name} must not all be zero")
        return self


class UserDealerPopulation(StrictModel):
    """User-dealers are their own population: mostly dependent heroin and crack users
    ("other" substances) selling to fund their habit. Where a route exists they are
    routed to treatment (a one-to-one with onward referral), not to a group course."""

    substance: SubstanceMix
    possible_dependence: Probability


class PopulationSettings(StrictModel):
    """Who is found, and what the assessment finds."""

    age_band: AgeMix
    sex: SexMix
    ethnic_group: EthnicMix
    substance: SubstanceMix
    possible_dependence: PerSubstance
    safeguarding_need: Probability
    significant_safeguarding_share: Probability
    holistic_needs: HolisticNeeds
    user_dealers: UserDealerPopulation | None = None  # None: drawn as everyone else


class RefindSettings(StrictModel):
    """People found again: hazard = rate x frailty x a multiplier for the last outcome.

    Frailty is gamma distributed with mean 1 and the given shape: a small shape means
    a minority of people are found again and again. People stop being at risk (move
    away, stop using) at the desistance rate.
    """

    rate_per_year: Annotated[NonNegativeFloat, at_most(365, "found again every day; a typo")]
    frailty_shape: PositiveFloat
    # The people at risk at the start number new finds a year / desistance: a rate near
    # zero would simulate millions of people who are never found.
    desistance_per_year: Annotated[float, Field(ge=0.01)]
    after_no_police_action: Multiplier
    after_recorded_outcome: Multiplier
    during_diversion: Multiplier
    after_completion: Multiplier
    after_disengagement: Multiplier


WaitingStage = Literal["contact", "assessment", "course"]


class WaitingPerson(StrictModel):
    """One person on the waiting list at the start."""

    stage: WaitingStage
    waited_days: Days


class BacklogSettings(StrictModel):
    """People already waiting when the run starts (a provider's list today).

    Counts per stage, each having waited ``waited_days``; or ``people``, one entry per
    person (read by the scenario loader from a CSV named by ``file``).
    """

    waiting_for_contact: People = 0
    waiting_for_assessment: People = 0
    waiting_for_course: People = 0
    waited_days: Days = 0.0
    file: str | None = None
    people: Annotated[list[WaitingPerson], at_most(MAX_PEOPLE, PEOPLE_WHY)] = []

    def waiting(self) -> list[WaitingPerson]:
        """Everyone waiting at the start, counts and listed people together."""
        stages: tuple[tuple[WaitingStage, int], ...] = (
            ("contact", self.waiting_for_contact),
            ("assessment", self.waiting_for_assessment),
            ("course", self.waiting_for_course),
        )
        counted = [
            WaitingPerson(stage=stage, waited_days=self.waited_days)
            for stage, count in stages
            for _ in range(count)
        ]
        return counted + list(self.people)


class AreaSettings(StrictModel):
    """A local policing area: its share of demand, when the scheme goes live there (and,
    for a pilot area, ends), and its own adoption curve if officers there differ."""

    name: Annotated[str, Field(min_length=1)]
    demand_share: Probability
    go_live_after_days: NonNegativeFloat = 0.0
    adoption: AdoptionCurve | None = None  # None: the scheme's (policy.adoption)


class PolicySettings(StrictModel):
    """The scheme's rules: who is offered diversion, when, and what follows."""

    diversion: bool = True
    launch_after_days: NonNegativeFloat = 0.0
    # A scheme already running: it went live this many days before the launch, in the
    # warm-up, so its provider's queues (and officers' adoption) are as that far on.
    running_before_days: Days = 0.0
    informal_finds_recorded_share: Probability = 1.0
    end_after_days: NonNegativeFloat | None = None  # a fixed-term pilot: no offers after
    adoption: AdoptionCurve
    offer_odds_ratio: OfferOddsRatio = OfferOddsRatio()
    prior_find_odds_ratio: NonNegativeFloat = 1.0  # a person found before (a record)
    other_offence_offer_odds_ratio: NonNegativeFloat = 1.0  # with another offence (demand)
    accept_share: Probability
    dependent_accept_odds_ratio: NonNegativeFloat = 1.0  # possibly dependent users
    decided_in: CustodyRoute = "scene"
    adults_only: bool = False
    eligible_substances: Annotated[list[SubstanceName], Field(min_length=1)] | None = None  # all
    first_time_only: bool = False
    youth: YouthScheme | None = None
    once_only: bool = False
    after_once_only: Literal["counterfactual", "charge"] = "counterfactual"
    bar_after_disengagement_days: NonNegativeFloat = 0.0
    non_engagement_outcome: Literal["none", "charge"] = "none"
    contract_days: NonNegativeFloat = 0.0
    user_dealer_route: bool = False
    user_dealer_offer_share: Probability = 0.0


class WorkingHours(StrictModel):
    """Days and hours in a week when a team works."""

    working_days: Annotated[list[DayName], Field(min_length=1)]
    day_start_hour: HourOfDay
    day_end_hour: HourOfDay

    @model_validator(mode="after")
    def _valid_day(self) -> WorkingHours:
        if self.day_start_hour >= self.day_end_hour:
            raise ValueError(
                f"day_start_hour ({self.day_start_hour}) must be before "
                f"day_end_hour ({self.day_end_hour})"
            )
        if len(set(self.working_days)) != len(self.working_days):
            raise ValueError("working_days lists a day twice")
        return self


class ContactSettings(StrictModel):
    """The provider's attempts to reach a referred person by phone.

    Each attempt takes a drug worker ``attempt_minutes`` in working hours, queued with
    the assessments; 0 means a referral team makes the calls at no drug worker's cost.
    """

    first_attempt_delay_hours: NonNegativeFloat
    attempt_spacing_hours: PositiveFloat
    max_attempts: Annotated[PositiveInt, at_most(100, "more than any provider tries; a typo")]
    answer_probability: Probability
    attempt_minutes: NonNegativeFloat = 0.0


class Workforce(StrictModel):
    """Drug workers coming and going, day by day (all off by default).

    At the start ``vacancy_share`` of the posts are vacant, each filled after a
    recruitment lag; a worker in post leaves at ``turnover_per_year`` (the post is then
    vacant for ``recruitment_lag_days``, then a new starter takes it, whose share of a
    full caseload rises linearly over ``ramp_up_days``); sickness spells start at
    ``sickness_spells_per_year`` a worker and last ``sickness_spell_mean_days`` on
    average (exponential, whole days, at least one). Posts added by a staffing change
    start vacant. ``availability`` stays the day-to-day absence (leave, training).
    """

    vacancy_share: Probability = 0.0
    turnover_per_year: NonNegativeFloat = 0.0
    recruitment_lag_days: NonNegativeFloat = 0.0
    ramp_up_days: NonNegativeFloat = 0.0
    sickness_spells_per_year: NonNegativeFloat = 0.0
    sickness_spell_mean_days: PositiveFloat = 5.0

    @property
    def active(self) -> bool:
        return bool(
            self.vacancy_share
            or self.turnover_per_year
            or self.sickness_spells_per_year
            or self.recruitment_lag_days
        )


class ProviderSettings(WorkingHours):
    """Drug workers: telephone assessments and one-to-one sessions.

    ``drug_workers`` is the full-time equivalents in post. Each working day a worker is
    present with probability ``availability`` (leave, sickness, training); present
    workers spend ``admin_share`` of their time off client calls; evening sessions on
    ``evening_days`` run to ``evening_end_hour`` with ``evening_staff_share`` of the
    day's workers.
    """

    drug_workers: Staff
    availability: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    admin_share: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    evening_days: list[DayName] = []
    evening_end_hour: HourOfDay | None = None
    evening_staff_share: Probability = 1.0
    assessment_minutes: Distribution
    one_to_one_minutes: Distribution
    failed_call_minutes: NonNegativeFloat
    one_to_one_notice_hours: NonNegativeFloat = 0.0  # booked at least this long ahead
    workforce: Workforce = Workforce()

    @model_validator(mode="after")
    def _valid_evenings(self) -> ProviderSettings:
        if self.evening_days and (
            self.evening_end_hour is None or self.evening_end_hour <= self.day_end_hour
        ):
            raise ValueError("evening_days need an evening_end_hour after day_end_hour")
        if not set(self.evening_days) <= set(self.working_days):
            raise ValueError("evening_days must be working days")
        return self


class EngagementSettings(StrictModel):
    """Whether people turn up; the chance falls as the wait grows.

    At each appointment the chance of engaging is the stage's probability times
    ``exp(-wait_days / patience_days)``.
    """

    assessment_engage_probability: Probability
    one_to_one_engage_probability: Probability
    group_attend_probability: Probability
    patience_days: Annotated[NoLimit, Field(gt=0)]  # inf: waiting never puts anyone off
    max_rebookings: Annotated[NonNegativeInt, at_most(100, "more than any provider offers")]


class ReactiveSessions(StrictModel):
    """Sessions added to a stream when its queue grows, and taken away when it falls.

    Every ``check_every_days`` the provider looks at each listed stream's projected wait
    (from now to its first session with a free place, after the booking notice) and its
    waiting list (people holding a place in a later session, or waiting for one). Above
    ``add_above_wait_days`` or ``add_above_waiting`` (either, whichever are given) it adds
    a session on each of ``session_days`` at ``session_start_hour`` every week from
    ``lead_time_days`` on; once every given measure is below its ``remove_below_*``
    it takes away the added sessions that nobody has booked yet, again from
    ``lead_time_days`` on.
    """

    streams: Annotated[list[StreamName], Field(min_length=1)]
    add_above_wait_days: PositiveFloat | None = None
    remove_below_wait_days: NonNegativeFloat | None = None
    add_above_waiting: PositiveInt | None = None
    remove_below_waiting: NonNegativeInt | None = None
    lead_time_days: NonNegativeFloat
    session_days: Annotated[list[DayName], Field(min_length=1)]
    session_start_hour: HourOfDay
    check_every_days: PositiveFloat = 7.0

    @model_validator(mode="after")
    def _hysteresis(self) -> ReactiveSessions:
        pairs = (
            ("wait_days", self.add_above_wait_days, self.remove_below_wait_days),
            ("waiting", self.add_above_waiting, self.remove_below_waiting),
        )
        if all(add is None and remove is None for _, add, remove in pairs):
            raise ValueError(
                "give add_above_wait_days and remove_below_wait_days, or add_above_waiting "
                "and remove_below_waiting, or both"
            )
        for name, add, remove in pairs:
            if (add is None) != (remove is None):
                raise ValueError(f"add_above_{name} and remove_below_{name} go together")
            if add is not None and remove is not None and remove >= add:
                raise ValueError(
                    f"remove_below_{name} ({remove:g}) must be below add_above_{name} ({add:g})"
                )
        return self


class Overbooking(StrictModel):
    """Group places booked above a session's places, against expected no-shows.

    Each session takes bookings up to its places times ``1 + share_over``, or, with
    ``to_expected_attendance``, up to its places over ``group_attend_probability`` (the
    attendance expected at no wait). Attenders above the places are turned away and
    rebooked as after a no-show, without using a rebooking up.
    """

    share_over: Annotated[PositiveFloat, at_most(1, "more than double the places")] | None = None
    to_expected_attendance: bool = False

    @model_validator(mode="after")
    def _one_rule(self) -> Overbooking:
        if (self.share_over is None) == (not self.to_expected_attendance):
            raise ValueError("give either share_over or to_expected_attendance = true")
        return self

    def booking_limit(self, places: int, attend_probability: float) -> int:
        """Bookings a session of ``places`` places takes."""
        if self.share_over is not None:
            return math.floor(places * (1 + self.share_over) + 1e-9)
        if attend_probability == 0:
            return places  # nobody is expected: overbooking would fill no place
        return max(places, math.floor(places / attend_probability + 1e-9))


class CourseSettings(StrictModel):
    """Group courses: a timetable of sessions per stream, online unless said in person."""

    facilitators: StaffCount
    facilitators_per_session: Annotated[PositiveInt, at_most(100, "a typo")]
    facilitator_hours_per_week: Annotated[PositiveFloat, at_most(168, "a week has 168 hours")]
    session_hours: Annotated[PositiveFloat, at_most(12, "a group session is a few hours")]
    prep_hours_per_session: Annotated[NonNegativeFloat, at_most(24, "a typo")]
    places_per_session: PositiveInt  # online sessions (a count only: any size is cheap)
    in_person_streams: list[StreamName] = []
    # The course stream of a substance, where it is not the stream of its name (an
    # adult's substance without one goes to "general"; every under-18 to "under_18").
    streams: dict[SubstanceName, StreamName] = {}
    in_person_places_per_session: PositiveInt = 12
    booking_notice_hours: Annotated[NonNegativeFloat, at_most(8_760, "a year's notice")]
    sessions_per_course: Annotated[PositiveInt, at_most(100, "a course of a few sessions")] = 1
    session_days: Annotated[list[DayName], Field(min_length=1)]
    session_start_hours: Annotated[list[HourOfDay], Field(min_length=1)]
    sessions_per_week: SessionsPerStream
    reactive: ReactiveSessions | None = None
    overbooking: Overbooking | None = None

    def places(self, stream: str) -> int:
        """Places in one session of a stream (in-person sessions have their own size)."""
        if stream in self.in_person_streams:
            return self.in_person_places_per_session
        return self.places_per_session

    @model_validator(mode="after")
    def _sessions_apart(self) -> CourseSettings:
        starts = sorted(self.session_start_hours)
        if starts[-1] + self.session_hours > HOURS_PER_DAY:
            raise ValueError(
                f"a session starting at {starts[-1]:g} would end after midnight "
                f"(session_hours {self.session_hours:g})"
            )
        for earlier, later in zip(starts, starts[1:], strict=False):
            if later - earlier < self.session_hours:
                raise ValueError(
                    f"session_start_hours {earlier:g} and {later:g} overlap "
                    f"(session_hours {self.session_hours:g}): list each start once, "
                    "at least a session apart"
                )
        return self

    @model_validator(mode="after")
    def _timetable_fits(self) -> CourseSettings:
        needed = sum(sessions_per_fortnight(self.sessions_per_week).values())
        room = timetable_capacity(self)
        if needed > room:
            raise ValueError(
                f"the timetable needs {needed} sessions a fortnight but "
                f"{self.facilitators} facilitators ({self.facilitators_per_session} a "
                f"session) over the session days and start hours can run only {room}"
            )
        weekly_hours = (
            needed
            / 2
            * self.facilitators_per_session
            * (self.session_hours + self.prep_hours_per_session)
        )
        if weekly_hours > self.facilitators * self.facilitator_hours_per_week + 1e-9:
            raise ValueError(
                f"the timetable needs {weekly_hours:g} facilitator hours a week but "
                f"{self.facilitators} facilitators work "
                f"{self.facilitators * self.facilitator_hours_per_week:g}"
            )
        return self


class StaffingChange(StrictModel):
    """From a day of the measured window on, a new staffing level (only what is given)."""

    from_day: Annotated[PositiveFloat, at_most(36_500, "a hundred years; a typo")]
    drug_workers: Staff | None = None
    facilitators: StaffCount | None = None
    sessions_per_week: SessionsPerStream | None = None


class CostSettings(StrictModel):
    """Provider and police costs (pounds), each a number in ``price_year`` prices or a
    table ``{ amount = ..., price_year = "2014/15" }``; the model reports every cost in
    ``price_year`` prices (:mod:`simdivert.scenario.prices`).

    Drug workers are paid per FTE in post (fractions allowed). Facilitators are salaried
    (per FTE) or sessional (paid per hour of session and preparation actually run). The
    overhead is a fixed sum plus a share of the staff cost. A contract price (per
    referral, per year, or both), where given, is what the commissioner pays instead of
    the provider's costs. Police time is valued by officer hours or per possession crime.
    """

    price_year: PriceYear = "2023/24"
    drug_worker_cost_per_fte_year: Money
    facilitator_cost_per_fte_year: Money
    facilitator_pay: Literal["salaried", "sessional"] = "salaried"
    facilitator_cost_per_hour: Money = PricedAmount(amount=0.0)
    cost_per_group_session: Money
    provider_overhead_per_year: Money
    overhead_share_of_staff_cost: NonNegativeFloat = 0.0
    contract_price_per_referral: Money | None = None
    contract_price_per_year: Money | None = None
    police_cost_per_hour: Money
    police_cost_method: Literal["officer_hours", "per_possession_crime"] = "officer_hours"
    police_cost_per_possession_crime: Money | None = None

    @model_validator(mode="after")
    def _method_has_its_price(self) -> CostSettings:
        if self.police_cost_method == "per_possession_crime" and (
            self.police_cost_per_possession_crime is None
        ):
            raise ValueError(
                "police_cost_method 'per_possession_crime' needs police_cost_per_possession_crime"
            )
        return self

    def pounds(self, name: str) -> float:
        """A cost field in the scenario's price year (0 for an absent optional price)."""
        value = getattr(self, name)
        return 0.0 if value is None else money_in(value, self.price_year)

    @property
    def has_contract_price(self) -> bool:
        return (
            self.contract_price_per_referral is not None or self.contract_price_per_year is not None
        )


@dataclass(frozen=True)
class StaffingPeriod:
    """A stretch of model time with one staffing level."""

    start_hours: float
    end_hours: float
    drug_workers: float
    course: CourseSettings


class PoliceSettings(StrictModel):
    """Officer time, and what a find would have led to without diversion."""

    referral_hours: NonNegativeFloat
    informal_word_hours: NonNegativeFloat
    published_hours_per_arrest: NonNegativeFloat
    outcome_hours: OutcomeHours
    later_prosecution_hours: NonNegativeFloat
    counterfactual_mix: CounterfactualMix
    formal_outcome_odds_ratio: PerEthnicGroup
    # An adult's later cannabis find that is not diverted gets at least the next step of
    # the escalation ladder (cannabis warning, penalty notice, charge) above the last one
    # the person had; a person found before the run starts with a warning on record.
    cannabis_escalation: bool = False


class TargetSettings(StrictModel):
    """Service-level targets for waits: 9 in 10 people should wait at most this many days.

    They do not change the simulation; reports check the waits against them. Names match
    the KPIs they bound (``assessment_wait_p90_days`` is referral to assessment call).
    """

    assessment_wait_p90_days: PositiveFloat = 14.0
    one_to_one_wait_p90_days: PositiveFloat = 14.0
    course_wait_p90_days: PositiveFloat = 21.0


class Scenario(StrictModel):
    """Everything one simulation run needs to know."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    run: RunSettings
    demand: DemandSettings
    population: PopulationSettings
    equity: EquitySettings
    policy: PolicySettings
    areas: Annotated[list[AreaSettings], Field(min_length=1), Changes]
    refind: RefindSettings
    contact: ContactSettings
    provider: ProviderSettings
    engagement: EngagementSettings
    course: CourseSettings
    staffing: Annotated[list[StaffingChange], Changes] = []
    backlog: BacklogSettings = BacklogSettings()
    costs: CostSettings
    police: PoliceSettings
    offending: OffendingSettings
    courts: CourtSettings
    targets: TargetSettings = TargetSettings()
    cohorts: Annotated[list[CohortSettings], Changes] = []
    # The inputs nobody knows well, each with a prior (scenario/uncertainty.py); used
    # only by runs with uncertainty, fits and global sensitivity, never by a plain run.
    uncertainty: Annotated[dict[str, Prior], Field(max_length=MAX_UNCERTAIN_INPUTS)] = {}

    @model_validator(mode="after")
    def _uncertain_inputs_are_numbers(self) -> Scenario:
        for key in self.uncertainty:
            problem = key_problem(key, self.value_at(key))
            if problem is not None:
                raise ValueError(f"uncertainty.{key}: {problem}")
        return self

    def value_at(self, key: str) -> object:
        """The value at a dotted key through the scenario's tables, or MISSING."""
        node: object = self
        for part in key.split("."):
            if isinstance(node, StrictModel) and part in type(node).model_fields:
                node = getattr(node, part)
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return MISSING
        return node

    @field_validator("cohorts")
    @classmethod
    def _cohort_names_differ(cls, cohorts: list[CohortSettings]) -> list[CohortSettings]:
        names = [cohort.name for cohort in cohorts]
        if len(set(names)) != len(names):
            raise ValueError("two cohorts have the same name")
        return cohorts

    @field_validator("demand")
    @classmethod
    def _growth_within_bounds(cls, demand: DemandSettings, info: ValidationInfo) -> DemandSettings:
        run = info.data.get("run")  # validated before demand (field order)
        if run is None:
            return demand
        years = run.warmup_days / DAYS_PER_YEAR + run.years
        if years * math.log1p(demand.annual_growth) > math.log(MAX_GROWTH):
            raise ValueError(
                f"annual_growth {demand.annual_growth:g} over {years:.3g} years multiplies "
                f"demand by more than {MAX_GROWTH:,} (a typo, and more finds than any "
                "machine can simulate)"
            )
        return demand

    @field_validator("areas")
    @classmethod
    def _areas_cover_the_force(cls, areas: list[AreaSettings]) -> list[AreaSettings]:
        total = sum(area.demand_share for area in areas)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"demand shares must sum to 1 (they sum to {total:.6g})")
        names = [area.name for area in areas]
        if len(set(names)) != len(names):
            raise ValueError("two areas have the same name")
        return areas

    @model_validator(mode="after")
    def _substances_known(self) -> Scenario:
        """Every substance named anywhere is one of population.substance, and each has a
        dependence share and a counterfactual mix (its own or the "other" row)."""
        population = self.population
        named: list[tuple[str, list[str]]] = [
            ("population.possible_dependence", list(population.possible_dependence)),
            (
                "police.counterfactual_mix",
                [n for n in self.police.counterfactual_mix if n != UNDER_18_MIX],
            ),
            ("course.streams", list(self.course.streams)),
            ("policy.eligible_substances", self.policy.eligible_substances or []),
        ]
        if population.user_dealers is not None:
            dealers = list(population.user_dealers.substance)
            named.append(("population.user_dealers.substance", dealers))
        for key, names in named:
            for name in names:
                if name not in self.substances:
                    raise ValueError(f"{key}.{name}: not a substance of population.substance")
        for name in self.substances:
            if name not in population.possible_dependence:
                raise ValueError(f"population.possible_dependence.{name}: missing")
        mix = self.police.counterfactual_mix
        if UNDER_18_MIX not in mix:
            raise ValueError(f"police.counterfactual_mix.{UNDER_18_MIX}: missing")
        for name in self.substances:
            if name not in mix and FALLBACK_SUBSTANCE not in mix:
                raise ValueError(
                    f"police.counterfactual_mix.{name}: missing (and no "
                    f"{FALLBACK_SUBSTANCE!r} row to default to)"
                )
        return self

    @model_validator(mode="after")
    def _streams_known(self) -> Scenario:
        check_streams(self)
        return self

    @property
    def streams(self) -> tuple[str, ...]:
        """The scenario's course streams: the keys of course.sessions_per_week, the built-in
        names first (a referral's stream code indexes this)."""
        return tuple(self.course.sessions_per_week)

    def unreachable_streams(self) -> list[str]:
        """Streams with sessions that no substance goes to (:func:`unreachable_streams`)."""
        return unreachable_streams(self)

    @property
    def substances(self) -> tuple[str, ...]:
        """The scenario's substances: the keys of population.substance, in file order
        (a person's substance code indexes this)."""
        return tuple(self.population.substance)

    def counterfactual_matrix(self) -> np.ndarray:
        """The outcome mix without diversion, rows: the substances (a substance without
        its own row takes the "other" row), then under-18s; columns: OUTCOMES."""
        import numpy as np

        mix = self.police.counterfactual_mix
        rows = [mix.get(name) or mix[FALLBACK_SUBSTANCE] for name in self.substances]
        return np.vstack([row.shares() for row in [*rows, mix[UNDER_18_MIX]]])

    def course_stream_codes(self) -> np.ndarray:
        """The course stream (a code into :attr:`streams`) of each substance code."""
        import numpy as np

        return np.array([self.streams.index(stream_of(self, name)) for name in self.substances])

    def possible_dependence_shares(self) -> np.ndarray:
        """The possibly-dependent share of each substance code."""
        import numpy as np

        dependence = self.population.possible_dependence
        return np.array([dependence[name] for name in self.substances])

    def substance_shares(self, mix: dict[str, float]) -> np.ndarray:
        """A substance mix as shares over the scenario's substance codes (0 if absent)."""
        import numpy as np

        return np.array([mix.get(name, 0.0) for name in self.substances])

    @model_validator(mode="after")
    def _running_before_in_the_warmup(self) -> Scenario:
        before = self.policy.running_before_days
        if before > 0 and self.policy.launch_after_days > 0:
            raise ValueError(
                "policy.running_before_days: a scheme already running starts the measured "
                "window, so policy.launch_after_days must be 0"
            )
        if before > self.run.warmup_days:
            raise ValueError(
                f"policy.running_before_days ({before:g}) must be within run.warmup_days "
                f"({self.run.warmup_days:g}): the scheme runs before the window in the warm-up"
            )
        return self

    @model_validator(mode="after")
    def _youth_pilot_areas_exist(self) -> Scenario:
        youth = self.policy.youth
        names = {area.name for area in self.areas}
        if youth is not None:
            for index, name in enumerate(youth.pilot_areas):
                if name not in names:
                    raise ValueError(f"policy.youth.pilot_areas.{index}: no area named {name!r}")
        return self

    @field_validator("staffing")
    @classmethod
    def _changes_in_order(cls, staffing: list[StaffingChange]) -> list[StaffingChange]:
        days = [change.from_day for change in staffing]
        if days != sorted(set(days)):
            raise ValueError("from_day must increase from one change to the next")
        return staffing

    @model_validator(mode="after")
    def _timetables_fit(self) -> Scenario:
        for index, change in enumerate(self.staffing):
            try:
                self._course_after(change, self.course)
            except ValidationError as error:
                problem = error.errors()[0]["msg"].removeprefix("Value error, ")
                raise ValueError(f"staffing.{index}: {problem}") from None
        return self

    @staticmethod
    def _course_after(change: StaffingChange, course: CourseSettings) -> CourseSettings:
        sessions = change.sessions_per_week  # the streams it names; the others keep theirs
        updates = {
            key: value
            for key, value in (
                ("facilitators", change.facilitators),
                (
                    "sessions_per_week",
                    None if sessions is None else {**course.sessions_per_week, **sessions},
                ),
            )
            if value is not None
        }
        if not updates:
            return course
        return CourseSettings.model_validate({**course.model_dump(), **updates})

    def staffing_periods(self) -> list[StaffingPeriod]:
        """The staffing level in force over each stretch of [0, horizon)."""
        periods = []
        start, drug_workers, course = 0.0, self.provider.drug_workers, self.course
        for change in self.staffing:
            change_hours = self.warmup_hours + change.from_day * HOURS_PER_DAY
            if change_hours >= self.horizon_hours:
                break
            periods.append(StaffingPeriod(start, change_hours, drug_workers, course))
            start = change_hours
            if change.drug_workers is not None:
                drug_workers = change.drug_workers
            course = self._course_after(change, course)
        periods.append(StaffingPeriod(start, self.horizon_hours, drug_workers, course))
        return periods

    @property
    def go_live_hours(self) -> float:
        """When the scheme first runs (model hours): the launch, or earlier for a scheme
        already running (``policy.running_before_days``, in the warm-up)."""
        return self.launch_hours - self.policy.running_before_days * HOURS_PER_DAY

    @property
    def launch_hours(self) -> float:
        """When the scheme launches (model hours), also without diversion.

        A status-quo scenario keeps its launch date so that its policy years line up
        with those of the scheme it is compared with.
        """
        return self.warmup_hours + self.policy.launch_after_days * HOURS_PER_DAY

    @property
    def horizon_hours(self) -> float:
        """Warm-up plus the measured years."""
        return self.run.warmup_days * HOURS_PER_DAY + self.run.years * HOURS_PER_YEAR

    @property
    def warmup_hours(self) -> float:
        return self.run.warmup_days * HOURS_PER_DAY
