"""The floor: the default scenario's finds and provider pathway in bare SimPy, nothing else.

The same pathway and volumes as simdivert's default run (56 warm-up days, a pre-policy
year, the launch, two policy years), stripped to what must run in SimPy:

- every possession or user-dealer find, first or repeat, is an event in time order:
  finds arrive at the scenario's expected rate with its weekly profile, and from the
  launch on a find becomes a referral with the scenario's chance (offered and accepted);
- each referral is a SimPy process: contact attempts in working hours (with
  ``contact.attempt_minutes`` > 0 each one a call in the drug workers' queue, as in
  the model; the calls may overrun a shift, which the model does not allow), then a
  FIFO pool of drug workers held off duty by the rota
  (``roster.duty_changes``), assessments, one-to-ones for the same workers, and group
  sessions per stream with places, booking notice, no-shows and rebookings, the
  referral waiting for each booked session.

This is the idiomatic SimPy model: a process per referral, a timeout per find and per
booked session, and the drug workers SimPy's own ``PriorityResource`` (its queue
inserting by binary search rather than re-sorting on every request) with the rota
holding off-duty workers by requests that outrank clients.

simdivert does more per event (people and their attributes, histories and re-find
hazards, scheme rules and counterfactual outcomes, per-find random-number columns, the
event logs, KPIs and weekly series) but needs fewer events: first finds decided before
the run, callbacks instead of processes, one event per group session, a lean
drug-worker pool (``pathway.DrugWorkers``) that starts clients at the same times as the
resource here. The timing of this against ``run_replication`` is the balance of the two.

Used by ``benchmarks/compare.py``; run alone it prints one replication's figures.
"""

from __future__ import annotations

import bisect
import math
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import simpy
from simpy.resources.resource import PriorityRequest, SortedQueue

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from simdivert.model.demand import hourly_profile, new_person_finds_per_year
from simdivert.model.roster import duty_changes, session_times, working_windows
from simdivert.scenario.course_streams import YOUTH_STREAM
from simdivert.scenario.files import load_scenario
from simdivert.scenario.schema import Scenario


class _InsortQueue(SortedQueue):
    """SimPy's priority queue, inserting by binary search instead of sorting on every
    append; a request goes after those with an equal key, as the stable sort puts it."""

    def append(self, item: PriorityRequest) -> None:
        if self.maxlen is not None and len(self) >= self.maxlen:
            raise RuntimeError("Cannot append event. Queue is full.")
        bisect.insort_right(self, item, key=_request_key)


def _request_key(request: PriorityRequest) -> tuple:
    return request.key


class DrugWorkers(simpy.PriorityResource):
    """Drug workers: requests served by priority, then first come first served."""

    PutQueue = _InsortQueue


def rota(env: simpy.Environment, workers: simpy.PriorityResource, changes: Iterable[tuple]):
    """A SimPy process: at each (time, number on calls) change, hold the workers off duty
    with requests that go before clients (priority 0; clients ask at 1). A worker mid-call
    when the shift ends finishes the call; the held request then takes the worker."""
    held = []
    for when, count in changes:
        if when > env.now:
            yield env.timeout(when - env.now)
        while len(held) > workers.capacity - count:
            request = held.pop()
            if request.triggered:
                workers.release(request)
            else:
                request.cancel()
        while len(held) < workers.capacity - count:
            held.append(workers.request(priority=0))


@dataclass(frozen=True)
class Volumes:
    """Finds a year and the chance a find is referred once the scheme is live."""

    finds_per_year: float
    referral_chance: float

    def referrals_per_year(self) -> float:
        return self.finds_per_year * self.referral_chance


def volumes(scenario: Scenario) -> Volumes:
    """Expected volumes implied by the scenario's demand, re-find and scene parameters.

    First finds of people come from the demand; repeat finds from the pool of people at
    risk (first finds a year / desistance rate), each found again at ``rate_per_year``
    (frailty and the multipliers average about 1). A possession find is referred if
    recorded, offered (at the adoption curve's embedded share) and accepted (West Midlands
    has no route for user-dealers).
    """
    demand, policy, refind = scenario.demand, scenario.policy, scenario.refind
    first = new_person_finds_per_year(demand)
    repeat = first / refind.desistance_per_year * refind.rate_per_year
    person_share = (
        demand.personal_possession_share
        + (1 - demand.personal_possession_share) * demand.user_dealer_share_of_excluded
    )
    possession = demand.personal_possession_share / person_share
    informal = demand.informal_share_without_policy
    recorded = (1 - informal) + informal * policy.informal_finds_recorded_share
    embedded = float(policy.adoption.share(np.array([1e9]))[0])  # once adopted
    chance = possession * recorded * embedded * policy.accept_share
    return Volumes(first + repeat, chance)


def stream_and_route_shares(scenario: Scenario) -> tuple[np.ndarray, float]:
    """Share of referrals in each course stream, and the share needing a one-to-one."""
    population = scenario.population
    substance = scenario.substance_shares(population.substance)
    under_18 = population.age_band.under_18
    shares = np.zeros(len(scenario.streams))
    for stream, share in zip(scenario.course_stream_codes(), substance, strict=True):
        shares[stream] += (1 - under_18) * share
    shares[scenario.streams.index(YOUTH_STREAM)] = under_18
    dependence = float(scenario.possible_dependence_shares() @ substance)
    significant = population.safeguarding_need * population.significant_safeguarding_share
    one_to_one = 1 - (1 - dependence) * (1 - significant)
    return shares, one_to_one


