"""The default scenario's provider pathway as a Ciw queueing network (for comparison).

Ciw (https://ciw.readthedocs.io) simulates open queueing networks. The network that
matches simdivert's provider side, with the same volumes over the same horizon (56
warm-up days, a pre-policy year, then two policy years: referrals only after the launch):

- node 1, contact: infinite servers; the delay to the first answered call follows
  simdivert's contact rule (attempts in working hours, a custom Ciw distribution of
  the time); referrals arrive as a Poisson process with the scenario's weekly profile
  and expected referral rate from the launch on (``bare_simpy.volumes``), and the
  share never reached leaves;
- node 2, assessment: the drug workers on calls (in post x availability x (1 - admin
  share), rounded), on duty Mon-Fri 09:00-17:00 (a Ciw schedule, calls finish past
  the shift end), lognormal assessment times; the share that does not engage leaves;
- node 3, one-to-one: one drug worker on the same hours (Ciw nodes cannot share a
  server pool; the one-to-one workload is under a fifth of a worker);
- nodes 4-8, group course by stream: slotted service at the stream's session times,
  the stream's places a session, 2.5 hours; a no-show routes back to the same stream.

What Ciw cannot say directly is approximated: engagement does not fall with the wait,
the booking notice is not enforced, rebookings are not capped, the number of drug
workers on duty does not vary from day to day. Ciw has no police side: per referral
the work is the same (contact, an assessment for those reached, a session or a
one-to-one), but the finds that are not referred are not simulated.
"""

from __future__ import annotations

import bisect
import random
import sys
import time

import ciw
import numpy as np
from bare_simpy import stream_and_route_shares, volumes

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_WEEK, HOURS_PER_YEAR
from simdivert.model.demand import hourly_profile
from simdivert.model.roster import cycle_timetable, working_windows
from simdivert.scenario.files import load_scenario
from simdivert.scenario.schema import Scenario
from simdivert.scenario.timetable import CYCLE_HOURS


class ContactDelay(ciw.dists.Distribution):
    """Time from referral to the first answered call, by simdivert's contact rule.

    Ciw passes the current time, so the attempts fall in working hours as they do in
    simdivert: the first after the referral delay, each later one a spacing after the
    previous, moved to the next working time; each answered with a fixed probability.
    (Whether the person is reached at all is Ciw's routing from this node.)
    """

    def __init__(self, scenario: Scenario) -> None:
        windows = working_windows(scenario.provider)
        self.starts = [*windows.starts.tolist(), *(windows.starts + HOURS_PER_WEEK).tolist()]
        self.ends = [*windows.ends.tolist(), *(windows.ends + HOURS_PER_WEEK).tolist()]
        contact = scenario.contact
        self.delay, self.spacing = contact.first_attempt_delay_hours, contact.attempt_spacing_hours
        self.attempts, self.answer = contact.max_attempts, contact.answer_probability

    def next_open(self, t: float) -> float:
        week_start = t - t % HOURS_PER_WEEK
        k = bisect.bisect_right(self.ends, t - week_start)
        return max(t, week_start + self.starts[k])

    def sample(self, t: float | None = None, ind: object = None) -> float:
        attempt = self.next_open(t + self.delay)
        for _ in range(self.attempts - 1):
            if random.random() < self.answer:
                break
            attempt = self.next_open(attempt + self.spacing)
        return attempt - t


def working_schedule(scenario: Scenario, servers: int) -> ciw.Schedule:
    """Servers on duty in the provider's working windows, nobody otherwise, every week."""
    windows = working_windows(scenario.provider)
    numbers, ends = [], []
    for start, end in zip(windows.starts.tolist(), windows.ends.tolist(), strict=True):
        numbers += [0, servers]
        ends += [start, end]
    numbers.append(0)
    ends.append(HOURS_PER_WEEK)
    return ciw.Schedule(numbers_of_servers=numbers, shift_end_dates=ends)


