"""The police side over time: finds in time order, each person's history, repeat finds.

First finds (new people) come from :mod:`simdivert.model.demand`. After every find the
person may be found again: the hazard is ``rate x frailty x multiplier`` where the
multiplier depends on what happened last (no police action, a recorded outcome, in
diversion, completed, disengaged). A hazard that changes while the person waits (the
diversion they are in ends) keeps the person's unit exponential draw: the time already
waited counts, so the switch is exact for piecewise-constant hazards.

Every scheme decision is the rules' (:mod:`simdivert.model.rules`): this module asks
them for the outcome at the scene of each find, tells them of each diversion and breach,
and asks them what follows when a referral ends, then records what they decide (a later
prosecution). Referrals go to the provider (:mod:`simdivert.model.provider`), which
reports back when each ends.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from heapq import heappop, heappush

import numpy as np
import simpy

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from simdivert.model.demand import USER_DEALER, Demand, draw_people
from simdivert.model.draws import FindDraws
from simdivert.model.events import Due, call_at, call_later
from simdivert.model.provider import (
    COMPLETED,
    ROUTE_ONE_TO_ONE,
    ProviderModel,
    route_for,
    stream_for,
)
from simdivert.model.random_streams import RandomStreams
from simdivert.model.roster import duty_changes
from simdivert.model.rules import (
    DIVERTED,
    NO_LATER_OUTCOME,
    NOT_RECORDED,
    SchemeRules,
)
from simdivert.scenario.schema import Scenario

_COLUMNS = (
    ("find", np.int64),
    ("person", np.int64),
    ("hours", float),
    ("repeat", bool),
    ("live", bool),
    ("recorded", bool),
    ("recorded_without_policy", bool),
    ("barred", bool),
    ("breach", bool),
    ("offered", bool),
    ("outcome", np.int64),
    ("counterfactual", np.int64),
    ("referral", np.int64),
)


@dataclass
class FindsLog:
    """One row per possession or user-dealer find, in the order they happen.

    The first finds not diverted are recorded before the run, all at once, as columns
    (``bulk``); the rest are tuples appended as they happen (``rows``). Later outcomes (a
    prosecution after a breach or after not engaging) are kept by find; :meth:`finish`
    turns all of it into columns in time order.
    """

    rows: list[tuple] = field(default_factory=list)
    bulk: tuple[np.ndarray, ...] = ()  # rows recorded all at once, a column per field
    later: dict[int, tuple[int, float]] = field(default_factory=dict)  # find: (outcome, hours)
    find: np.ndarray = field(init=False)
    person: np.ndarray = field(init=False)
    hours: np.ndarray = field(init=False)
    repeat: np.ndarray = field(init=False)
    live: np.ndarray = field(init=False)  # the scheme was live for this find
    recorded: np.ndarray = field(init=False)
    recorded_without_policy: np.ndarray = field(init=False)
    barred: np.ndarray = field(init=False)
    breach: np.ndarray = field(init=False)  # found during a deferred-prosecution contract
    offered: np.ndarray = field(init=False)  # offered diversion (accepted or not)
    outcome: np.ndarray = field(init=False)  # FIND_OUTCOMES code
    counterfactual: np.ndarray = field(init=False)  # the outcome without the scheme
    referral: np.ndarray = field(init=False)  # pathway row, -1 if none
    later_outcome: np.ndarray = field(init=False)  # OUTCOMES code or NO_LATER_OUTCOME
    later_outcome_hours: np.ndarray = field(init=False)

    def finish(self) -> FindsLog:
        columns = list(zip(*self.rows, strict=True)) if self.rows else [()] * len(_COLUMNS)
        bulk = self.bulk or [np.empty(0)] * len(_COLUMNS)
        for (name, dtype), first, values in zip(_COLUMNS, bulk, columns, strict=True):
            setattr(self, name, np.concatenate([first, np.asarray(values, dtype)]).astype(dtype))
        in_time_order = np.lexsort((self.find, self.hours))
        for name, _ in _COLUMNS:
            setattr(self, name, getattr(self, name)[in_time_order])
        self.later_outcome = np.full(self.find.size, NO_LATER_OUTCOME, dtype=np.int64)
        self.later_outcome_hours = np.full(self.find.size, math.nan)
        if self.later:
            by_find = np.argsort(self.find)
            later_finds = np.fromiter(self.later, dtype=np.int64, count=len(self.later))
            rows = by_find[np.searchsorted(self.find, later_finds, sorter=by_find)]
            outcomes, hours = zip(*self.later.values(), strict=True)
            self.later_outcome[rows] = outcomes
            self.later_outcome_hours[rows] = hours
        self.rows, self.bulk = [], ()
        return self


def _unit_exponentials(rng: np.random.Generator, chunk: int = 1024) -> Iterator[float]:
    """The stream's unit exponentials one by one, drawn in chunks: the same numbers in the
    same order as one draw at a time, without numpy's cost per call."""
    while True:
        yield from rng.exponential(1.0, chunk).tolist()