def simulate(scenario: Scenario, seed: int) -> dict[str, float]:
    """One replication over the scenario's horizon: finds and referrals, mean waits."""
    rng = np.random.default_rng(seed)
    horizon, launch = scenario.horizon_hours, scenario.launch_hours
    provider, contact, engagement, course = (
        scenario.provider,
        scenario.contact,
        scenario.engagement,
        scenario.course,
    )
    volume = volumes(scenario)

    # Finds: hourly Poisson counts with the weekly profile, placed uniformly (numpy).
    hours = np.arange(int(math.ceil(horizon)))
    rate = volume.finds_per_year / HOURS_PER_YEAR * hourly_profile(scenario.demand)[hours % 168]
    counts = rng.poisson(rate)
    find_hours = np.sort(np.repeat(hours, counts) + rng.random(counts.sum()))
    find_hours = find_hours[find_hours < horizon].tolist()
    refer_u = rng.random(len(find_hours)).tolist()

    # Per-referral draws, in bulk (at most one referral per find).
    n = len(find_hours)
    shares, one_to_one_share = stream_and_route_shares(scenario)
    stream = rng.choice(len(scenario.streams), size=n, p=shares).tolist()
    one_to_one = (rng.random(n) < one_to_one_share).tolist()
    assessment_hours = (provider.assessment_minutes.sample(rng, n) / 60).tolist()
    one_to_one_hours = (provider.one_to_one_minutes.sample(rng, n) / 60).tolist()
    answer_u = rng.random((n, contact.max_attempts)).tolist()
    engage_u = rng.random((n, 2)).tolist()
    bookings = course.sessions_per_course + engagement.max_rebookings
    attend_u = rng.random((n, bookings)).tolist()

    timetable = session_times(scenario)
    session_start = [timetable[s].tolist() for s in scenario.streams]
    session_booked = [[0] * len(times) for times in session_start]
    places = [course.places(s) for s in scenario.streams]
    windows = working_windows(provider)
    patience = engagement.patience_days * HOURS_PER_DAY
    failed_call = provider.failed_call_minutes / 60
    assessment_waits: list[float] = []
    course_waits: list[float] = []
    referrals = 0

    env = simpy.Environment()
    duty = duty_changes(scenario, rng)
    workers = DrugWorkers(env, capacity=max(int(duty[1].max()), 1))

    def book(s: int, earliest: float) -> int:
        times, booked = session_start[s], session_booked[s]
        k = bisect.bisect_left(times, earliest)
        while k < len(times) and booked[k] >= places[s]:
            k += 1
        if k == len(times):
            return -1
        booked[k] += 1
        return k

    attempt_hours = contact.attempt_minutes / 60

    def referral(i: int):
        attempt = windows.next_open_at(env.now + contact.first_attempt_delay_hours)
        if attempt_hours > 0:  # drug workers make the attempts, in the same queue
            for k in range(contact.max_attempts):
                yield env.timeout(attempt - env.now)
                request = workers.request(priority=1)
                yield request
                started = env.now
                yield env.timeout(attempt_hours)
                workers.release(request)
                if answer_u[i][k] < contact.answer_probability:
                    break
                attempt = windows.next_open_at(started + contact.attempt_spacing_hours)
            else:
                return  # never reached
            yield from assessed_and_after(i)
            return
        for k in range(contact.max_attempts):
            if answer_u[i][k] < contact.answer_probability:
                break
            attempt = windows.next_open_at(attempt + contact.attempt_spacing_hours)
        else:
            yield env.timeout(attempt - env.now)
            return  # never reached
        yield env.timeout(attempt - env.now)
        yield from assessed_and_after(i)

    def assessed_and_after(i: int):
        contacted = env.now
        request = workers.request(priority=1)
        yield request
        wait = env.now - contacted
        assessment_waits.append(wait)
        engaged = engage_u[i][0] < engagement.assessment_engage_probability * math.exp(
            -wait / patience
        )
        yield env.timeout(assessment_hours[i] if engaged else failed_call)
        workers.release(request)
        if not engaged:
            return
        assessed = env.now
        if one_to_one[i]:
            request = workers.request(priority=1)
            yield request
            yield env.timeout(one_to_one_hours[i])
            workers.release(request)
            return
        attended, earliest = 0, env.now + course.booking_notice_hours
        for booking in range(bookings):
            k = book(stream[i], earliest)
            if k < 0:
                return
            start = session_start[stream[i]][k]
            if booking == 0:
                course_waits.append(start - assessed)
            yield env.timeout(start - env.now)
            if attend_u[i][booking] < engagement.group_attend_probability * math.exp(
                -(start - assessed) / patience
            ):
                attended += 1
                if attended == course.sessions_per_course:
                    return
                earliest = start + course.session_hours
            else:
                earliest = env.now + course.booking_notice_hours

    def finds():
        nonlocal referrals
        for i, when in enumerate(find_hours):
            yield env.timeout(when - env.now)
            if when >= launch and refer_u[i] < volume.referral_chance:
                referrals += 1
                env.process(referral(i))

    env.process(rota(env, workers, zip(duty[0].tolist(), duty[1].tolist(), strict=True)))
    env.process(finds())
    env.run(until=horizon)
    return {
        "finds": float(len(find_hours)),
        "referrals": float(referrals),
        "assessment_queue_wait_mean_days": float(np.mean(assessment_waits)) / HOURS_PER_DAY,
        "course_wait_mean_days": float(np.mean(course_waits)) / HOURS_PER_DAY,
    }


if __name__ == "__main__":
    default = load_scenario(sys.argv[1] if len(sys.argv) > 1 else None)
    start = time.perf_counter()
    figures = simulate(default, 1)
    print(f"{time.perf_counter() - start:.3f} s", figures)
