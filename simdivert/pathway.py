"""The provider side in SimPy: contact, assessment, triage, group course or one-to-one.

A referral enters when the police make it (:meth:`ProviderModel.refer`). Contact
attempts do not use drug workers (the provider's referral team makes them); the first
answered attempt is found at once from the referral's draws, and the referral waits
until then. What queues runs in SimPy: drug workers (one shared FIFO pool for
assessments and one-to-one sessions, available only when on duty) and places in
scheduled group sessions. A referral's random numbers are its find's rows in
:class:`~simdivert.draws.FindDraws`, so they do not depend on the order of events.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.resources.resource import PriorityRequest, SortedQueue

from simdivert.clock import HOURS_PER_DAY
from simdivert.draws import FindDraws, Sampler, uniform
from simdivert.roster import session_times, working_windows
from simdivert.scenario import STREAMS, SUBSTANCES, Scenario

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
DISENGAGED = (NOT_CONTACTED, LEFT_AT_ASSESSMENT, LEFT_AT_ONE_TO_ONE, LEFT_AT_COURSE)
ROUTE_NONE, ROUTE_GROUP, ROUTE_ONE_TO_ONE = range(3)
ROUTES = ("none", "group", "one_to_one")

_STREAM_OF_SUBSTANCE = [STREAMS.index(s if s != "other" else "general") for s in SUBSTANCES]
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


def stream_for(substance: int, under_18: bool) -> int:
    """The group-course stream: under-18s have their own; adults go by main substance."""
    return UNDER_18_STREAM if under_18 else _STREAM_OF_SUBSTANCE[substance]


def route_for(possible_dependence: bool, significant_safeguarding: bool) -> int:
    """Triage: possible dependence or significant safeguarding needs get a one-to-one."""
    return ROUTE_ONE_TO_ONE if possible_dependence or significant_safeguarding else ROUTE_GROUP


def pathway_samplers(scenario: Scenario) -> dict[str, Sampler]:
    """The per-find random numbers the pathway may need, each column its own stream."""
    provider = scenario.provider
    bookings = scenario.course.sessions_per_course + scenario.engagement.max_rebookings
    return {
        **{f"pathway.contact.{k}": uniform for k in range(scenario.contact.max_attempts)},
        "pathway.assessment_engage": uniform,
        "pathway.assessment_minutes": provider.assessment_minutes.sample,
        "pathway.one_to_one_engage": uniform,
        "pathway.one_to_one_minutes": provider.one_to_one_minutes.sample,
        **{f"pathway.group_attend.{k}": uniform for k in range(bookings)},
    }


# Times a referral reaches each step after the referral itself (NaN until it happens).
STEP_HOURS_COLUMNS = (
    "first_contact_hours",
    "assessment_hours",
    "assessment_end_hours",
    "intervention_booked_hours",
    "intervention_start_hours",
    "intervention_end_hours",
    "end_hours",
)
_FLOAT_COLUMNS = ("referral_hours", *STEP_HOURS_COLUMNS)
_INT_COLUMNS = ("find", "stream", "route", "contact_attempts", "no_shows", "state")


@dataclass
class PathwayLog:
    """The per-referral event log: a column per field, NaN until it happens.

    Columns are Python lists while the run appends to them and numpy arrays after
    :meth:`finish`.
    """

    referral_hours: list | np.ndarray = field(default_factory=list)
    first_contact_hours: list | np.ndarray = field(default_factory=list)
    assessment_hours: list | np.ndarray = field(default_factory=list)  # the call, engaged or not
    assessment_end_hours: list | np.ndarray = field(default_factory=list)
    intervention_booked_hours: list | np.ndarray = field(default_factory=list)  # 1st session/1:1
    intervention_start_hours: list | np.ndarray = field(default_factory=list)  # attended
    intervention_end_hours: list | np.ndarray = field(default_factory=list)
    end_hours: list | np.ndarray = field(default_factory=list)
    find: list | np.ndarray = field(default_factory=list)
    stream: list | np.ndarray = field(default_factory=list)
    route: list | np.ndarray = field(default_factory=list)
    contact_attempts: list | np.ndarray = field(default_factory=list)
    no_shows: list | np.ndarray = field(default_factory=list)
    state: list | np.ndarray = field(default_factory=list)
    assessed: list | np.ndarray = field(default_factory=list)
    waiting_at_start: list | np.ndarray = field(default_factory=list)  # the starting backlog

    def add(self, find: int, stream: int, hours: float, waiting_at_start: bool = False) -> int:
        """A new referral row; returns its index."""
        nan = math.nan
        self.referral_hours.append(hours)
        for column in (
            self.first_contact_hours,
            self.assessment_hours,
            self.assessment_end_hours,
            self.intervention_booked_hours,
            self.intervention_start_hours,
            self.intervention_end_hours,
            self.end_hours,
        ):
            column.append(nan)
        self.find.append(find)
        self.stream.append(stream)
        for column in (self.route, self.contact_attempts, self.no_shows, self.state):
            column.append(0)
        self.assessed.append(False)
        self.waiting_at_start.append(waiting_at_start)
        return len(self.find) - 1

    def finish(self) -> PathwayLog:
        for name in _FLOAT_COLUMNS:
            setattr(self, name, np.asarray(getattr(self, name), dtype=float))
        for name in _INT_COLUMNS:
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        self.assessed = np.asarray(self.assessed, dtype=bool)
        self.waiting_at_start = np.asarray(self.waiting_at_start, dtype=bool)
        return self

    @property
    def size(self) -> int:
        return len(self.find)


@dataclass
class SessionBook:
    """Group sessions of every stream: when they start, places booked and attended."""

    times: list[list[float]]
    booked: list[list[int]]
    attended: list[list[int]]
    places: list[int]  # per stream
    _first_open: list[int] = field(default_factory=list)

    @classmethod
    def from_timetable(cls, timetable: dict[str, np.ndarray], places: list[int]) -> SessionBook:
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
        times, booked, places = self.times[stream], self.booked[stream], self.places[stream]
        k = max(bisect.bisect_left(times, earliest), self._first_open[stream])
        while k < len(times) and booked[k] >= places:
            k += 1
        if k == len(times):
            return -1
        booked[k] += 1
        first_open = self._first_open[stream]
        while first_open < len(times) and booked[first_open] >= places:
            first_open += 1  # every session before this one is full
        self._first_open[stream] = first_open
        return k


class ProviderModel:
    """The SimPy model of the provider, fed referrals by the police side."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        draws: FindDraws,
        duty: tuple[np.ndarray, np.ndarray],
        on_end: Callable[[int, int, float], None] | None = None,
    ) -> None:
        self.env = env
        self.duty = duty
        self.scenario = scenario
        self.horizon = scenario.horizon_hours
        self.log = PathwayLog()
        self.on_end = on_end
        self.windows = working_windows(scenario.provider)
        self.workers = DrugWorkers(env, capacity=max(int(duty[1].max()), 1))
        self.sessions = SessionBook.from_timetable(
            session_times(scenario), [scenario.course.places(stream) for stream in STREAMS]
        )
        engagement, contact, course = scenario.engagement, scenario.contact, scenario.course
        self._patience_hours = engagement.patience_days * HOURS_PER_DAY
        self._failed_call_hours = scenario.provider.failed_call_minutes / 60.0
        self._notice = course.booking_notice_hours
        self._session_hours = course.session_hours
        self._sessions_per_course = course.sessions_per_course
        self._first_delay = contact.first_attempt_delay_hours
        self._spacing = contact.attempt_spacing_hours
        self._answer = contact.answer_probability
        columns = draws.columns
        self._contact_u = [columns[f"pathway.contact.{k}"] for k in range(contact.max_attempts)]
        self._assessment_u = columns["pathway.assessment_engage"]
        self._assessment_minutes = columns["pathway.assessment_minutes"]
        self._one_to_one_u = columns["pathway.one_to_one_engage"]
        self._one_to_one_minutes = columns["pathway.one_to_one_minutes"]
        bookings = course.sessions_per_course + engagement.max_rebookings
        self._group_u = [columns[f"pathway.group_attend.{k}"] for k in range(bookings)]
        env.process(self._rota())

    def refer(self, find: int, stream: int, route: int) -> int:
        """Start the pathway of a referral made now for the given find; returns its index."""
        referral = self.log.add(find, stream, self.env.now)
        self.env.process(self._referral(referral, find, stream, route))
        return referral

    def finish(self) -> PathwayLog:
        return self.log.finish()

    def _engages(self, u: float, probability: float, waited_hours: float) -> bool:
        return u < probability * math.exp(-waited_hours / self._patience_hours)

    def _end(self, referral: int, state: int, hours: float) -> None:
        self.log.state[referral] = state
        self.log.end_hours[referral] = hours
        if self.on_end is not None:
            self.on_end(referral, state, hours)

    def _rota(self):
        """Hold back the workers who are off duty, with requests that outrank clients.

        A worker mid-call when the shift ends finishes the call first.
        """
        workers = self.workers
        times, on_duty = self.duty
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

    def _first_contact(self, find: int) -> tuple[float | None, int, float]:
        """The first answered call (None if none), attempts made, the last attempt's time.

        Attempts are made only within working hours: the first after the referral
        delay, each later one a spacing after the previous, moved to the next working time.
        """
        next_open = self.windows.next_open_at
        attempt = next_open(self.env.now + self._first_delay)
        for k, answers in enumerate(self._contact_u):
            if answers[find] < self._answer:
                return attempt, k + 1, attempt
            if k + 1 < len(self._contact_u):
                attempt = next_open(attempt + self._spacing)
        return None, len(self._contact_u), attempt

    def refer_waiting(
        self, find: int, stream: int, route: int, stage: str, waited_hours: float
    ) -> int:
        """Start a referral that has already waited at a stage (a backlog at the start)."""
        referral = self.log.add(find, stream, self.env.now - waited_hours, waiting_at_start=True)
        if stage == "contact":
            process = self._referral(referral, find, stream, route)
        elif stage == "assessment":
            self.log.first_contact_hours[referral] = self.env.now - waited_hours
            process = self._assessment(referral, find, stream, route, self.env.now - waited_hours)
        else:
            self.log.assessed[referral] = True
            self.log.route[referral] = route
            self.log.assessment_end_hours[referral] = self.env.now - waited_hours
            process = self._intervention(referral, find, stream, route, self.env.now - waited_hours)
        self.env.process(process)
        return referral

    def _referral(self, r: int, find: int, stream: int, route: int):
        env, log = self.env, self.log
        contacted_at, attempts, last_attempt = self._first_contact(find)
        log.contact_attempts[r] = attempts
        if contacted_at is None:
            yield env.timeout(last_attempt - env.now)
            self._end(r, NOT_CONTACTED, env.now)
            return
        log.first_contact_hours[r] = contacted_at
        yield env.timeout(contacted_at - env.now)
        yield from self._assessment(r, find, stream, route, contacted_at)

    def _assessment(self, r: int, find: int, stream: int, route: int, contacted_at: float):
        env, log = self.env, self.log
        request = self.workers.request(priority=_CLIENT)
        yield request
        start = env.now
        log.assessment_hours[r] = start
        if not self._engages(
            self._assessment_u[find],
            self.scenario.engagement.assessment_engage_probability,
            start - contacted_at,
        ):
            log.assessment_end_hours[r] = start + self._failed_call_hours
            yield from self._hold(request, self._failed_call_hours)
            self._end(r, LEFT_AT_ASSESSMENT, env.now)
            return
        hours = self._assessment_minutes[find] / 60.0
        log.assessment_end_hours[r] = start + hours
        yield from self._hold(request, hours)
        log.assessed[r] = True
        log.route[r] = route
        yield from self._intervention(r, find, stream, route, env.now)

    def _intervention(self, r: int, find: int, stream: int, route: int, assessed_at: float):
        if route == ROUTE_ONE_TO_ONE:
            yield from self._one_to_one(r, find, assessed_at)
        else:
            yield from self._group(r, find, stream, assessed_at)

    def _hold(self, request, hours: float):
        """Keep a drug worker for ``hours`` of a call, then free them."""
        yield self.env.timeout(hours)
        self.workers.release(request)

    def _one_to_one(self, r: int, find: int, assessed_at: float):
        env, log = self.env, self.log
        request = self.workers.request(priority=_CLIENT)
        yield request
        start = env.now
        log.intervention_booked_hours[r] = start
        engaged = self._engages(
            self._one_to_one_u[find],
            self.scenario.engagement.one_to_one_engage_probability,
            start - assessed_at,
        )
        hours = self._one_to_one_minutes[find] / 60.0 if engaged else self._failed_call_hours
        if engaged:
            log.intervention_start_hours[r] = start
        log.intervention_end_hours[r] = start + hours
        yield from self._hold(request, hours)
        self._end(r, COMPLETED if engaged else LEFT_AT_ONE_TO_ONE, env.now)

    def _group(self, r: int, find: int, stream: int, assessed_at: float):
        """Book sessions until the course's sessions are attended or the no-shows run out."""
        env, log, sessions = self.env, self.log, self.sessions
        attend_probability = self.scenario.engagement.group_attend_probability
        attended = 0
        waiting_since = assessed_at
        earliest = env.now + self._notice
        for booking, attend_u in enumerate(self._group_u):
            session = sessions.book(stream, earliest)
            if session < 0:
                return  # no session with a free place before the run ends: still waiting
            starts = sessions.times[stream][session]
            if booking == 0:
                log.intervention_booked_hours[r] = starts
            yield env.timeout(starts - env.now)
            if self._engages(attend_u[find], attend_probability, starts - waiting_since):
                sessions.attended[stream][session] += 1
                attended += 1
                ends = starts + self._session_hours
                if attended == 1:
                    log.intervention_start_hours[r] = starts
                if attended == self._sessions_per_course:
                    log.intervention_end_hours[r] = ends
                    self._end(r, COMPLETED, ends)
                    return
                waiting_since = earliest = ends
            else:
                log.no_shows[r] += 1
                earliest = env.now + self._notice
        self._end(r, LEFT_AT_COURSE, env.now)
