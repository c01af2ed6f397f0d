"""KPIs of one replication, computed once, at the end, from the columnar logs.

The measured window is [warm-up, horizon); the policy period is the part of it from
the launch on. Flow through the pathway is of the cohort referred in the policy
period: shares count what happened by the end of the run, so people still in the
pathway at the end are a category of their own (``share_in_system_at_end``) and the
shares of terminal states plus it sum to 1; waits are of cohort members whose wait had
ended by the end of the run. Counts of finds and outcomes are per year of the window
and, with suffix ``_y0`` (the year before launch), ``_y1``, ``_y2``... per policy year.
"""

from __future__ import annotations

import math

import numpy as np

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from simdivert.kpis import (
    COHORT_MONTHS,
    COHORT_STATES,
    OUTCOME_KPIS,
    SHARE_SUBSTANCES,
    area_kpi,
    capacity_kpi_names,
    cohort_kpi_names,
    stream_kpi,
)
from simdivert.model.costs import cost_kpis
from simdivert.model.courts import court_kpis, scheme_and_status_quo
from simdivert.model.demand import POSSESSION, USER_DEALER, Demand
from simdivert.model.equity import equity_kpis
from simdivert.model.offending import index_events, reoffending_kpis
from simdivert.model.police import FindsLog
from simdivert.model.provider import (
    COMPLETED,
    DISENGAGED,
    IN_SYSTEM,
    LEFT_AT_ASSESSMENT,
    LEFT_AT_COURSE,
    LEFT_AT_ONE_TO_ONE,
    NOT_CONTACTED,
    ROUTE_GROUP,
    ROUTE_ONE_TO_ONE,
    SLOT_ADDED,
    SLOT_REMOVED,
    PathwayLog,
    SessionBook,
)
from simdivert.model.queues import stage_intervals, time_average
from simdivert.model.random_streams import RandomStreams
from simdivert.model.roster import on_duty_hours
from simdivert.model.rules import (
    CHARGE,
    DIVERTED,
    FORMAL_CODES,
    decided_in_custody,
    officer_hours,
)
from simdivert.model.utilisation import call_intervals, facilitator_hours_contracted, sessions_held
from simdivert.model.window import Window
from simdivert.scenario.schema import ETHNIC_GROUPS, OUTCOMES, SEXES, Scenario
from simdivert.stats import p90
from simdivert.waits import ROUNDING_HOURS, StepTimes, finished_waits, in_days, waits_so_far

FORMAL_SHARE_GROUPS = [(g, s) for g in ETHNIC_GROUPS for s in SEXES]
COMMUNITY_RESOLUTION = OUTCOMES.index("community_resolution")
HOURS_PER_MONTH = HOURS_PER_YEAR / 12


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if values.size else float("nan")


def _share(mask: np.ndarray, of: np.ndarray | None = None) -> float:
    if of is not None:
        mask = mask[of]
    return float(mask.mean()) if mask.size else float("nan")


def _per_year(count: float, window: Window) -> float:
    return count / window.years if not window.empty else math.nan


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def policy_years(scenario: Scenario) -> list[tuple[str, Window]]:
    """The whole years of the window around the launch: y0 before it, y1, y2... after."""
    launch, start, end = scenario.launch_hours, scenario.warmup_hours, scenario.horizon_hours
    years = []
    if launch - HOURS_PER_YEAR >= start - 1e-6:
        years.append(("y0", Window(launch - HOURS_PER_YEAR, launch)))
    k = 1
    while launch + k * HOURS_PER_YEAR <= end + 1e-6:
        years.append(
            (f"y{k}", Window(launch + (k - 1) * HOURS_PER_YEAR, launch + k * HOURS_PER_YEAR))
        )
        k += 1
    return years


def step_times(log: PathwayLog, rows: np.ndarray | slice = slice(None)) -> StepTimes:
    """The step times of the referrals ``rows`` of the log, for :mod:`simdivert.waits`."""
    route = log.route[rows]
    return StepTimes(
        referral=log.referral_hours[rows],
        first_contact=log.first_contact_hours[rows],
        assessment=log.assessment_hours[rows],
        assessment_end=log.assessment_end_hours[rows],
        booked=log.intervention_booked_hours[rows],
        assessed=log.assessed[rows],
        group=route == ROUTE_GROUP,
        one_to_one=route == ROUTE_ONE_TO_ONE,
        end=log.end_hours[rows],
    )


