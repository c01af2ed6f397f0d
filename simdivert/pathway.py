"""The provider side in SimPy: contact, assessment, triage, group course or one-to-one.

Only referrals enter the simulation. Contact attempts do not use drug workers (the
provider's referral team makes them), so the time of first contact is computed in
bulk; SimPy runs what queues: drug workers (one shared FIFO pool for assessments and
one-to-one sessions, available only when on duty) and places in scheduled group
sessions. Every random number a person can need is drawn before the run, per eligible
find, so a person's draws do not depend on the order of events or on who else is
referred.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.resources.resource import PriorityRequest, SortedQueue

from simdivert.clock import HOURS_PER_DAY, WeeklyWindows
from simdivert.roster import duty_changes, session_times, working_windows
from simdivert.scenario import STREAMS, SUBSTANCES, Scenario
from simdivert.streams import RandomStreams

# Terminal states (IN_SYSTEM: not yet terminal when the run ends).
IN_SYSTEM, COMPLETED, NOT_CONTACTED, LEFT_AT_ASSESSMENT, LEFT_AT_ONE_TO_ONE, LEFT_AT_COURSE = range(
    6
)
STATES = (
    "in_system",
    "completed",
    "not_contacted",
    "disengaged_assessment",
    "disengaged_one_to_one",
    "disengaged_course",
)
ROUTE_NONE, ROUTE_GROUP, ROUTE_ONE_TO_ONE = range(3)
ROUTES = ("none", "group", "one_to_one")

_STREAM_OF_SUBSTANCE = np.array(
    [STREAMS.index(s if s != "other" else "general") for s in SUBSTANCES]
)
UNDER_18_STREAM = STREAMS.index("under_18")
_WORKER_DUTY, _CLIENT = 0, 1  # request priorities: rota changes go before clients


class _InsortQueue(SortedQueue):
    """SimPy's priority queue, inserting by binary search instead of sorting on every append.

    SimPy appends then re-sorts, calling the key on every queued request; with hundreds
    waiting that dominates a large force's run. ``insort_right`` puts a request after
    those with an equal key, exactly where the stable sort would, so the order (and
    every result) is unchanged.
    """

    def append(self, item: PriorityRequest) -> None:
        if self.maxlen is not None and len(self) >= self.maxlen:
            raise RuntimeError("Cannot append event. Queue is full.")
        bisect.insort_right(self, item, key=_request_key)


def _request_key(request: PriorityRequest) -> tuple:
    return request.key


class DrugWorkers(simpy.PriorityResource):
    """The drug-worker pool: requests served by priority, then first come first served."""

    PutQueue = _InsortQueue


@dataclass(frozen=True)
class PersonDraws:
    """Every random number the pathway may need, per person (drawn before the run)."""

    contact_u: np.ndarray  # (n, max_attempts): answer the phone?
    assessment_u: np.ndarray
    assessment_hours: np.ndarray
    one_to_one_u: np.ndarray
    one_to_one_hours: np.ndarray
    group_u: np.ndarray  # (n, max_rebookings + 1): attend the booked session?

    def subset(self, index: np.ndarray) -> PersonDraws:
        return PersonDraws(
            **{name: getattr(self, name)[index] for name in self.__dataclass_fields__}
        )


def draw_person_draws(scenario: Scenario, streams: RandomStreams, n: int) -> PersonDraws:
    """Draw the pathway's random numbers for n people, each purpose from its own stream."""
    provider = scenario.provider
    return PersonDraws(
        contact_u=streams.generator("pathway.contact").random((n, scenario.contact.max_attempts)),
        assessment_u=streams.generator("pathway.assessment_engage").random(n),
        assessment_hours=provider.assessment_minutes.sample(
            streams.generator("pathway.assessment_minutes"), n
        )
        / 60.0,
        one_to_one_u=streams.generator("pathway.one_to_one_engage").random(n),
        one_to_one_hours=provider.one_to_one_minutes.sample(
            streams.generator("pathway.one_to_one_minutes"), n
        )
        / 60.0,
        group_u=streams.generator("pathway.group_attend").random(
            (n, scenario.engagement.max_rebookings + 1)
        ),
    )


@dataclass
class PathwayLog:
    """The per-referral event log: one preallocated column per field, NaN until it happens."""

    referral_hours: np.ndarray
    stream: np.ndarray
    route: np.ndarray
    first_contact_hours: np.ndarray = field(init=False)
    last_attempt_hours: np.ndarray = field(init=False)
    contact_attempts: np.ndarray = field(init=False)
    assessment_hours: np.ndarray = field(init=False)  # the assessment call (engaged or not)
    assessment_end_hours: np.ndarray = field(init=False)
    assessed: np.ndarray = field(init=False)
    intervention_booked_hours: np.ndarray = field(init=False)  # first session / 1:1 call
    intervention_end_hours: np.ndarray = field(init=False)
    no_shows: np.ndarray = field(init=False)
    state: np.ndarray = field(init=False)
    end_hours: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = self.referral_hours.size
        for name in (
            "first_contact_hours",
            "last_attempt_hours",
            "assessment_hours",
            "assessment_end_hours",
            "intervention_booked_hours",
            "intervention_end_hours",
            "end_hours",
        ):
            setattr(self, name, np.full(n, np.nan))
        self.contact_attempts = np.zeros(n, np.int16)
        self.no_shows = np.zeros(n, np.int16)
        self.assessed = np.zeros(n, bool)
        self.state = np.full(n, IN_SYSTEM, np.int8)


