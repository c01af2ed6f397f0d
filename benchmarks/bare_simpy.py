"""The floor: the default scenario's provider pathway in bare SimPy, nothing else.

Same pathway and volumes as simdivert, stripped to what must run in SimPy: referrals
arrive at the scenario's expected referral rate with its weekly profile (numpy); the
time of first contact follows the same rule (attempts in working hours, vectorised);
then, in SimPy, a FIFO pool of drug workers held off duty outside working hours by a
rota process, assessments, one-to-ones for the same workers, and group sessions by
stream with a fixed number of places, booking notice, no-shows and rebookings. It uses
what makes SimPy fast here, as simdivert does: simdivert's drug-worker resource (a
priority queue that inserts by binary search) and no event for an attender (whether
someone attends is known when they book; only a no-show's rebooking needs the clock).

What it leaves out is what the full model adds around the queueing: encounters,
finds, the recording uplift and the people behind them (age, sex, ethnicity, needs),
counterfactual outcomes, the per-referral event log, KPIs, weekly queue series. The
timing of this against ``run_replication`` is the overhead of all that.

Used by ``benchmarks/compare.py``; run alone it prints one replication's figures.
"""

from __future__ import annotations

import bisect
import math
import sys
import time

import numpy as np
import simpy

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from simdivert.pathway import DrugWorkers
from simdivert.roster import duty_changes, session_times, working_windows
from simdivert.scenario import STREAMS, SUBSTANCES, Scenario
from simdivert.scenario_files import load_scenario


def referrals_per_year(scenario: Scenario) -> float:
    """Expected referrals a year implied by the scenario's demand and scene parameters."""
    demand, policy = scenario.demand, scenario.policy
    finds = (
        demand.searches_per_year
        * (
            demand.drug_search_share * demand.find_rate_drug_searches
            + (1 - demand.drug_search_share) * demand.find_rate_other_searches
        )
        + demand.other_finds_per_year
    )
    informal = demand.informal_share_without_policy
    recorded = (1 - informal) + informal * policy.informal_finds_recorded_share
    return (
        finds
        * demand.personal_possession_share
        * recorded
        * policy.offer_share
        * policy.accept_share
    )


def stream_and_route_shares(scenario: Scenario) -> tuple[np.ndarray, float]:
    """Share of referrals in each course stream, and the share needing a one-to-one."""
    population = scenario.population
    substance = population.substance.shares()
    under_18 = population.age_band.under_18
    adult_stream = {"other": "general"}
    shares = np.zeros(len(STREAMS))
    for name, share in zip(SUBSTANCES, substance, strict=True):
        shares[STREAMS.index(adult_stream.get(name, name))] += (1 - under_18) * share
    shares[STREAMS.index("under_18")] = under_18
    dependence = float(population.possible_dependence.values() @ substance)
    significant = population.safeguarding_need * population.significant_safeguarding_share
    one_to_one = 1 - (1 - dependence) * (1 - significant)
    return shares, one_to_one


def simulate(scenario: Scenario, seed: int) -> dict[str, float]:
    """One replication over the scenario's horizon: referrals simulated, mean waits."""
    rng = np.random.default_rng(seed)
    horizon = scenario.horizon_hours
    provider, contact, engagement, course = (
        scenario.provider,
        scenario.contact,
        scenario.engagement,
        scenario.course,
    )

    # Referrals: hourly Poisson counts with the weekly profile, placed uniformly.
    weekday = np.asarray(scenario.demand.weekday_weights)
    hour = np.asarray(scenario.demand.hour_weights)
    profile = (weekday[:, None] * hour[None, :]).ravel()
    profile /= profile.mean()
    hours = np.arange(int(math.ceil(horizon)))
    rate = referrals_per_year(scenario) / HOURS_PER_YEAR * profile[hours % 168]
    counts = rng.poisson(rate)
    referral = np.sort(np.repeat(hours, counts) + rng.random(counts.sum()))
    n = referral.size

    # First contact: attempts in working hours; the first answered one.
    windows = working_windows(provider)
    t = windows.next_open(referral + contact.first_attempt_delay_hours)
    first_contact = np.full(n, np.inf)
    for _ in range(contact.max_attempts):
        answered = (rng.random(n) < contact.answer_probability) & np.isinf(first_contact)
        first_contact[answered] = t[answered]
        t = windows.next_open(t + contact.attempt_spacing_hours)
    reached = np.flatnonzero(first_contact < horizon)
    reached = reached[np.argsort(first_contact[reached], kind="stable")]

    shares, one_to_one_share = stream_and_route_shares(scenario)
    stream = rng.choice(len(STREAMS), size=n, p=shares).tolist()
    one_to_one = (rng.random(n) < one_to_one_share).tolist()
    assessment_hours = (provider.assessment_minutes.sample(rng, n) / 60).tolist()
    one_to_one_hours = (provider.one_to_one_minutes.sample(rng, n) / 60).tolist()
    engage_u = rng.random((n, 2)).tolist()
    attend_u = rng.random((n, engagement.max_rebookings + 1)).tolist()

    timetable = session_times(course, horizon)
    session_start = [timetable[s].tolist() for s in STREAMS]
    session_booked = [[0] * len(times) for times in session_start]
    patience = engagement.patience_days * HOURS_PER_DAY
    failed_call = provider.failed_call_minutes / 60
    assessment_waits: list[float] = []
    course_waits: list[float] = []

    env = simpy.Environment()
    workers = DrugWorkers(env, capacity=max(provider.drug_workers, 1))

    def rota():
        """Off duty: requests that go before clients hold the idle workers."""
        held = []
        times, on_duty = duty_changes(provider, provider.drug_workers, horizon)
        for when, count in zip(times.tolist(), on_duty.tolist(), strict=True):
            yield env.timeout(when - env.now)
            while len(held) > workers.capacity - count:
                request = held.pop()
                if request.triggered:
                    workers.release(request)
                else:
                    request.cancel()
            while len(held) < workers.capacity - count:
                held.append(workers.request(priority=0))

    def book(s: int, earliest: float) -> int:
        times, booked = session_start[s], session_booked[s]
        for k in range(bisect.bisect_left(times, earliest), len(times)):
            if booked[k] < course.places_per_session:
                booked[k] += 1
                return k
        return -1

    def person(i: int, contacted: float):
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
        for attempt in range(engagement.max_rebookings + 1):
            k = book(stream[i], env.now + course.booking_notice_hours)
            if k < 0:
                return
            start = session_start[stream[i]][k]
            if attend_u[i][attempt] < engagement.group_attend_probability * math.exp(
                -(start - assessed) / patience
            ):
                course_waits.append(start - assessed)
                return  # attends: nothing more to simulate
            yield env.timeout(start - env.now)  # a no-show rebooks at the session time

    def arrivals():
        for i, when in zip(reached.tolist(), first_contact[reached].tolist(), strict=True):
            yield env.timeout(when - env.now)
            env.process(person(i, when))

    env.process(rota())
    env.process(arrivals())
    env.run(until=horizon)
    return {
        "referrals": float(n),
        "assessment_wait_mean_days": float(np.mean(assessment_waits)) / HOURS_PER_DAY,
        "course_wait_mean_days": float(np.mean(course_waits)) / HOURS_PER_DAY,
    }


if __name__ == "__main__":
    default = load_scenario(sys.argv[1] if len(sys.argv) > 1 else None)
    start = time.perf_counter()
    figures = simulate(default, 1)
    print(f"{time.perf_counter() - start:.3f} s", figures)