def pathway_kpis(
    log: PathwayLog,
    substance: np.ndarray,
    substances: tuple[str, ...],
    window: Window,
    horizon: float,
) -> dict[str, float]:
    """Flow, shares and waits of the cohort referred in the window (the policy period);
    ``substance`` codes index ``substances`` (a share KPI's substance that the scenario
    does not list has share 0)."""
    cohort = window.contains(log.referral_hours) & ~log.waiting_at_start
    state = log.state[cohort]
    steps = step_times(log, cohort)
    hours = finished_waits(steps, horizon)
    so_far = {stage: in_days(wait) for stage, (wait, _) in waits_so_far(steps, horizon).items()}
    waits = {stage: in_days(wait) for stage, wait in hours.items()}
    called = ~np.isnan(steps.assessment)
    return {
        "referrals_per_year": _per_year(cohort.sum(), window),
        "share_assessed": _share(steps.assessed),
        "share_completed": _share(state == COMPLETED),
        "share_not_contacted": _share(state == NOT_CONTACTED),
        "share_disengaged_assessment": _share(state == LEFT_AT_ASSESSMENT),
        "share_disengaged_one_to_one": _share(state == LEFT_AT_ONE_TO_ONE),
        "share_disengaged_course": _share(state == LEFT_AT_COURSE),
        "share_in_system_at_end": _share(state == IN_SYSTEM),
        "share_one_to_one": _share(steps.one_to_one, of=steps.assessed),
        **{
            f"share_{name}": _share(
                substance[cohort] == (substances.index(name) if name in substances else -2)
            )
            for name in SHARE_SUBSTANCES
        },
        "first_contact_wait_mean_days": _mean(waits["first_contact"]),
        "assessment_wait_mean_days": _mean(waits["assessment"]),
        "assessment_wait_p90_days": p90(waits["assessment"]),
        "assessment_queue_wait_mean_days": _mean(waits["assessment_queue"]),
        "share_waited_for_assessment": _share(hours["assessment_queue"] > ROUNDING_HOURS),
        "course_wait_mean_days": _mean(waits["course"]),
        "course_wait_p90_days": p90(waits["course"]),
        "assessment_wait_so_far_p90_days": p90(so_far["assessment"]),
        "course_wait_so_far_p90_days": p90(so_far["course"]),
        "one_to_one_wait_mean_days": _mean(waits["one_to_one"]),
        "in_system_at_end": float(np.sum(state == IN_SYSTEM)),
        "waiting_for_assessment_at_end": float(np.sum((steps.first_contact < horizon) & ~called)),
        "waiting_for_course_at_end": float(
            np.sum(steps.assessed & steps.group & (state == IN_SYSTEM))
        ),
    }


def queue_kpis(log: PathwayLog, window: Window) -> dict[str, float]:
    """Time-average number waiting at each stage over the window (all referrals)."""
    return {
        f"{stage}_queue_mean": time_average(starts, ends, window.start, window.end)
        for stage, (starts, ends) in stage_intervals(log).items()
    }


def capacity_kpis(
    scenario: Scenario,
    log: PathwayLog,
    sessions: SessionBook,
    duty: tuple[np.ndarray, np.ndarray],
    window: Window,
) -> dict[str, float]:
    """Utilisation of drug workers and facilitators, how full sessions are, and costs."""
    starts, ends = call_intervals(log)
    busy = window.overlap_hours(starts, ends)
    on_duty = on_duty_hours(*duty, window.start, window.end)
    course = scenario.course
    session_starts, session_streams, attended = sessions_held(sessions)
    in_window = window.contains(session_starts)
    held = int(in_window.sum())
    per_session = course.facilitators_per_session * (
        course.session_hours + course.prep_hours_per_session
    )
    contracted = facilitator_hours_contracted(scenario, window.start, window.end)
    places = np.array([course.places(stream) for stream in scenario.streams])[session_streams]
    fill = {
        stream_kpi("group_session_fill_rate", stream): _ratio(
            float(attended[in_window & (session_streams == k)].sum()),
            float(places[in_window & (session_streams == k)].sum()),
        )
        for k, stream in enumerate(scenario.streams)
    }
    return {
        "drug_worker_utilisation": _ratio(busy, on_duty),
        "facilitator_utilisation": _ratio(held * per_session, contracted),
        "group_session_fill_rate": _ratio(
            float(attended[in_window].sum()), float(places[in_window].sum())
        ),
        **fill,
        "group_sessions_per_year": _per_year(held, window),
        "facilitator_hours_used_per_year": _per_year(held * per_session, window),
        **reactive_kpis(sessions, window),
        **overbooking_kpis(sessions, window),
    }