class PoliceModel:
    """Finds over time, the decision at the scene, and people's histories."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        demand: Demand,
        draws: FindDraws,
        streams: RandomStreams,
    ) -> None:
        self.env = env
        self.scenario = scenario
        self.draws = draws
        self.log = FindsLog()
        duty = duty_changes(
            scenario, streams.generator("roster.absence"), streams.generator("roster.workforce")
        )
        self.provider = ProviderModel(env, scenario, draws, duty, on_end=self._referral_ended)
        people = demand.people
        n = people.size
        self._first_find_hours = demand.person_find_hours.tolist()
        self._known_before = demand.known_before.tolist()
        find_until = np.minimum(people.desist_hours, scenario.horizon_hours)
        self._find_until = find_until.tolist()
        user_dealer = demand.person_kind == USER_DEALER
        self.rules = SchemeRules(
            scenario, people, user_dealer, demand.known_before, draws.columns, draws.first
        )
        self._decide = self.rules.decide
        self._on_record = self.rules.recorded
        self._stream = stream_for(scenario, people.substance, people.under_18).tolist()
        route = route_for(people.possible_dependence, people.significant_safeguarding)
        if scenario.population.user_dealers is not None:  # routed to treatment
            route = np.where(user_dealer, ROUTE_ONE_TO_ONE, route)
        self._route = route.tolist()
        refind = scenario.refind
        base = refind.rate_per_year / HOURS_PER_YEAR
        self._base_hazard = (people.frailty * base).tolist()
        self._after_no_action = refind.after_no_police_action
        self._after_recorded = refind.after_recorded_outcome
        self._during_diversion = refind.during_diversion
        self._after_completion = refind.after_completion
        self._after_disengagement = refind.after_disengagement
        first_gap = streams.generator("refind.first_gap").exponential(1.0, n)
        self._first_gap = first_gap.tolist()
        self._later_gap = _unit_exponentials(streams.generator("refind.later_gaps")).__next__
        # Person histories (the scheme's part is the rules').
        self._last_find = [-1] * n
        self._version = [0] * n
        self._gap_unit = [0.0] * n
        self._gap_start = [0.0] * n
        self._hazard = [0.0] * n
        self._finds = n + self._start_backlog(demand, streams)  # then repeat finds' ids
        self._person_of_referral: dict[int, int] = {}  # referrals made in the run
        # Repeat finds to come: (when, order scheduled, person, hazard version), and the
        # times of the wake-up events pending for them.
        self._pending: list[tuple[float, int, int, int]] = []
        self._scheduled = 0
        self._wakes: set[float] = set()
        self._planned = self._plan_first_finds(
            demand.person_find_hours,
            demand.known_before,
            people.frailty * base,
            first_gap,
            find_until,
        )
        self._next_planned = 0  # the next planned event
        self._planned_due()

    def finish(self) -> FindsLog:
        return self.log.finish()

    def _start_backlog(self, demand: Demand, streams: RandomStreams) -> int:
        """Put the people already waiting at the start into the pathway; returns how many.

        They were referred before the run, so they have no find in the run; their random
        numbers are the rows after the first finds'.
        """
        waiting = self.scenario.backlog.waiting()
        if not waiting or not self.scenario.policy.diversion:
            return 0
        people = draw_people(self.scenario, streams, np.zeros(len(waiting)), prefix="backlog")
        course_streams = stream_for(self.scenario, people.substance, people.under_18).tolist()
        routes = route_for(people.possible_dependence, people.significant_safeguarding).tolist()
        first = demand.people.size
        for j, person in enumerate(waiting):
            self.provider.refer_waiting(
                first + j,
                course_streams[j],
                routes[j],
                person.stage,
                person.waited_days * HOURS_PER_DAY,
            )
        return len(waiting)

    def _plan_first_finds(
        self,
        hours: np.ndarray,
        known_before: np.ndarray,
        base_hazard: np.ndarray,
        first_gap: np.ndarray,
        find_until: np.ndarray,
    ) -> list[tuple[float, int, tuple | None, int]]:
        """Decide every first find before the run; return the police events to come.

        A person's first find in the run meets an empty history, so its outcome is
        known before the run starts (:meth:`SchemeRules.decide_first_finds`, all at once).
        A find not diverted is recorded at once, as :meth:`_record` would, and only the
        next find it leads to becomes an event; a diverted one is an event of its own,
        since its referral starts then. Returns ``(when, person, decision, version)`` in
        time order (ties by person): a first find's decision, or ``None`` and the
        hazard's version for a repeat find.
        """
        decisions = self.rules.decide_first_finds(hours)
        live, recorded, informal, barred, breach, offered, outcome, counterfactual = decisions
        diverted = np.flatnonzero(outcome == DIVERTED)
        now = np.flatnonzero(outcome != DIVERTED)
        self.log.bulk = (
            now,
            now,
            hours[now],
            known_before[now],
            *(column[now] for column in (live, recorded, ~informal, barred)),
            *(column[now] for column in (breach, offered, outcome, counterfactual)),
            np.full(now.size, -1),
        )
        self.rules.recorded_all(now, outcome[now])
        # The wait for the next find, as _set_hazard starts it.
        multiplier = np.where(
            outcome[now] == NOT_RECORDED, self._after_no_action, self._after_recorded
        )
        hazard = base_hazard[now] * multiplier
        unit = first_gap[now]
        with np.errstate(divide="ignore"):
            due = hours[now] + unit / hazard
        falls_due = (hazard > 0) & (due < find_until[now])
        n = hours.size
        for name, values, default in (
            ("_last_find", now, -1),
            ("_version", 1, 0),
            ("_gap_unit", unit, 0.0),
            ("_gap_start", hours[now], 0.0),
            ("_hazard", hazard, 0.0),
        ):
            column = np.full(n, default)
            column[now] = values
            setattr(self, name, column.tolist())
        # The events: diverted first finds and the repeat finds that fall due, by time.
        due_persons = now[falls_due]
        when = np.concatenate([hours[diverted], due[falls_due]])
        who = np.concatenate([diverted, due_persons])
        by_person = np.argsort(who, kind="stable")
        order = by_person[np.argsort(when[by_person], kind="stable")]
        scene = [column[diverted].tolist() for column in decisions]
        events: list[tuple | None] = [*zip(*scene, strict=True), *([None] * due_persons.size)]
        versions = np.concatenate(
            [np.zeros(diverted.size, np.int64), np.ones(due_persons.size, np.int64)]
        )
        return list(
            zip(
                when[order].tolist(),
                who[order].tolist(),
                [events[i] for i in order.tolist()],
                versions[order].tolist(),
                strict=True,
            )
        )

    def _planned_due(self, _event: Due | None = None) -> None:
        """Handle the planned police events due now, then wait for the next one.

        Finds are callbacks on the model's own light events
        (:func:`~simdivert.model.events.call_later`), not SimPy processes: a process would
        add its start and end events and a generator resume to every find.
        """
        planned, now, i = self._planned, self.env.now, self._next_planned
        while i < len(planned) and planned[i][0] <= now:
            _, person, decision, version = planned[i]
            i += 1
            if decision is None:
                self._repeat_find(person, version)
            else:
                due = self._record(person, person, self._known_before[person], now, decision)
                self._schedule(person, due)
        self._next_planned = i
        if i < len(planned):
            call_later(self.env, planned[i][0] - now, self._planned_due)

    def _repeat_finds_due(self, event: Due) -> None:
        """Handle the repeat finds due now, in the order they were scheduled, then make
        sure the next one has a wake-up (one may be pending already)."""
        pending, now = self._pending, self.env.now
        self._wakes.discard(event.value)
        while pending and pending[0][0] <= now:
            _, _, person, version = heappop(pending)
            self._repeat_find(person, version)
        if pending and pending[0][0] < min(self._wakes, default=math.inf):
            self._wake(pending[0][0])

    def _wake(self, when: float) -> None:
        self._wakes.add(when)
        call_at(self.env, when, self._repeat_finds_due, when)

    def _repeat_find(self, person: int, version: int) -> None:
        if self._version[person] == version:  # not superseded by a change of hazard
            find = self._finds
            self._finds += 1
            self.draws.ensure(self._finds)
            now = self.env.now
            due = self._record(person, find, True, now, self._decide(person, find, now))
            self._schedule(person, due)

    def _set_hazard(
        self, person: int, unit: float, since: float, multiplier: float
    ) -> float | None:
        """Start the wait for the person's next find; returns when it falls due, or None if
        not before the end of the run or the person's desistance."""
        hazard = self._base_hazard[person] * multiplier
        self._gap_unit[person], self._gap_start[person] = unit, since
        self._hazard[person] = hazard
        self._version[person] += 1
        if hazard > 0 and since + unit / hazard < self._find_until[person]:
            return since + unit / hazard
        return None

    def _schedule(self, person: int, due: float | None) -> None:
        """Put the person's next find among the pending repeat finds.

        They wait in this model's own queue, with a SimPy event only for the next one
        due: about 1,300 of them are pending at any time (many superseded by a change of
        hazard), and in SimPy's queue every event would have paid for their depth. The
        time is exactly the one a timeout of ``due - now`` would fire at, and finds due
        at one instant are handled in the order scheduled, as SimPy would.
        """
        if due is not None:
            now = self.env.now
            when = now + (due - now)
            heappush(self._pending, (when, self._scheduled, person, self._version[person]))
            self._scheduled += 1
            if when < min(self._wakes, default=math.inf):
                self._wake(when)

    def _record(
        self, person: int, find: int, repeat: bool, now: float, decision: tuple
    ) -> float | None:
        """Act on a find's outcome (a breach, a referral), record it, and start the wait for
        the person's next find; returns when that falls due (see :meth:`_set_hazard`)."""
        live, recorded, informal, barred, breach, offered, outcome, counterfactual = decision
        if breach:
            self._record_later(*self.rules.breached(person), now)
        referral = -1
        if outcome == DIVERTED:
            self.rules.diverted(person, find, now)
            referral = self.provider.refer(find, self._stream[person], self._route[person])
            self._person_of_referral[referral] = person
        self.log.rows.append(
            (
                find,
                person,
                now,
                repeat,
                live,
                recorded,
                not informal,
                barred,
                breach,
                offered,
                outcome,
                counterfactual,
                referral,
            )
        )
        self._last_find[person] = find
        self._on_record(person, outcome)
        first_in_run = find == person
        unit = self._first_gap[person] if first_in_run else self._later_gap()
        if outcome == DIVERTED:
            multiplier = self._during_diversion
        elif outcome == NOT_RECORDED:
            multiplier = self._after_no_action
        else:
            multiplier = self._after_recorded
        return self._set_hazard(person, unit, now, multiplier)

    def _record_later(self, find: int, outcome: int, when: float) -> None:
        """A later outcome of an earlier find (a prosecution after a contract breach or
        after not engaging); a find keeps the first it gets."""
        self.log.later.setdefault(find, (outcome, when))

    def _referral_ended(self, referral: int, state: int, now: float) -> None:
        """The provider's report that a referral ended (at ``now``, which may be the end of a
        session under way): what the rules decide follows, and a new hazard."""
        person = self._person_of_referral.get(referral)
        if person is None:
            return  # on the waiting list before the run: no history to update
        find = self.provider.log.find[referral]
        later = self.rules.referral_ended(person, find, state, now)
        if later != NO_LATER_OUTCOME:
            self._record_later(find, later, now)
        if self._last_find[person] == find:  # no find since: the hazard changes now
            waited = self._hazard[person] * (now - self._gap_start[person])
            remaining = max(self._gap_unit[person] - waited, 0.0)
            multiplier = self._after_completion if state == COMPLETED else self._after_disengagement
            self._schedule(person, self._set_hazard(person, remaining, now, multiplier))
