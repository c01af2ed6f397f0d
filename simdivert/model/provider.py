"""The provider side in SimPy: contact, assessment, triage, group course or one-to-one.

A referral enters when the police make it (:meth:`ProviderModel.refer`). Drug workers
make the contact attempts (``contact.attempt_minutes`` of a worker's time each, in the
same first-come-first-served queue as assessments and one-to-ones); with
``attempt_minutes = 0`` a referral team makes them at no drug worker's cost, and the
first answered attempt is found at once from the referral's draws. A worker starts no
call that cannot end before the number on calls falls (the shift's end), so drug
workers are never busier than on duty. What queues runs in SimPy: drug workers (one
shared FIFO pool, available only when on duty) and places in scheduled group sessions.
A referral's random numbers are its find's rows in
:class:`~simdivert.model.draws.FindDraws`, so they do not depend on the order of events.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import simpy

from simdivert.clock import HOURS_PER_DAY
from simdivert.model.draws import FindDraws, Sampler, uniform
from simdivert.model.roster import reactive_slot_times, session_times, working_windows
from simdivert.scenario.course_streams import YOUTH_STREAM
from simdivert.scenario.schema import Scenario

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
# A group session: timetabled, or a reactive slot not added, added, or added then removed.
REGULAR, SLOT_CLOSED, SLOT_ADDED, SLOT_REMOVED = range(4)
ROUTES = ("none", "group", "one_to_one")


class DrugWorkers:
    """The drug-worker pool: clients served first come, first served by the workers on
    calls, whose number the rota sets.

    A worker mid-call when the number on calls falls finishes the call first: no client
    starts while as many are busy as are on calls. A request is an event that succeeds
    when a worker takes the client. A worker freed (a call ends, the rota adds one) takes
    the next client waiting through an event of its own at the same instant, so that
    whatever else happens at that instant (a shift ending, another client asking) comes
    first, as with SimPy's resources. This serves clients exactly as SimPy's
    ``PriorityResource`` did with the rota holding off-duty workers by requests that
    outranked clients (``tests/test_drug_workers.py``), without the events and queue
    bookkeeping of a general resource. The model's own clients skip even the request
    event: :meth:`call` runs the step that starts their call when a worker takes them.

    Given the rota ahead, a worker starts no call that cannot end while as many workers
    as are busy, this one included, stay on calls (:meth:`fits`): busy never exceeds on
    calls, so utilisation is at most 1 by construction.
    """

    def __init__(
        self, env: simpy.Environment, duty: tuple[np.ndarray, np.ndarray] | None = None
    ) -> None:
        self.env = env
        self.on_calls = 0
        self.busy = 0
        self._waiting: deque[tuple[Callable[[object], object], object, float]] = deque()
        # The rota ahead (change times, numbers on calls); without one, calls always fit.
        self._duty_times: list[float] = [] if duty is None else duty[0].tolist()
        self._duty_counts: list[int] = [] if duty is None else duty[1].tolist()
        self._segment = (math.inf, -math.inf, 0)  # (from, to, count): the rota's step now

    def call(self, starts: Callable[[object], object], client: object, hours: float) -> None:
        """Queue ``client`` for a call booked to last ``hours``; ``starts(client)`` runs
        when a worker takes them (at once if one is free)."""
        self._waiting.append((starts, client, hours))
        self._take_next()

    def request(self, client: object = None, hours: float = 0.0) -> simpy.Event:
        """An event that succeeds, with ``client`` as its value, when a worker takes them
        for a call booked to last ``hours``."""
        request = simpy.Event(self.env)
        self.call(request.succeed, client, hours)
        return request

    def release(self) -> None:
        """A call has ended: the worker is free for the next client, if still on calls.

        With the rota ahead known, the next client is taken at once: :meth:`fits` reads
        the number on calls from the rota itself, so whether the rota's change at this
        instant has been applied yet makes no difference, and no event is needed.
        """
        self.busy -= 1
        if self._duty_times:
            self._take_next()
        else:
            self._free_one()

    def set_on_calls(self, count: int) -> None:
        for _ in range(count - self.on_calls):
            self._free_one()
        self.on_calls = count

    def fits(self, hours: float) -> bool:
        """Whether a call of ``hours`` started now ends before fewer than ``busy + 1``
        workers are on calls (so that busy never exceeds on calls: utilisation <= 1)."""
        times = self._duty_times
        if not times:
            return True
        now, need = self.env.now, self.busy + 1
        ends = now + hours - 1e-9
        start, end, count = self._segment
        if start <= now < end and ends <= end:
            return count >= need
        k = bisect.bisect_right(times, now) - 1  # the count due now, applied or about to be
        counts = self._duty_counts
        if k >= 0:
            end = times[k + 1] if k + 1 < len(times) else math.inf
            self._segment = (times[k], end, counts[k])
        while k < len(times) and (k < 0 or times[k] < ends):
            if k >= 0 and counts[k] < need:
                return False
            k += 1
        return True

    def _free_one(self) -> None:
        if self._waiting:
            self.env.timeout(0).callbacks.append(self._take_next)

    def _take_next(self, _event: simpy.Event | None = None) -> None:
        # First come, first served: a call that does not fit in what is left of the
        # shift waits for the next, and so do the clients behind it (the worker spends
        # the rest of the shift off calls, counted in the admin time).
        if (
            self._waiting
            and (self.busy < self.on_calls or self._duty_times)
            and self.fits(self._waiting[0][2])
        ):
            self.busy += 1
            starts, client, _hours = self._waiting.popleft()
            starts(client)


class _Booking(NamedTuple):
    """A referral on a group course: its current booking and progress so far."""

    referral: int
    session: int  # the session booked (index into the stream's timetable)
    attended: int
    waiting_since: float  # the assessment's or the last attended session's end
    number: int = -1  # bookings made before this one (a no-show uses one up)


def stream_for(scenario: Scenario, substance: np.ndarray, under_18: np.ndarray) -> np.ndarray:
    """The group-course stream (a code into ``scenario.streams``): under-18s have their
    own; adults go by main substance (``course.streams``, else the stream of the
    substance's name, else general)."""
    youth = scenario.streams.index(YOUTH_STREAM)
    return np.where(under_18, youth, scenario.course_stream_codes()[substance])


def route_for(possible_dependence: np.ndarray, significant_safeguarding: np.ndarray) -> np.ndarray:
    """Triage: possible dependence or significant safeguarding needs get a one-to-one."""
    return np.where(possible_dependence | significant_safeguarding, ROUTE_ONE_TO_ONE, ROUTE_GROUP)


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


@dataclass(frozen=True)
class PathwayLog:
    """The per-referral event log of a finished run: a column per field, NaN until it
    happens (times), one row per referral in the order referred.
    """

    referral_hours: np.ndarray
    first_contact_hours: np.ndarray
    assessment_hours: np.ndarray  # the call, engaged or not
    assessment_end_hours: np.ndarray
    intervention_booked_hours: np.ndarray  # 1st session/1:1
    intervention_start_hours: np.ndarray  # attended
    intervention_end_hours: np.ndarray
    end_hours: np.ndarray
    find: np.ndarray
    stream: np.ndarray
    route: np.ndarray
    contact_attempts: np.ndarray
    no_shows: np.ndarray
    state: np.ndarray
    assessed: np.ndarray
    waiting_at_start: np.ndarray  # the starting backlog
    # Every contact attempt a drug worker made (not per referral): start and end times.
    attempt_starts: np.ndarray
    attempt_ends: np.ndarray

    @property
    def size(self) -> int:
        return len(self.find)


@dataclass
class _PathwayColumns:
    """The :class:`PathwayLog` while the run writes it: Python lists, which the run
    appends to and sets items of, until :meth:`finish` turns them into arrays.
    """

    referral_hours: list[float] = field(default_factory=list)
    first_contact_hours: list[float] = field(default_factory=list)
    assessment_hours: list[float] = field(default_factory=list)
    assessment_end_hours: list[float] = field(default_factory=list)
    intervention_booked_hours: list[float] = field(default_factory=list)
    intervention_start_hours: list[float] = field(default_factory=list)
    intervention_end_hours: list[float] = field(default_factory=list)
    end_hours: list[float] = field(default_factory=list)
    find: list[int] = field(default_factory=list)
    stream: list[int] = field(default_factory=list)
    route: list[int] = field(default_factory=list)
    contact_attempts: list[int] = field(default_factory=list)
    no_shows: list[int] = field(default_factory=list)
    state: list[int] = field(default_factory=list)
    assessed: list[bool] = field(default_factory=list)
    waiting_at_start: list[bool] = field(default_factory=list)
    attempt_starts: list[float] = field(default_factory=list)
    attempt_ends: list[float] = field(default_factory=list)

    def add(self, find: int, stream: int, hours: float, waiting_at_start: bool = False) -> int:
        """A new referral row; returns its index."""
        nan = math.nan
        self.referral_hours.append(hours)
        self.first_contact_hours.append(nan)
        self.assessment_hours.append(nan)
        self.assessment_end_hours.append(nan)
        self.intervention_booked_hours.append(nan)
        self.intervention_start_hours.append(nan)
        self.intervention_end_hours.append(nan)
        self.end_hours.append(nan)
        self.find.append(find)
        self.stream.append(stream)
        self.route.append(0)
        self.contact_attempts.append(0)
        self.no_shows.append(0)
        self.state.append(0)
        self.assessed.append(False)
        self.waiting_at_start.append(waiting_at_start)
        return len(self.find) - 1

    def finish(self) -> PathwayLog:
        return PathwayLog(
            **{name: np.asarray(getattr(self, name), dtype=float) for name in _FLOAT_COLUMNS},
            **{name: np.asarray(getattr(self, name), dtype=np.int64) for name in _INT_COLUMNS},
            assessed=np.asarray(self.assessed, dtype=bool),
            waiting_at_start=np.asarray(self.waiting_at_start, dtype=bool),
            attempt_starts=np.asarray(self.attempt_starts, dtype=float),
            attempt_ends=np.asarray(self.attempt_ends, dtype=float),
        )


@dataclass
class SessionBook:
    """Group sessions of every stream: when they start, places booked and attended."""

    times: list[list[float]]
    booked: list[list[int]]
    attended: list[list[int]]
    places: list[int]  # per stream
    capacity: list[list[int]] = field(default_factory=list)  # bookings taken, per session
    # Per session: REGULAR, or a reactive slot not (yet) added, added, or taken away.
    kind: list[list[int]] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)  # per stream: no free place left
    turned_away: list[list[int]] = field(default_factory=list)  # came, but it was full
    limits: list[int] = field(default_factory=list)  # per stream: bookings an open session takes
    _first_open: list[int] = field(default_factory=list)

    @classmethod
    def from_timetable(
        cls,
        streams: tuple[str, ...],
        timetable: dict[str, np.ndarray],
        places: list[int],
        reactive_slots: dict[str, np.ndarray] | None = None,
        limits: list[int] | None = None,
    ) -> SessionBook:
        """The timetabled sessions of each of ``streams`` (in that order: a stream's code
        is its index), and the closed slots reactive sessions may open in. An open
        session takes bookings up to its stream's limit (its places unless overbooked)."""
        limits = places if limits is None else limits
        times, capacity, kinds = [], [], []
        for stream, size in zip(streams, limits, strict=True):
            regular = timetable[stream]
            slots = (reactive_slots or {}).get(stream, np.empty(0))
            both = np.concatenate([regular, slots])
            kind = np.concatenate(
                [np.full(regular.size, REGULAR), np.full(slots.size, SLOT_CLOSED)]
            )
            order = np.argsort(both, kind="stable")
            times.append(both[order].tolist())
            kinds.append(kind[order].tolist())
            capacity.append([size if k == REGULAR else 0 for k in kinds[-1]])
        return cls(
            times=times,
            booked=[[0] * len(t) for t in times],
            attended=[[0] * len(t) for t in times],
            places=places,
            capacity=capacity,
            kind=kinds,
            unplaced=[0] * len(streams),
            turned_away=[[0] * len(t) for t in times],
            limits=list(limits),
            _first_open=[0] * len(streams),
        )

    def book(self, stream: int, earliest: float) -> int:
        """Book the first session at or after ``earliest`` with a free place; -1 if none."""
        times, booked, capacity = self.times[stream], self.booked[stream], self.capacity[stream]
        k = max(bisect.bisect_left(times, earliest), self._first_open[stream])
        while k < len(times) and booked[k] >= capacity[k]:
            k += 1
        if k == len(times):
            self.unplaced[stream] += 1
            return -1
        booked[k] += 1
        first_open = self._first_open[stream]
        while first_open < len(times) and booked[first_open] >= capacity[first_open]:
            first_open += 1  # every session before this one is full
        self._first_open[stream] = first_open
        return k

    def projected_wait(self, stream: int, earliest: float) -> float:
        """Hours from ``earliest`` to the stream's first session with a free place (inf:
        none before the end)."""
        times, booked, capacity = self.times[stream], self.booked[stream], self.capacity[stream]
        k = max(bisect.bisect_left(times, earliest), self._first_open[stream])
        while k < len(times) and booked[k] >= capacity[k]:
            k += 1
        return times[k] - earliest if k < len(times) else math.inf

    def waiting(self, stream: int, now: float) -> int:
        """The stream's waiting list: people holding a place in a session after ``now``,
        and those for whom no session had a free place."""
        booked = self.booked[stream]
        return sum(booked[bisect.bisect_right(self.times[stream], now) :]) + self.unplaced[stream]

    def add_sessions(self, stream: int, start: float) -> None:
        """Open every reactive slot of the stream from ``start`` on."""
        times, kind, capacity = self.times[stream], self.kind[stream], self.capacity[stream]
        first = bisect.bisect_left(times, start)
        for k in range(first, len(times)):
            if kind[k] in (SLOT_CLOSED, SLOT_REMOVED):
                kind[k], capacity[k] = SLOT_ADDED, self.limits[stream]
        self._first_open[stream] = min(self._first_open[stream], first)

    def remove_sessions(self, stream: int, start: float) -> None:
        """Take away the added sessions from ``start`` on that nobody has booked."""
        times, kind, capacity = self.times[stream], self.kind[stream], self.capacity[stream]
        booked = self.booked[stream]
        for k in range(bisect.bisect_left(times, start), len(times)):
            if kind[k] == SLOT_ADDED and booked[k] == 0:
                kind[k], capacity[k] = SLOT_REMOVED, 0


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
        self.log = _PathwayColumns()
        self.on_end = on_end
        self.windows = working_windows(scenario.provider)
        self.workers = DrugWorkers(env, duty)
        places = [scenario.course.places(stream) for stream in scenario.streams]
        overbooking = scenario.course.overbooking
        attend = scenario.engagement.group_attend_probability
        self.sessions = SessionBook.from_timetable(
            scenario.streams,
            session_times(scenario),
            places,
            reactive_slot_times(scenario),
            places
            if overbooking is None
            else [overbooking.booking_limit(n, attend) for n in places],
        )
        engagement, contact, course = scenario.engagement, scenario.contact, scenario.course
        self._patience_hours = engagement.patience_days * HOURS_PER_DAY
        self._failed_call_hours = scenario.provider.failed_call_minutes / 60.0
        self._attempt_hours = contact.attempt_minutes / 60.0
        self._one_to_one_notice = scenario.provider.one_to_one_notice_hours
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
        self._due_sessions: dict[float, list[_Booking]] = {}  # batches by the instant due
        self._due_attempts: dict[float, list[tuple[int, int]]] = {}  # contact attempts, too
        self._routes: list[int] = []  # each referral's route once assessed
        self._duty_changes = list(zip(*(column.tolist() for column in duty), strict=True))
        self._next_duty_change = 0
        self._rota_due()
        self._reactive = course.reactive
        self._boosted = dict.fromkeys(
            [
                scenario.streams.index(s)
                for s in (course.reactive.streams if course.reactive else [])
            ],
            False,
        )
        if course.reactive is not None:
            self._reactive_check()

    def refer(self, find: int, stream: int, route: int) -> int:
        """Start the pathway of a referral made now for the given find; returns its index."""
        referral = self._add(find, stream, route, self.env.now)
        self._start_contact(referral)
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

    def _rota_due(self, _event: simpy.Event | None = None) -> None:
        """Set the number of drug workers on calls at each change of the rota due now."""
        changes, now, k = self._duty_changes, self.env.now, self._next_duty_change
        while k < len(changes) and changes[k][0] <= now:
            self.workers.set_on_calls(changes[k][1])
            k += 1
        self._next_duty_change = k
        if k < len(changes):
            self.env.timeout(changes[k][0] - now).callbacks.append(self._rota_due)

    def _reactive_check(self, _event: simpy.Event | None = None) -> None:
        """Add sessions to a stream whose projected wait or waiting list is too long, take
        them away once both are short again (``course.reactive``); then look again after
        the interval."""
        rule, now = self._reactive, self.env.now
        assert rule is not None, "only scheduled with a reactive rule"
        lead = now + rule.lead_time_days * HOURS_PER_DAY
        for stream, boosted in self._boosted.items():
            measures: list[tuple[float, float, float]] = []
            if rule.add_above_wait_days is not None and rule.remove_below_wait_days is not None:
                wait = self.sessions.projected_wait(stream, now + self._notice) / HOURS_PER_DAY
                measures.append((wait, rule.add_above_wait_days, rule.remove_below_wait_days))
            if rule.add_above_waiting is not None and rule.remove_below_waiting is not None:
                waiting = self.sessions.waiting(stream, now)
                measures.append((waiting, rule.add_above_waiting, rule.remove_below_waiting))
            if not boosted and any(value > add for value, add, _ in measures):
                self.sessions.add_sessions(stream, lead)
                self._boosted[stream] = True
            elif boosted and all(value < remove for value, _, remove in measures):
                self.sessions.remove_sessions(stream, lead)
                self._boosted[stream] = False
        self.env.timeout(rule.check_every_days * HOURS_PER_DAY).callbacks.append(
            self._reactive_check
        )

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
        since = self.env.now - waited_hours
        referral = self._add(find, stream, route, since, waiting_at_start=True)
        if stage == "contact":
            self._start_contact(referral)
        elif stage == "assessment":
            self.log.first_contact_hours[referral] = since
            self._request_assessment(referral)
        else:
            self.log.assessed[referral] = True
            self.log.route[referral] = route
            self.log.assessment_end_hours[referral] = since
            self._intervention(referral, since)
        return referral

    def _add(
        self, find: int, stream: int, route: int, hours: float, waiting_at_start: bool = False
    ) -> int:
        self._routes.append(route)
        return self.log.add(find, stream, hours, waiting_at_start)

    # A referral's steps. Each is a callback on the event that starts it (a timeout, a
    # drug worker taking the client) with the referral's index as the event's value: an
    # event per step and no SimPy process, whose start, end and resumes would add to
    # every referral.

    def _start_contact(self, r: int) -> None:
        if self._attempt_hours > 0:
            self._attempt_due(r, 0, self.env.now + self._first_delay)
        else:
            self._contact(r)

    def _attempt_due(self, r: int, k: int, earliest: float) -> None:
        """Attempt ``k`` to reach the referral: a drug worker's call in working hours.

        Attempts due at the same instant (many at a shift's start) join one batch with
        one event, and queue in the order they were made due, as one event each would.
        """
        now = self.env.now
        delay = self.windows.next_open_at(earliest) - now
        due = now + delay  # exactly when a timeout of this delay fires
        batch = self._due_attempts.get(due)
        if batch is None:
            batch = self._due_attempts[due] = []
            self.env.timeout(delay, due).callbacks.append(self._attempts_queue)
        batch.append((r, k))

    def _attempts_queue(self, event: simpy.Timeout) -> None:
        assert event.value is not None, "a batch's event carries the instant it is due"
        for attempt in self._due_attempts.pop(event.value):
            self.workers.call(self._attempt_starts, attempt, self._attempt_hours)

    def _attempt_starts(self, attempt: object) -> None:
        now = self.env.now
        self.log.attempt_starts.append(now)
        self.log.attempt_ends.append(now + self._attempt_hours)
        self.env.timeout(self._attempt_hours, attempt).callbacks.append(self._attempt_ends)

    def _attempt_ends(self, event: simpy.Timeout) -> None:
        """Answered: the referral waits for an assessment; if not, the next attempt, if any."""
        assert event.value is not None, "an attempt carries (referral, attempt)"
        r, k = event.value
        self.workers.release()
        log, now = self.log, self.env.now
        log.contact_attempts[r] = k + 1
        if self._contact_u[k][log.find[r]] < self._answer:
            log.first_contact_hours[r] = now
            self._request_assessment(r)
        elif k + 1 < len(self._contact_u):
            self._attempt_due(r, k + 1, now - self._attempt_hours + self._spacing)
        else:
            self._end(r, NOT_CONTACTED, now)

    def _request_assessment(self, r: int) -> None:
        """Join the queue for an assessment call, booked for the assessment's length."""
        hours = self._assessment_minutes[self.log.find[r]] / 60.0
        self.workers.call(self._assessment_starts, r, hours)

    def _contact(self, r: int) -> None:
        """Wait for the first answered call, or give up after the last attempt."""
        contacted_at, attempts, last_attempt = self._first_contact(self.log.find[r])
        self.log.contact_attempts[r] = attempts
        if contacted_at is None:
            self.env.timeout(last_attempt - self.env.now, r).callbacks.append(self._not_contacted)
            return
        self.log.first_contact_hours[r] = contacted_at
        self.env.timeout(contacted_at - self.env.now, r).callbacks.append(self._contacted)

    def _not_contacted(self, event: simpy.Timeout) -> None:
        r = event.value
        assert r is not None, "a step's event carries its referral"
        self._end(r, NOT_CONTACTED, self.env.now)

    def _contacted(self, event: simpy.Timeout) -> None:
        assert event.value is not None, "a step's event carries its referral"
        self._request_assessment(event.value)

    def _assessment_starts(self, client: object) -> None:
        """A drug worker calls: the person engages and is assessed, or the call fails."""
        r, log, start = client, self.log, self.env.now
        assert isinstance(r, int), "an assessment's client is its referral"
        log.assessment_hours[r] = start
        find = log.find[r]
        if not self._engages(
            self._assessment_u[find],
            self.scenario.engagement.assessment_engage_probability,
            start - log.referral_hours[r],  # the whole wait, chasing calls included
        ):
            log.assessment_end_hours[r] = start + self._failed_call_hours
            due = self.env.timeout(self._failed_call_hours, r)
            due.callbacks.append(self._failed_assessment_ends)
            return
        hours = self._assessment_minutes[find] / 60.0
        log.assessment_end_hours[r] = start + hours
        self.env.timeout(hours, r).callbacks.append(self._assessment_ends)

    def _failed_assessment_ends(self, event: simpy.Timeout) -> None:
        r = event.value
        assert r is not None, "a step's event carries its referral"
        self.workers.release()
        self._end(r, LEFT_AT_ASSESSMENT, self.env.now)

    def _assessment_ends(self, event: simpy.Timeout) -> None:
        r = event.value
        assert r is not None, "a step's event carries its referral"
        self.workers.release()
        self.log.assessed[r] = True
        self.log.route[r] = self._routes[r]
        self._intervention(r, self.env.now)

    def _intervention(self, r: int, assessed_at: float) -> None:
        """Triage's outcome: a one-to-one call when a worker is free, or the group course."""
        if self._routes[r] == ROUTE_ONE_TO_ONE:
            if self._one_to_one_notice > 0:
                notice = self.env.timeout(self._one_to_one_notice, r)
                notice.callbacks.append(self._one_to_one_queues)
            else:
                self._request_one_to_one(r)
        else:
            course = _Booking(r, session=-1, attended=0, waiting_since=assessed_at)
            self._book_next(course, self.env.now + self._notice)

    def _one_to_one_queues(self, event: simpy.Timeout) -> None:
        assert event.value is not None, "a step's event carries its referral"
        self._request_one_to_one(event.value)

    def _request_one_to_one(self, r: int) -> None:
        """Book the one-to-one: the first slot of its length a worker has free."""
        hours = self._one_to_one_minutes[self.log.find[r]] / 60.0
        self.workers.call(self._one_to_one_starts, r, hours)

    def _one_to_one_starts(self, client: object) -> None:
        r, log, start = client, self.log, self.env.now
        assert isinstance(r, int), "a one-to-one's client is its referral"
        log.intervention_booked_hours[r] = start
        engaged = self._engages(
            self._one_to_one_u[log.find[r]],
            self.scenario.engagement.one_to_one_engage_probability,
            start - log.assessment_end_hours[r],
        )
        hours = self._one_to_one_minutes[log.find[r]] / 60.0 if engaged else self._failed_call_hours
        if engaged:
            log.intervention_start_hours[r] = start
        log.intervention_end_hours[r] = start + hours
        state = COMPLETED if engaged else LEFT_AT_ONE_TO_ONE
        self.env.timeout(hours, (r, state)).callbacks.append(self._one_to_one_ends)

    def _one_to_one_ends(self, event: simpy.Timeout) -> None:
        assert event.value is not None, "a one-to-one's end carries (referral, state)"
        r, state = event.value
        self.workers.release()
        self._end(r, state, self.env.now)

    def _book_next(self, booking: _Booking, earliest: float) -> None:
        """Book the referral's next group session, or end it when no bookings are left.

        A session's attendees are not SimPy processes: each booking joins the batch of
        bookings due at the instant a timeout to the session would fire, and one event per
        batch handles them in the order they were booked. That is the order SimPy would
        have resumed one process per booking in, so results are the same, with one event
        per session instead of one per attendee per session.
        """
        now = self.env.now
        number = booking.number + 1
        if number == len(self._group_u):
            self._end(booking.referral, LEFT_AT_COURSE, now)
            return
        stream = self.log.stream[booking.referral]
        session = self.sessions.book(stream, earliest)
        if session < 0:
            return  # no session with a free place before the run ends: still waiting
        starts = self.sessions.times[stream][session]
        if number == 0:
            self.log.intervention_booked_hours[booking.referral] = starts
        due = now + (starts - now)  # exactly when a timeout of this delay fires
        batch = self._due_sessions.get(due)
        if batch is None:
            batch = self._due_sessions[due] = []
            self.env.timeout(starts - now, due).callbacks.append(self._sessions_due)
        batch.append(booking._replace(session=session, number=number))

    def _sessions_due(self, event: simpy.Timeout) -> None:
        due = event.value
        assert due is not None, "a batch's event carries the instant it is due"
        for booking in self._due_sessions.pop(due):
            self._attend(booking)

    def _attend(self, booking: _Booking) -> None:
        """A booked referral at its session: attends (and may complete) or does not show."""
        r, session, log, sessions = booking.referral, booking.session, self.log, self.sessions
        find, stream = log.find[r], log.stream[r]
        starts = sessions.times[stream][session]
        if self._engages(
            self._group_u[booking.number][find],
            self.scenario.engagement.group_attend_probability,
            starts - booking.waiting_since,
        ):
            if sessions.attended[stream][session] >= sessions.places[stream]:
                # Overbooked and full: turned away at the door, rebooked as after a
                # no-show without using a rebooking up (the same draw decides next time).
                sessions.turned_away[stream][session] += 1
                self._book_next(
                    booking._replace(number=booking.number - 1), self.env.now + self._notice
                )
                return
            sessions.attended[stream][session] += 1
            attended = booking.attended + 1
            ends = starts + self._session_hours
            if attended == 1:
                log.intervention_start_hours[r] = starts
            if attended == self._sessions_per_course:
                log.intervention_end_hours[r] = ends
                self._end(r, COMPLETED, ends)
                return
            self._book_next(booking._replace(attended=attended, waiting_since=ends), ends)
        else:
            log.no_shows[r] += 1
            self._book_next(booking, self.env.now + self._notice)