def overbooking_kpis(sessions: SessionBook, window: Window) -> dict[str, float]:
    """Sessions in the window booked above their places (``course.overbooking``), and
    the people turned away from them because more came than there were places, a year."""
    times = np.concatenate([np.asarray(t, dtype=float) for t in sessions.times])
    booked = np.concatenate([np.asarray(b, dtype=np.int64) for b in sessions.booked])
    places = np.concatenate(
        [np.full(len(t), n) for t, n in zip(sessions.times, sessions.places, strict=True)]
    )
    away = np.concatenate([np.asarray(t, dtype=np.int64) for t in sessions.turned_away])
    in_window = window.contains(times)
    return {
        "overbooked_sessions_per_year": _per_year(
            float(np.sum(in_window & (booked > places))), window
        ),
        "turned_away_per_year": _per_year(float(away[in_window].sum()), window),
    }


def reactive_kpis(sessions: SessionBook, window: Window) -> dict[str, float]:
    """Sessions added to streams by the reactive rule (``course.reactive``) in the window,
    and those of them taken away again before they ran, a year."""
    times = np.concatenate([np.asarray(t, dtype=float) for t in sessions.times])
    kinds = np.concatenate([np.asarray(k, dtype=np.int64) for k in sessions.kind])
    in_window = window.contains(times)
    return {
        "reactive_sessions_added_per_year": _per_year(
            float(np.sum(in_window & np.isin(kinds, [SLOT_ADDED, SLOT_REMOVED]))), window
        ),
        "reactive_sessions_removed_per_year": _per_year(
            float(np.sum(in_window & (kinds == SLOT_REMOVED))), window
        ),
    }


def rereferral_rate(finds: FindsLog, horizon: float, window: Window) -> float:
    """Share of people first referred in the window, with a year of follow-up left, who are
    referred again within 12 months of that first referral."""
    diverted = finds.outcome == DIVERTED
    person, hours = finds.person[diverted], finds.hours[diverted]
    order = np.lexsort((hours, person))
    person, hours = person[order], hours[order]
    first = np.append(True, person[1:] != person[:-1])
    has_next = np.append(person[1:] == person[:-1], False)
    gap = np.append(hours[1:] - hours[:-1], np.inf)
    followed = first & window.contains(hours) & (hours + HOURS_PER_YEAR <= horizon)
    again = followed & has_next & (gap <= HOURS_PER_YEAR)
    return _ratio(float(again.sum()), float(followed.sum()))


def find_kpis(demand: Demand, finds: FindsLog, window: Window, policy: Window) -> dict[str, float]:
    """Encounters, finds, recorded offences and the recording uplift."""
    kind = demand.person_kind[finds.person]
    possession = kind == POSSESSION
    in_window = window.contains(finds.hours)
    in_policy = policy.contains(finds.hours)
    repeats = float(np.sum(finds.repeat & in_window))
    first_finds = float(np.sum(window.contains(demand.find_hours)))
    searches = float(np.sum(window.contains(demand.search_hours)))
    other = float(np.sum(window.contains(demand.other_find_hours)))
    recorded = finds.recorded & possession
    recorded_without = finds.recorded_without_policy & possession
    kpis = {
        "encounters_per_year": _per_year(searches + other + repeats, window),
        "finds_per_year": _per_year(first_finds + repeats, window),
        "repeat_find_share": _ratio(repeats, float(np.sum(in_window))),
        "recorded_possession_without_policy_per_year": _per_year(
            np.sum(recorded_without & in_window), window
        ),
        "recording_uplift": _ratio(
            np.sum(recorded & in_policy), np.sum(recorded_without & in_policy)
        )
        - 1,
    }
    return kpis


