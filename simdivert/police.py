"""The police side over time: finds in time order, each person's history, repeat finds.

First finds (new people) come from :mod:`simdivert.demand`. After every find the
person may be found again: the hazard is ``rate x frailty x multiplier`` where the
multiplier depends on what happened last (no police action, a recorded outcome, in
diversion, completed, disengaged). A hazard that changes while the person waits (the
diversion they are in ends) keeps the person's unit exponential draw: the time already
waited counts, so the switch is exact for piecewise-constant hazards.

The scene decision for each find applies the scheme's rules (:mod:`simdivert.policy`)
to the person's history: a bar after not engaging, once-only schemes, a deferred
prosecution contract (a find during the contract breaches it: prosecution). Referrals
go to the provider (:mod:`simdivert.pathway`), which reports back when each ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from simdivert.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from simdivert.demand import USER_DEALER, Demand, draw_people
from simdivert.draws import FindDraws
from simdivert.pathway import COMPLETED, DISENGAGED, ProviderModel, route_for, stream_for
from simdivert.policy import (
    CHARGE,
    DIVERTED,
    NO_LATER_OUTCOME,
    NOT_RECORDED,
    UNDER_18_ROW,
    UPLIFT_OUTCOME,
    SceneRules,
)
from simdivert.roster import duty_changes
from simdivert.scenario import Scenario
from simdivert.streams import RandomStreams

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
    ("outcome", np.int64),
    ("counterfactual", np.int64),
    ("referral", np.int64),
)


@dataclass
class FindsLog:
    """One row per possession or user-dealer find, in the order they happen.

    Rows are tuples while the run appends them; :meth:`finish` turns them into columns.
    Later outcomes (a prosecution after a breach or after not engaging) are set by row.
    """

    rows: list[tuple] = field(default_factory=list)
    later_outcome: list | np.ndarray = field(default_factory=list)
    later_outcome_hours: list | np.ndarray = field(default_factory=list)
    find: np.ndarray = field(init=False)
    person: np.ndarray = field(init=False)
    hours: np.ndarray = field(init=False)
    repeat: np.ndarray = field(init=False)
    live: np.ndarray = field(init=False)  # the scheme was live for this find
    recorded: np.ndarray = field(init=False)
    recorded_without_policy: np.ndarray = field(init=False)
    barred: np.ndarray = field(init=False)
    breach: np.ndarray = field(init=False)  # found during a deferred-prosecution contract
    outcome: np.ndarray = field(init=False)  # FIND_OUTCOMES code
    counterfactual: np.ndarray = field(init=False)  # the outcome without the scheme
    referral: np.ndarray = field(init=False)  # pathway row, -1 if none

    def add(self, row: tuple) -> int:
        self.rows.append(row)
        self.later_outcome.append(NO_LATER_OUTCOME)
        self.later_outcome_hours.append(math.nan)
        return len(self.rows) - 1

    def finish(self) -> FindsLog:
        columns = list(zip(*self.rows, strict=True)) if self.rows else [()] * len(_COLUMNS)
        for (name, dtype), values in zip(_COLUMNS, columns, strict=True):
            setattr(self, name, np.asarray(values, dtype=dtype))
        self.later_outcome = np.asarray(self.later_outcome, dtype=np.int64)
        self.later_outcome_hours = np.asarray(self.later_outcome_hours, dtype=float)
        self.rows = []
        return self


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
        self.horizon = scenario.horizon_hours
        self.rules = SceneRules(scenario)
        self.draws = draws
        self.log = FindsLog()
        duty = duty_changes(scenario, streams.generator("roster.absence"))
        self.provider = ProviderModel(env, scenario, draws, duty, on_end=self._referral_ended)
        people = demand.people
        n = people.size
        self._first_find_hours = demand.person_find_hours.tolist()
        self._known_before = demand.known_before.tolist()
        self._desist_hours = people.desist_hours.tolist()
        self._under_18 = people.under_18.tolist()
        self._user_dealer = (demand.person_kind == USER_DEALER).tolist()
        self._substance = people.substance.tolist()
        self._ethnic_group = people.ethnic_group.tolist()
        self._area = people.area.tolist()
        self._stream = [
            stream_for(s, u) for s, u in zip(self._substance, self._under_18, strict=True)
        ]
        self._route = [
            route_for(d, s)
            for d, s in zip(
                people.possible_dependence, people.significant_safeguarding, strict=True
            )
        ]
        refind = scenario.refind
        base = refind.rate_per_year / HOURS_PER_YEAR
        self._base_hazard = (people.frailty * base).tolist()
        self._multiplier = {
            "no_action": refind.after_no_police_action,
            "recorded": refind.after_recorded_outcome,
            "diversion": refind.during_diversion,
            "completed": refind.after_completion,
            "disengaged": refind.after_disengagement,
        }
        self._first_gap = streams.generator("refind.first_gap").exponential(1.0, n).tolist()
        self._later_gaps = streams.generator("refind.later_gaps")
        # Person histories.
        self._barred_until = [-math.inf] * n
        self._diversions = [0] * n
        self._contract_until = [-math.inf] * n
        self._contract_find = [-1] * n
        self._last_find = [-1] * n
        self._version = [0] * n
        self._gap_unit = [0.0] * n
        self._gap_start = [0.0] * n
        self._hazard = [0.0] * n
        self._finds = n + self._start_backlog(demand, streams)  # then repeat finds' ids
        self._row_of_find: dict[int, int] = {}
        self._person_of_find: dict[int, int] = {}
        columns = draws.columns
        self._informal_u = columns["scene.informal"]
        self._recorded_u = columns["scene.recorded"]
        self._offer_u = columns["scene.offer"]
        self._accept_u = columns["scene.accept"]
        self._mix_u = columns["scene.mix"]
        env.process(self._first_finds())

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
        first = demand.people.size
        for j, person in enumerate(waiting):
            self.provider.refer_waiting(
                first + j,
                stream_for(int(people.substance[j]), bool(people.under_18[j])),
                route_for(people.possible_dependence[j], people.significant_safeguarding[j]),
                person.stage,
                person.waited_days * HOURS_PER_DAY,
            )
        return len(waiting)

    def _first_finds(self):
        env = self.env
        for person, when in enumerate(self._first_find_hours):
            if when > env.now:
                yield env.timeout(when - env.now)
            self._find(person, person, repeat=self._known_before[person])

    def _repeat_find(self, person: int, when: float, version: int):
        yield self.env.timeout(when - self.env.now)
        if self._version[person] == version:  # not superseded by a change of hazard
            find = self._finds
            self._finds += 1
            self.draws.ensure(self._finds)
            self._find(person, find, repeat=True)

    def _schedule_next_find(self, person: int, unit: float, since: float, multiplier: str) -> None:
        hazard = self._base_hazard[person] * self._multiplier[multiplier]
        self._gap_unit[person], self._gap_start[person] = unit, since
        self._hazard[person] = hazard
        self._version[person] += 1
        if hazard > 0 and since + unit / hazard < min(self.horizon, self._desist_hours[person]):
            self.env.process(
                self._repeat_find(person, since + unit / hazard, self._version[person])
            )

    def _find(self, person: int, find: int, repeat: bool) -> None:
        """Decide a find's outcome at the scene, record it, refer or not, and look ahead."""
        now, rules, policy = self.env.now, self.rules, self.scenario.policy
        under_18, user_dealer = self._under_18[person], self._user_dealer[person]
        informal = not user_dealer and (
            self._informal_u[find] < self.scenario.demand.informal_share_without_policy
        )
        if user_dealer:
            recorded_outcome = CHARGE
        else:
            mix_row = UNDER_18_ROW if under_18 else self._substance[person]
            recorded_outcome = rules.mix_outcome(
                self._mix_u[find], mix_row, self._ethnic_group[person]
            )
        counterfactual = NOT_RECORDED if informal else recorded_outcome
        live = rules.is_live(self._area[person], under_18, now)
        barred = now < self._barred_until[person]
        breach = False
        if not live:
            recorded, outcome = not informal, counterfactual
        else:
            recorded = not informal or self._recorded_u[find] < policy.informal_finds_recorded_share
            if not recorded:
                outcome = NOT_RECORDED
            elif now < self._contract_until[person]:
                breach, outcome = True, CHARGE
                self._prosecute(self._contract_find[person], now)
                self._contract_until[person] = -math.inf
            elif (
                rules.may_be_offered(
                    under_18,
                    user_dealer,
                    self._barred_until[person],
                    self._diversions[person],
                    now,
                )
                and self._offer_u[find] < rules.offer_share(user_dealer)
                and self._accept_u[find] < policy.accept_share
            ):
                outcome = DIVERTED
            elif informal:
                outcome = UPLIFT_OUTCOME  # no police action before: a community resolution
            else:
                outcome = recorded_outcome
        referral = -1
        if outcome == DIVERTED:
            self._diversions[person] += 1
            if rules.contract_hours > 0:
                self._contract_until[person] = now + rules.contract_hours
                self._contract_find[person] = find
            referral = self.provider.refer(find, self._stream[person], self._route[person])
        self._row_of_find[find] = self.log.add(
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
                outcome,
                counterfactual,
                referral,
            )
        )
        self._person_of_find[find] = person
        self._last_find[person] = find
        first_in_run = find == person
        unit = self._first_gap[person] if first_in_run else float(self._later_gaps.exponential())
        multiplier = (
            "diversion"
            if outcome == DIVERTED
            else "no_action"
            if outcome == NOT_RECORDED
            else "recorded"
        )
        self._schedule_next_find(person, unit, now, multiplier)

    def _prosecute(self, find: int, when: float) -> None:
        """A later prosecution of an earlier find (contract breach, non-engagement)."""
        row = self._row_of_find[find]
        if self.log.later_outcome[row] == NO_LATER_OUTCOME:
            self.log.later_outcome[row] = CHARGE
            self.log.later_outcome_hours[row] = when

    def _referral_ended(self, referral: int, state: int, now: float) -> None:
        """The provider's report that a referral ended (at ``now``, which may be the end of a
        session under way): bars, penalties, a new hazard."""
        policy = self.scenario.policy
        find = self.provider.log.find[referral]
        if find not in self._person_of_find:
            return  # on the waiting list before the run: no history to update
        person = self._person_of_find[find]
        disengaged = state in DISENGAGED
        if disengaged:
            if self.rules.bar_hours > 0:
                self._barred_until[person] = max(
                    self._barred_until[person], now + self.rules.bar_hours
                )
            if policy.non_engagement_outcome == "charge":
                self._prosecute(find, now)
                if self._contract_find[person] == find:
                    self._contract_until[person] = -math.inf
        if self._last_find[person] == find:  # no find since: the hazard changes now
            waited = self._hazard[person] * (now - self._gap_start[person])
            remaining = max(self._gap_unit[person] - waited, 0.0)
            self._schedule_next_find(
                person, remaining, now, "completed" if state == COMPLETED else "disengaged"
            )