def session_slots(times: np.ndarray, places: int) -> ciw.Slotted:
    """A stream's sessions, repeating every fortnight (Ciw's cycle ends at its last slot)."""
    first = float(times[0])
    slots = [*(times[1:] - first).tolist(), CYCLE_HOURS]
    return ciw.Slotted(slots=slots, slot_sizes=[places] * len(slots), offset=first)


def build_network(scenario: Scenario) -> ciw.Network:
    """The Ciw network equivalent to the scenario's provider pathway."""
    provider, contact, engagement, course = (
        scenario.provider,
        scenario.contact,
        scenario.engagement,
        scenario.course,
    )
    hours = np.arange(int(np.ceil(scenario.horizon_hours)))
    per_hour = volumes(scenario).referrals_per_year() / HOURS_PER_YEAR
    hourly = np.where(
        hours >= scenario.launch_hours,
        per_hour * hourly_profile(scenario.demand)[hours % 168],
        0.0,
    )
    arrivals = ciw.dists.PoissonIntervals(
        rates=hourly.tolist(),
        endpoints=(hours + 1).astype(float).tolist(),
        max_sample_date=scenario.horizon_hours,
    )
    mean, sd = provider.assessment_minutes.mean / 60, provider.assessment_minutes.sd / 60
    sigma2 = np.log1p((sd / mean) ** 2)
    assessment = ciw.dists.Lognormal(float(np.log(mean) - sigma2 / 2), float(np.sqrt(sigma2)))
    mean, sd = provider.one_to_one_minutes.mean / 60, provider.one_to_one_minutes.sd / 60
    sigma2 = np.log1p((sd / mean) ** 2)
    one_to_one = ciw.dists.Lognormal(float(np.log(mean) - sigma2 / 2), float(np.sqrt(sigma2)))

    on_calls = max(
        1, round(provider.drug_workers * provider.availability * (1 - provider.admin_share))
    )
    shares, one_to_one_share = stream_and_route_shares(scenario)
    timetable = cycle_timetable(course)
    streams = [s for s in scenario.streams if timetable[s].size]
    stream_share = np.array([shares[scenario.streams.index(s)] for s in streams])
    stream_share /= stream_share.sum()
    n_nodes = 3 + len(streams)
    routing = [[0.0] * n_nodes for _ in range(n_nodes)]
    routing[0][1] = 1 - (1 - contact.answer_probability) ** contact.max_attempts
    engaged = engagement.assessment_engage_probability
    routing[1][2] = engaged * one_to_one_share
    for k, share in enumerate(stream_share.tolist()):
        routing[1][3 + k] = engaged * (1 - one_to_one_share) * share
        routing[3 + k][3 + k] = 1 - engagement.group_attend_probability

    return ciw.create_network(
        arrival_distributions=[arrivals] + [None] * (n_nodes - 1),
        service_distributions=[
            ContactDelay(scenario),
            assessment,
            one_to_one,
            *[ciw.dists.Deterministic(course.session_hours)] * len(streams),
        ],
        number_of_servers=[
            float("inf"),
            working_schedule(scenario, on_calls),
            working_schedule(scenario, 1),
            *[session_slots(timetable[s], course.places(s)) for s in streams],
        ],
        routing=routing,
    )


def simulate(scenario: Scenario, seed: int) -> dict[str, float]:
    """One replication over the scenario's horizon: referrals and the mean assessment wait.

    Building the network (sampling the arrival times, Ciw's set-up) is part of the run.
    """
    ciw.seed(seed)
    network = build_network(scenario)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(scenario.horizon_hours)
    records = simulation.get_all_records()
    waits = [r.waiting_time for r in records if r.node == 2]
    return {
        "referrals": float(simulation.nodes[0].number_of_individuals),
        "assessment_queue_wait_mean_days": float(np.mean(waits)) / HOURS_PER_DAY,
    }


if __name__ == "__main__":
    default = load_scenario(sys.argv[1] if len(sys.argv) > 1 else None)
    start = time.perf_counter()
    figures = simulate(default, 1)
    print(f"{time.perf_counter() - start:.3f} s", figures)