def outcome_kpis(
    scenario: Scenario, demand: Demand, finds: FindsLog, windows: list[tuple[str, Window]]
) -> dict[str, float]:
    """Outcomes of possession finds, formal-outcome shares by group, officer hours.

    A later prosecution (a breached contract, not engaging where that is charged)
    counts as a charge, and its officer hours, in the year it happens; the find then
    counts as having a formal outcome in the year of the find.
    """
    people = demand.people
    person = finds.person
    possession = demand.person_kind[person] == POSSESSION
    later_charge = finds.later_outcome == CHARGE
    formal = np.isin(finds.outcome, FORMAL_CODES) | later_charge
    recorded = finds.recorded & possession
    diverted = finds.outcome == DIVERTED
    custody = diverted & decided_in_custody(scenario, demand.person_kind[person] == USER_DEALER)
    hours = np.where(
        custody, scenario.police.published_hours_per_arrest, officer_hours(scenario)[finds.outcome]
    )
    ethnic, sex = people.ethnic_group[person], people.sex[person]
    kpis: dict[str, float] = {}
    for suffix, window in windows:
        at_find = window.contains(finds.hours) & possession
        later = window.contains(finds.later_outcome_hours) & possession & later_charge
        for code, name in enumerate(OUTCOMES):
            count = np.sum(at_find & (finds.outcome == code))
            if code == CHARGE:
                count += np.sum(later)
            kpis[f"{OUTCOME_KPIS[name]}{suffix}"] = _per_year(count, window)
        # As police outcome data records them: a diversion is a conditional community
        # resolution.
        kpis[f"community_resolutions_with_diversion_per_year{suffix}"] = _per_year(
            np.sum(at_find & ((finds.outcome == COMMUNITY_RESOLUTION) | diverted)), window
        )
        in_window = window.contains(finds.hours)
        kpis[f"offers_per_year{suffix}"] = _per_year(np.sum(in_window & finds.offered), window)
        kpis[f"diversions_per_year{suffix}"] = _per_year(np.sum(in_window & diverted), window)
        recorded_in = recorded & in_window
        kpis[f"recorded_possession_per_year{suffix}"] = _per_year(np.sum(recorded_in), window)
        for g, s in FORMAL_SHARE_GROUPS:
            group = recorded_in & (ethnic == ETHNIC_GROUPS.index(g)) & (sex == SEXES.index(s))
            kpis[f"formal_outcome_share_{g}_{s}{suffix}"] = _ratio(
                np.sum(formal & group), np.sum(group)
            )
        officer_time = (
            np.sum(hours[at_find]) + np.sum(later) * scenario.police.later_prosecution_hours
        )
        kpis[f"police_hours_per_year{suffix}"] = _per_year(officer_time, window)
    return kpis


def adjusted_hours_saved(
    scenario: Scenario, demand: Demand, finds: FindsLog, diverted: np.ndarray
) -> np.ndarray:
    """Officer hours each diverted find saves by the adjusted method: the hours of the
    outcome it would have had without the scheme, less the referral's own time
    (an arrest's when decided in custody) and any later prosecution."""
    police = scenario.police
    user_dealer = demand.person_kind[finds.person[diverted]] == USER_DEALER
    referral_hours = np.where(
        decided_in_custody(scenario, user_dealer),
        police.published_hours_per_arrest,
        police.referral_hours,
    )
    later = np.where(finds.later_outcome[diverted] == CHARGE, police.later_prosecution_hours, 0.0)
    return officer_hours(scenario)[finds.counterfactual[diverted]] - referral_hours - later


def area_kpis(
    scenario: Scenario,
    demand: Demand,
    finds: FindsLog,
    pathway: PathwayLog,
    policy: Window,
    horizon: float,
) -> dict[str, float]:
    """Referrals, the P90 assessment wait, the share completing and police hours saved
    (adjusted) in each area of a scenario with more than one area, by the person's area,
    with the definitions of the force's KPIs (:data:`simdivert.kpis.AREA_KPIS`)."""
    if len(scenario.areas) < 2:
        return {}
    area = demand.people.area
    referred = finds.referral >= 0
    referral_area = np.full(pathway.size, -1)  # -1: on the waiting list before the run
    referral_area[finds.referral[referred]] = area[finds.person[referred]]
    cohort = policy.contains(pathway.referral_hours) & ~pathway.waiting_at_start
    diverted = (finds.outcome == DIVERTED) & policy.contains(finds.hours)
    saved = adjusted_hours_saved(scenario, demand, finds, diverted)
    saved_area = area[finds.person[diverted]]
    kpis = {}
    for index, settings in enumerate(scenario.areas):
        mine = cohort & (referral_area == index)
        waits = in_days(finished_waits(step_times(pathway, mine), horizon)["assessment"])
        values = {
            "referrals_per_year": _per_year(mine.sum(), policy),
            "assessment_wait_p90_days": p90(waits),
            "share_completed": _share(pathway.state[mine] == COMPLETED),
            "police_hours_saved_adjusted_per_year": _per_year(
                np.sum(saved[saved_area == index]), policy
            ),
        }
        kpis.update({area_kpi(settings.name, kpi): value for kpi, value in values.items()})
    return kpis