@dataclass
class SessionBook:
    """Group sessions of every stream: when they start, places booked and attended."""

    times: list[list[float]]
    booked: list[list[int]]
    attended: list[list[int]]
    places: int
    _first_open: list[int] = field(default_factory=list)

    @classmethod
    def from_timetable(cls, timetable: dict[str, np.ndarray], places: int) -> SessionBook:
        times = [timetable[s].tolist() for s in STREAMS]
        return cls(
            times=times,
            booked=[[0] * len(t) for t in times],
            attended=[[0] * len(t) for t in times],
            places=places,
            _first_open=[0] * len(STREAMS),
        )

    def book(self, stream: int, earliest: float) -> int:
        """Book the first session at or after ``earliest`` with a free place; -1 if none."""
        times, booked = self.times[stream], self.booked[stream]
        first_open = self._first_open[stream]
        k = max(bisect.bisect_left(times, earliest), first_open)
        while k < len(times) and booked[k] >= self.places:
            k += 1
        if k == first_open:
            while first_open < len(times) and booked[first_open] >= self.places:
                first_open += 1
            self._first_open[stream] = first_open
        if k == len(times):
            return -1
        booked[k] += 1
        return k


def first_contact(
    referral_hours: np.ndarray, contact_u: np.ndarray, scenario: Scenario, windows: WeeklyWindows
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time of the first answered call (NaN if none), attempts made and the last attempt's time.

    Attempts are made only within the provider's working hours: the first after the
    referral delay, each later one a spacing after the previous, moved to the next
    working time.
    """
    contact = scenario.contact
    attempt_hours = np.empty_like(contact_u)
    t = windows.next_open(referral_hours + contact.first_attempt_delay_hours)
    for k in range(contact.max_attempts):
        attempt_hours[:, k] = t
        t = windows.next_open(t + contact.attempt_spacing_hours)
    answered = contact_u < contact.answer_probability
    reached = answered.any(axis=1)
    first = np.argmax(answered, axis=1)
    rows = np.arange(referral_hours.size)
    first_contact_hours = np.where(reached, attempt_hours[rows, first], np.nan)
    attempts = np.where(reached, first + 1, contact.max_attempts).astype(np.int16)
    return first_contact_hours, attempts, attempt_hours[rows, attempts - 1]


class ProviderModel:
    """The SimPy model of the provider for one replication."""

    def __init__(
        self,
        scenario: Scenario,
        referral_hours: np.ndarray,
        stream: np.ndarray,
        route: np.ndarray,
        draws: PersonDraws,
    ) -> None:
        self.scenario = scenario
        self.horizon = scenario.horizon_hours
        self.env = simpy.Environment()
        self.log = PathwayLog(referral_hours, stream, route)
        self.draws = draws
        self.windows = working_windows(scenario.provider)
        self.workers = DrugWorkers(self.env, capacity=max(scenario.provider.drug_workers, 1))
        self.sessions = SessionBook.from_timetable(
            session_times(scenario.course, self.horizon), scenario.course.places_per_session
        )
        engagement = scenario.engagement
        self._patience_hours = engagement.patience_days * HOURS_PER_DAY
        self._failed_call_hours = scenario.provider.failed_call_minutes / 60.0
        self._notice = scenario.course.booking_notice_hours
        self._session_hours = scenario.course.session_hours
        # Python lists: scalar access in the event loop is several times faster than numpy.
        self._stream = stream.tolist()
        self._route = route.tolist()
        self._assessment_u = draws.assessment_u.tolist()
        self._assessment_hours = draws.assessment_hours.tolist()
        self._one_to_one_u = draws.one_to_one_u.tolist()
        self._one_to_one_hours = draws.one_to_one_hours.tolist()
        self._group_u = draws.group_u.tolist()

    def _engages(self, u: float, probability: float, waited_hours: float) -> bool:
        return u < probability * math.exp(-waited_hours / self._patience_hours)

    def run(self) -> PathwayLog:
        """Simulate to the horizon and return the event log."""
        log = self.log
        contact_hours, attempts, last_attempt = first_contact(
            log.referral_hours, self.draws.contact_u, self.scenario, self.windows
        )
        log.first_contact_hours[:] = contact_hours
        log.contact_attempts[:] = attempts
        log.last_attempt_hours[:] = last_attempt
        never = np.isnan(contact_hours) & (last_attempt < self.horizon)
        log.state[never] = NOT_CONTACTED
        log.end_hours[never] = last_attempt[never]
        reached = np.flatnonzero(contact_hours < self.horizon)
        order = reached[np.argsort(contact_hours[reached], kind="stable")]
        self.env.process(self._rota())
        self.env.process(self._arrivals(order.tolist(), contact_hours[order].tolist()))
        self.env.run(until=self.horizon)
        return log

    def _rota(self):
        """Hold back the workers who are off duty, with requests that outrank clients.

        A worker mid-call when the shift ends finishes the call first.
        """
        workers = self.workers
        times, on_duty = duty_changes(
            self.scenario.provider, self.scenario.provider.drug_workers, self.horizon
        )
        held: list[PriorityRequest] = []
        for when, count in zip(times.tolist(), on_duty.tolist(), strict=True):
            if when > self.env.now:
                yield self.env.timeout(when - self.env.now)
            off_duty = workers.capacity - count
            while len(held) > off_duty:
                request = held.pop()
                if request.triggered:
                    workers.release(request)
                else:
                    request.cancel()
            while len(held) < off_duty:
                held.append(workers.request(priority=_WORKER_DUTY))

    def _arrivals(self, order: list[int], contact_hours: list[float]):
        env = self.env
        for person, when in zip(order, contact_hours, strict=True):
            if when > env.now:
                yield env.timeout(when - env.now)
            env.process(self._person(person, when))

    def _person(self, i: int, contacted_at: float):
        env, log = self.env, self.log
        engagement = self.scenario.engagement
        request = self.workers.request(priority=_CLIENT)
        yield request
        start = env.now
        log.assessment_hours[i] = start
        if not self._engages(
            self._assessment_u[i], engagement.assessment_engage_probability, start - contacted_at
        ):
            log.assessment_end_hours[i] = start + self._failed_call_hours
            yield from self._hold(request, self._failed_call_hours)
            log.state[i] = LEFT_AT_ASSESSMENT
            log.end_hours[i] = env.now
            return
        log.assessment_end_hours[i] = start + self._assessment_hours[i]
        yield from self._hold(request, self._assessment_hours[i])
        log.assessed[i] = True
        if self._route[i] == ROUTE_ONE_TO_ONE:
            yield from self._one_to_one(i)
        else:
            yield from self._group(i)

    def _hold(self, request, hours: float):
        """Keep a drug worker for ``hours`` of a call, then free them."""
        yield self.env.timeout(hours)
        self.workers.release(request)

    def _one_to_one(self, i: int):
        env, log = self.env, self.log
        assessed_at = env.now
        request = self.workers.request(priority=_CLIENT)
        yield request
        start = env.now
        log.intervention_booked_hours[i] = start
        engaged = self._engages(
            self._one_to_one_u[i],
            self.scenario.engagement.one_to_one_engage_probability,
            start - assessed_at,
        )
        hours = self._one_to_one_hours[i] if engaged else self._failed_call_hours
        log.intervention_end_hours[i] = start + hours
        yield from self._hold(request, hours)
        log.state[i] = COMPLETED if engaged else LEFT_AT_ONE_TO_ONE
        log.end_hours[i] = env.now

    def _group(self, i: int):
        env, log, sessions = self.env, self.log, self.sessions
        assessed_at = env.now
        stream = self._stream[i]
        attend_probability = self.scenario.engagement.group_attend_probability
        for attempt, u in enumerate(self._group_u[i]):
            session = sessions.book(stream, env.now + self._notice)
            if session < 0:
                return  # no session with a free place before the run ends: still waiting
            starts = sessions.times[stream][session]
            if attempt == 0:
                log.intervention_booked_hours[i] = starts
            # Attending depends only on the wait, known now; an attender books nothing
            # more, so they are recorded at booking with no event. A no-show rebooks at
            # the session time, competing for places: that needs the event.
            if self._engages(u, attend_probability, starts - assessed_at):
                sessions.attended[stream][session] += 1
                log.intervention_end_hours[i] = starts + self._session_hours
                log.state[i] = COMPLETED
                log.end_hours[i] = starts + self._session_hours
                return
            yield env.timeout(starts - env.now)
            log.no_shows[i] += 1
        log.state[i] = LEFT_AT_COURSE
        log.end_hours[i] = env.now


def assign_stream(substance: np.ndarray, under_18: np.ndarray) -> np.ndarray:
    """The group-course stream: under-18s have their own; adults go by main substance."""
    return np.where(under_18, UNDER_18_STREAM, _STREAM_OF_SUBSTANCE[substance]).astype(np.int8)


def assign_route(
    possible_dependence: np.ndarray, significant_safeguarding: np.ndarray
) -> np.ndarray:
    """Triage: possible dependence or significant safeguarding needs get a one-to-one."""
    return np.where(
        possible_dependence | significant_safeguarding, ROUTE_ONE_TO_ONE, ROUTE_GROUP
    ).astype(np.int8)