def police_kpis(
    scenario: Scenario,
    demand: Demand,
    finds: FindsLog,
    pathway: PathwayLog,
    policy: Window,
) -> dict[str, float]:
    """Police hours saved (published and adjusted methods), onward referrals, user-dealers.

    Published: every referral counted as an avoided arrest. Adjusted: for each referral,
    the officer hours of the outcome its find would have had without the scheme (an
    informal word for a find recorded only because of it), less the referral's own time
    (an arrest for user-dealers and custody-route schemes) and any later prosecution.
    """
    police = scenario.police
    people = demand.people
    diverted = (finds.outcome == DIVERTED) & policy.contains(finds.hours)
    person = finds.person[diverted]
    user_dealer = demand.person_kind[person] == USER_DEALER
    saved = adjusted_hours_saved(scenario, demand, finds, diverted)
    referral = finds.referral[diverted]
    assessed = pathway.assessed[referral]
    return {
        "user_dealer_referrals_per_year": _per_year(np.sum(user_dealer), policy),
        "onward_referrals_per_year": _per_year(
            people.holistic_needs[person[assessed]].sum(), policy
        ),
        "safeguarding_referrals_per_year": _per_year(
            np.sum(people.safeguarding_need[person[assessed]]), policy
        ),
        "police_hours_saved_published_per_year": _per_year(
            np.sum(diverted) * police.published_hours_per_arrest, policy
        ),
        "police_hours_saved_adjusted_per_year": _per_year(np.sum(saved), policy),
    }


def cohort_counts(
    pathway: PathwayLog,
    referred_from: float,
    referred_to: float,
    followed_to: float,
    horizon: float,
) -> dict[str, float]:
    """The people referred in [``referred_from``, ``referred_to``) (model hours; the
    starting backlog excluded) and their state at ``followed_to``, by
    :data:`~simdivert.kpis.COHORT_STATES`: completed, disengaged and in the pathway sum
    to the referred. NaN throughout where the run ends before ``followed_to``."""
    if followed_to > horizon + 1e-6:
        return dict.fromkeys(COHORT_STATES, math.nan)
    hours = pathway.referral_hours
    cohort = ~pathway.waiting_at_start & (hours >= referred_from) & (hours < referred_to)
    ended = cohort & (pathway.end_hours < followed_to)  # NaN (not ended) compares False
    state = pathway.state
    return {
        "referred": float(np.sum(cohort)),
        "assessed": float(
            np.sum(cohort & pathway.assessed & (pathway.assessment_end_hours < followed_to))
        ),
        "completed": float(np.sum(ended & (state == COMPLETED))),
        "disengaged": float(np.sum(ended & np.isin(state, DISENGAGED))),
        "in_pathway": float(np.sum(cohort & ~ended)),
    }


def cohort_kpis(
    scenario: Scenario, demand: Demand, finds: FindsLog, pathway: PathwayLog
) -> dict[str, float]:
    """What a pilot publishes: each of the scenario's ``[[cohorts]]`` by state
    (``cohort_<name>_<state>``); referrals and completions since the launch by a month
    (the cohort referred from the launch to the month, followed to it); and under-18
    referrals in the youth scheme's first three months (its earliest go-live, or the
    launch without a youth scheme). NaN where the run ends earlier."""
    launch, horizon = scenario.launch_hours, scenario.horizon_hours
    kpis: dict[str, float] = {}
    for cohort in scenario.cohorts:
        referred_from, referred_to, followed_to = (
            launch + day * HOURS_PER_DAY
            for day in (cohort.from_day, cohort.to_day, cohort.followed_to_day)
        )
        counts = cohort_counts(pathway, referred_from, referred_to, followed_to, horizon)
        kpis.update(zip(cohort_kpi_names(cohort.name), counts.values(), strict=True))
    for months in COHORT_MONTHS:
        end = launch + months * HOURS_PER_MONTH
        counts = cohort_counts(pathway, launch, end, end, horizon)
        kpis[f"referrals_by_month_{months}"] = counts["referred"]
        kpis[f"completions_by_month_{months}"] = counts["completed"]
    diverted = finds.outcome == DIVERTED
    referral_hours = finds.hours[diverted]
    youth = scenario.policy.youth
    start = launch + (youth.go_live_after_days * HOURS_PER_DAY if youth is not None else 0.0)
    end = start + 3 * HOURS_PER_MONTH
    under_18 = demand.people.under_18[finds.person[diverted]]
    kpis["under_18_referrals_first_3_months"] = (
        math.nan
        if end > horizon + 1e-6
        else float(np.sum(under_18 & (referral_hours >= start) & (referral_hours < end)))
    )
    return kpis


def downstream_kpis(
    scenario: Scenario,
    demand: Demand,
    finds: FindsLog,
    pathway: PathwayLog,
    streams: RandomStreams,
    policy: Window,
    kpis: dict[str, float],
) -> dict[str, float]:
    """What follows the police outcomes in the policy period: reoffending, the courts and
    the costs (:mod:`~simdivert.model.offending`, :mod:`~simdivert.model.courts`,
    :mod:`~simdivert.model.costs`), against the status quo on the same finds."""
    horizon = scenario.horizon_hours
    events = index_events(
        scenario.offending, demand.people, finds, pathway, policy.start, policy.end, streams
    )
    downstream = reoffending_kpis(events, horizon, policy.years)
    scheme, status_quo = scheme_and_status_quo(
        scenario.courts, finds, streams, policy.start, policy.end
    )
    downstream.update(
        court_kpis(scenario.courts, scheme, status_quo, policy.years, scenario.costs.price_year)
    )
    completions = float(np.sum((pathway.state == COMPLETED) & policy.contains(pathway.end_hours)))
    downstream.update(
        cost_kpis(
            scenario,
            demand,
            finds,
            policy,
            completions,
            {**kpis, **downstream},
        )
    )
    return downstream


def replication_kpis(
    scenario: Scenario,
    demand: Demand,
    finds: FindsLog,
    pathway: PathwayLog,
    sessions: SessionBook,
    duty: tuple[np.ndarray, np.ndarray],
    streams: RandomStreams,
) -> dict[str, float]:
    """Every KPI of one replication."""
    horizon = scenario.horizon_hours
    window = Window(scenario.warmup_hours, horizon)
    policy = Window(max(window.start, scenario.launch_hours), horizon)
    years = policy_years(scenario)
    referred = finds.referral >= 0
    referral_substance = np.full(pathway.size, -1)  # -1: on the waiting list before the run
    referral_substance[finds.referral[referred]] = demand.people.substance[finds.person[referred]]

    kpis = {
        **find_kpis(demand, finds, window, policy),
        **pathway_kpis(pathway, referral_substance, scenario.substances, policy, horizon),
        "rereferral_rate": rereferral_rate(finds, horizon, policy),
        **queue_kpis(pathway, policy),
        **police_kpis(scenario, demand, finds, pathway, policy),
        **outcome_kpis(scenario, demand, finds, [("", window)] + [(f"_{k}", w) for k, w in years]),
        **cohort_kpis(scenario, demand, finds, pathway),
        **area_kpis(scenario, demand, finds, pathway, policy, horizon),
    }
    if scenario.policy.diversion:
        kpis.update(capacity_kpis(scenario, pathway, sessions, duty, policy))
    else:  # no provider: no one to employ, nothing to use
        kpis.update(dict.fromkeys(capacity_kpi_names(scenario.streams), math.nan))
    kpis.update(downstream_kpis(scenario, demand, finds, pathway, streams, policy, kpis))
    kpis.update(
        equity_kpis(
            scenario,
            demand,
            finds,
            [("", window.start, window.end)] + [(f"_{k}", w.start, w.end) for k, w in years],
        )
    )
    before = kpis.get("recorded_possession_per_year_y0")
    after = kpis.get("recorded_possession_per_year_y1")
    kpis["recorded_possession_change_at_launch"] = (
        after / before - 1 if before is not None and after is not None and before else math.nan
    )
    return kpis
