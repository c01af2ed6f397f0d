"""The one place for the scheme's rules: a new scheme rule touches the schema and this
module only.

For every find the officer's outcome is decided from the find, the person and the
person's history: whether the scheme is live in the person's area, whether the find
would have been recorded without the policy (the recording uplift), whether the
person may be offered diversion (age, a user-dealer route, a bar after not engaging,
once only, a deferred-prosecution contract in force) and whether it is offered and
accepted. Every find also carries its counterfactual: the outcome it would have had
without diversion, drawn from its own numbers, so the same find has the same
counterfactual in every scenario.

What follows a decision is a rule too: a diversion may start a contract, a find during
the contract breaches it (the contract's find is prosecuted), and a referral that ends
without engagement may bar the person from another offer and be prosecuted later.
:class:`SchemeRules` keeps the part of each person's history these rules read (bar,
diversions, contract); the police process (:mod:`simdivert.model.police`) keeps time,
hazards and the logs, and asks the rules at each find and at each referral's end.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence

import numpy as np

from simdivert.clock import HOURS_PER_DAY
from simdivert.model.demand import People
from simdivert.model.provider import DISENGAGED
from simdivert.scenario.schema import FORMAL_OUTCOMES, OUTCOMES, Scenario

# Outcome codes of a find: OUTCOMES (0-5), then these.
DIVERTED = len(OUTCOMES)
NOT_RECORDED = len(OUTCOMES) + 1
FIND_OUTCOMES = (*OUTCOMES, "diverted", "not_recorded")
CHARGE = OUTCOMES.index("charge")
# A find recorded only because of the scheme, and not diverted: it had no police action
# before, so it gets the outcome officers use for minor recorded offences (assumption).
UPLIFT_OUTCOME = OUTCOMES.index("community_resolution")
NO_LATER_OUTCOME = -1
FORMAL_CODES = tuple(OUTCOMES.index(o) for o in FORMAL_OUTCOMES)
# The outcomes that follow an arrest and a night in custody, where a custody route decides.
CUSTODY_CODES = (CHARGE, OUTCOMES.index("caution"))
BY_ADOPTION = -1.0  # a person's offer chance follows their area's adoption curve
# The cannabis escalation ladder: warning, then penalty notice, then charge; a caution
# stands where a charge does. Other outcomes (community resolution, no further action)
# are the officer's discretion and neither escalate nor count as a step.
LADDER = (OUTCOMES.index("cannabis_warning"), OUTCOMES.index("penalty_notice"), CHARGE)
STEP_OF = {LADDER[0]: 0, LADDER[1]: 1, CHARGE: 2, OUTCOMES.index("caution"): 2}

SCENE_COLUMNS = (
    "scene.informal",
    "scene.recorded",
    "scene.offer",
    "scene.accept",
    "scene.mix",
    "scene.other_offence",
)
# Where each field sits in a scene decision (see SchemeRules.decide).
DECISION_FIELDS = (
    "live",
    "recorded",
    "informal",
    "barred",
    "breach",
    "offered",
    "outcome",
    "counterfactual",
)
DECISION_OUTCOME = DECISION_FIELDS.index("outcome")


def outcome_cumulative(scenario: Scenario) -> list[list[list[float]]]:
    """Cumulative outcome shares per (mix row, ethnic group), for drawing by bisection.

    The formal outcomes' shares are scaled by the group's odds ratio and the mix
    renormalised: the disproportionality in formal outcomes found in published data.
    """
    mix = scenario.counterfactual_matrix()
    formal = np.zeros(len(OUTCOMES), bool)
    formal[list(FORMAL_CODES)] = True
    table = []
    for row in mix:
        per_group = []
        for ratio in scenario.police.formal_outcome_odds_ratio.values():
            weights = np.where(formal, row * ratio, row)
            cumulative = np.cumsum(weights / weights.sum())
            cumulative[-1] = 1.0
            per_group.append(cumulative.tolist())
        table.append(per_group)
    return table


def with_odds_ratio(share: float, ratio: float) -> float:
    """The probability whose odds are ``ratio`` times those of ``share``."""
    if share >= 1.0:
        return 1.0 if ratio > 0 else 0.0
    odds = share / (1.0 - share) * ratio
    return odds / (1.0 + odds)


def adoption_tables(scenario: Scenario) -> list[list[float]]:
    """Each area's offer share by whole day since its go-live, over the run."""
    days = np.arange(int(scenario.horizon_hours / HOURS_PER_DAY) + 2)
    return [
        (area.adoption or scenario.policy.adoption).share(days + 0.5).tolist()
        for area in scenario.areas
    ]


def decided_in_custody(scenario: Scenario, user_dealer: np.ndarray) -> np.ndarray:
    """Whether a diversion of each find was decided in custody, after an arrest: every
    user-dealer's (a post-arrest route) and every find of a custody-route scheme."""
    return user_dealer | (scenario.policy.decided_in == "custody")


class SchemeRules:
    """The scheme's rules for one replication's people; all times in model hours.

    What depends only on who the person is (the area's go-live, age and user-dealer
    exclusions, the outcome mix) is worked out for everyone at once when the rules are
    built; what depends on the person's history (a bar, once only, a contract) is
    decided find by find. Per-person values are plain lists, and the methods the police
    process calls per find are written inline: they are the model's hot path.

    ``scene_draws`` maps each of :data:`SCENE_COLUMNS` to its per-find uniforms, indexed
    by find number; the lists may grow as repeat finds are numbered.
    """

    def __init__(
        self,
        scenario: Scenario,
        people: People,
        user_dealer: np.ndarray,
        known_before: np.ndarray,
        scene_draws: Mapping[str, Sequence[float]],
        first_scene_draws: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        policy = scenario.policy
        under_18 = people.under_18
        self._known_before = known_before.tolist()
        self._end_hours = (
            scenario.launch_hours + policy.end_after_days * HOURS_PER_DAY
            if policy.end_after_days is not None
            else math.inf
        )
        self._after_once_only = CHARGE if policy.after_once_only == "charge" else -1
        self._contract_hours = policy.contract_days * HOURS_PER_DAY
        self._bar_hours = policy.bar_after_disengagement_days * HOURS_PER_DAY
        self._once_only = policy.once_only
        self._charge_not_engaging = policy.non_engagement_outcome == "charge"
        self._informal_share = scenario.demand.informal_share_without_policy
        self._recorded_share = policy.informal_finds_recorded_share
        self._user_dealer = user_dealer.tolist()
        live_from = self._live_from_hours(scenario, people.area, under_18)
        self._live_from = live_from.tolist()
        offer_chance = self._offer_chances(scenario, people, user_dealer)
        self._offer_chance = offer_chance.tolist()
        accept_chance = np.where(
            people.possible_dependence,
            with_odds_ratio(policy.accept_share, policy.dependent_accept_odds_ratio),
            policy.accept_share,
        )
        self._accept_chance = accept_chance.tolist()
        self._adoption_of = people.area.tolist()
        self._adoption = adoption_tables(scenario)
        self._outcome_odds = self._outcome_odds_of(scenario)
        self._prior_odds = 0.0 if policy.first_time_only else policy.prior_find_odds_ratio
        self._other_offence_share = scenario.demand.other_offence_share
        self._other_offence_odds = policy.other_offence_offer_odds_ratio
        self._outcome_tables, outcome_table = self._outcome_tables_of(
            scenario, under_18, people.substance, people.ethnic_group
        )
        self._outcome_table = outcome_table.tolist()
        self._first_scene_draws = first_scene_draws or {
            name: np.asarray(scene_draws[name][: people.size]) for name in SCENE_COLUMNS
        }
        self._informal_u = scene_draws["scene.informal"]
        self._recorded_u = scene_draws["scene.recorded"]
        self._offer_u = scene_draws["scene.offer"]
        self._accept_u = scene_draws["scene.accept"]
        self._mix_u = scene_draws["scene.mix"]
        self._other_offence_u = scene_draws["scene.other_offence"]
        # The scheme's record of each person.
        n = people.size
        substances = scenario.substances
        cannabis = substances.index("cannabis") if "cannabis" in substances else -1
        escalates = ~under_18 & (people.substance == cannabis)
        escalates &= scenario.police.cannabis_escalation
        self._escalates = escalates.tolist()
        self._step = np.where(known_before, 0, -1).tolist()  # the last step on the ladder
        # The same per-person values as arrays, for deciding every first find at once.
        self._people = {
            "known_before": np.asarray(known_before, bool),
            "user_dealer": np.asarray(user_dealer, bool),
            "live_from": live_from,
            "offer_chance": offer_chance,
            "accept_chance": accept_chance,
            "area": people.area,
            "outcome_table": outcome_table,
            "escalates": escalates,
        }
        self._barred_until = [-math.inf] * n
        self._diversions = [0] * n
        self._contract_until = [-math.inf] * n
        self._contract_find = [-1] * n

    @staticmethod
    def _live_from_hours(scenario: Scenario, area: np.ndarray, under_18: np.ndarray) -> np.ndarray:
        """When diversion is first offered to each person: their area's go-live, or for
        under-18s the youth scheme's date in their area where there is one; never
        without a scheme."""
        policy = scenario.policy
        launch = scenario.go_live_hours
        area_go_live = np.array(
            [
                launch + area.go_live_after_days * HOURS_PER_DAY if policy.diversion else np.inf
                for area in scenario.areas
            ]
        )
        area_live = area_go_live[area]
        youth = policy.youth
        if youth is None or not policy.diversion:
            return area_live
        pilots = set(youth.pilot_areas) or {a.name for a in scenario.areas}
        force_wide = (
            launch + youth.force_wide_after_days * HOURS_PER_DAY
            if youth.force_wide_after_days is not None
            else np.inf
        )
        youth_go_live = np.array(
            [
                min(launch + youth.go_live_after_days * HOURS_PER_DAY, force_wide)
                if a.name in pilots
                else force_wide
                for a in scenario.areas
            ]
        )
        return np.where(under_18, youth_go_live[area], area_live)

    @staticmethod
    def _offer_chances(scenario: Scenario, people: People, user_dealer: np.ndarray) -> np.ndarray:
        """Each person's offer chance before the find's own odds ratios: a fixed share for
        user-dealers and the youth scheme's under-18s, :data:`BY_ADOPTION` for those whose
        chance follows their area's adoption curve, 0 for those the scheme's gateways
        exclude (under-18s of adults-only schemes, user-dealers without a post-arrest
        route, substances not eligible)."""
        policy = scenario.policy
        under_18 = people.under_18
        youth = policy.youth
        chance = np.where(user_dealer, policy.user_dealer_offer_share, BY_ADOPTION)
        if youth is not None:
            chance = np.where(under_18 & ~user_dealer, youth.offer_share, chance)
        names = scenario.substances
        eligible = np.isin(
            people.substance, [names.index(s) for s in policy.eligible_substances or names]
        )
        excluded = (
            (under_18 & policy.adults_only & (youth is None))
            | (user_dealer & (not policy.user_dealer_route))
            | (~user_dealer & ~eligible)
        )
        return np.where(excluded, 0.0, chance)

    @staticmethod
    def _outcome_odds_of(scenario: Scenario) -> list[float]:
        """The offer's odds ratio for each counterfactual outcome code; a custody-route
        scheme decides only on finds that lead to arrest and custody (charge, caution)."""
        policy = scenario.policy
        by_outcome = policy.offer_odds_ratio.values()  # OUTCOMES, then not recorded
        odds = np.array([*by_outcome[:-1], 1.0, by_outcome[-1]])  # FIND_OUTCOMES order
        if policy.decided_in == "custody":
            odds = np.where(np.isin(np.arange(odds.size), CUSTODY_CODES), odds, 0.0)
        return odds.tolist()

    @staticmethod
    def _outcome_tables_of(
        scenario: Scenario, under_18: np.ndarray, substance: np.ndarray, ethnic_group: np.ndarray
    ) -> tuple[list[list[float]], np.ndarray]:
        """The cumulative outcome shares without diversion, to draw from by bisection:
        every table, and which one applies to each person (the under-18 row or their
        substance's, by ethnic group)."""
        cumulative = outcome_cumulative(scenario)
        tables = [per_group for row in cumulative for per_group in row]
        under_18_row = len(scenario.substances)  # the matrix's last row
        mix_row = np.where(under_18, under_18_row, substance).astype(np.int64)
        return tables, mix_row * len(cumulative[0]) + ethnic_group

    def decide(self, person: int, find: int, now: float) -> tuple:
        """The outcome at the scene of a find at ``now``, from the person's history so far:
        (live, recorded, informal, barred, breach, offered, outcome, counterfactual), as in
        :data:`DECISION_FIELDS`. The decision changes no history: the police process acts
        on it (:meth:`breached`, :meth:`diverted`) when the find happens."""
        user_dealer = self._user_dealer[person]
        informal = not user_dealer and self._informal_u[find] < self._informal_share
        if user_dealer:
            recorded_outcome = CHARGE  # without the scheme a user-dealer is arrested and charged
        else:
            table = self._outcome_tables[self._outcome_table[person]]
            recorded_outcome = bisect_right(table, self._mix_u[find])
            if self._escalates[person]:
                last = self._step[person]
                if 0 <= STEP_OF.get(recorded_outcome, 3) <= last:
                    recorded_outcome = LADDER[min(last + 1, 2)]
        counterfactual = NOT_RECORDED if informal else recorded_outcome
        live = self._live_from[person] <= now < self._end_hours
        barred_until = self._barred_until[person]
        barred = now < barred_until
        breach = offered = False
        if not live:
            recorded, outcome = not informal, counterfactual
        else:
            recorded = not informal or self._recorded_u[find] < self._recorded_share
            if not recorded:
                outcome = NOT_RECORDED
            elif now < self._contract_until[person]:
                breach, outcome = True, CHARGE
            elif self._once_only and self._diversions[person] > 0 and self._after_once_only >= 0:
                outcome = self._after_once_only  # a second find is dealt with formally
            elif barred or (self._once_only and self._diversions[person] > 0):
                outcome = UPLIFT_OUTCOME if informal else recorded_outcome
            else:
                offered = self._offer_u[find] < self._offer_chance_at(
                    person, find, now, counterfactual
                )
                if offered and self._accept_u[find] < self._accept_chance[person]:
                    outcome = DIVERTED
                elif informal:
                    outcome = UPLIFT_OUTCOME  # no police action before: a community resolution
                else:
                    outcome = recorded_outcome
        return live, recorded, informal, barred, breach, offered, outcome, counterfactual

    def _offer_chance_at(self, person: int, find: int, now: float, counterfactual: int) -> float:
        """The chance of an offer for this find: the person's share (their area's adoption
        at ``now``, by whole days since go-live) times the odds ratios of the find's
        counterfactual outcome, of a previous find and of another offence found with the
        possession (its own column of draws, so the share moves no other draw).

        :func:`with_odds_ratio` is written out here: this runs for most finds.
        """
        chance = self._offer_chance[person]
        if chance == BY_ADOPTION:
            table = self._adoption[self._adoption_of[person]]
            day = int((now - self._live_from[person]) / HOURS_PER_DAY)
            chance = table[day] if day < len(table) else table[-1]
        ratio = self._outcome_odds[counterfactual]
        if find != person or self._known_before[person]:
            ratio *= self._prior_odds
        if (
            self._other_offence_u[find] < self._other_offence_share
            and not self._user_dealer[person]
        ):
            ratio *= self._other_offence_odds
        if ratio == 1.0:
            return chance
        if chance >= 1.0:
            return 1.0 if ratio > 0 else 0.0
        odds = chance / (1.0 - chance) * ratio
        return odds / (1.0 + odds)

    def decide_first_finds(self, hours: np.ndarray) -> tuple[np.ndarray, ...]:
        """:meth:`decide` for every person's first find in the run at once (find number =
        person, at ``hours[person]``), as columns in :data:`DECISION_FIELDS` order.

        A first find meets an empty history (no bar, contract or diversion; the ladder's
        step is the record from before the run), so each decision depends only on the
        person, the time and the find's draws, which are the first rows of every column:
        the same numbers, compared in the same order, as :meth:`decide` one by one
        (``tests/test_rules.py`` checks every first find of the built-in schemes).
        """
        p, n = self._people, hours.size
        u = {name: column[:n] for name, column in self._first_scene_draws.items()}
        user_dealer, known_before = p["user_dealer"], p["known_before"]
        informal = ~user_dealer & (u["scene.informal"] < self._informal_share)
        recorded_outcome = np.full(n, CHARGE, np.int64)
        tables = p["outcome_table"]
        for t, table in enumerate(self._outcome_tables):
            rows = np.flatnonzero((tables == t) & ~user_dealer)
            recorded_outcome[rows] = np.searchsorted(table, u["scene.mix"][rows], side="right")
        # The ladder: a person known before the run (step 0) goes from a warning to a
        # penalty notice (last = 0: only a warning is at or below the step).
        climbs = p["escalates"] & ~user_dealer & known_before & (recorded_outcome == LADDER[0])
        recorded_outcome[climbs] = LADDER[1]
        counterfactual = np.where(informal, NOT_RECORDED, recorded_outcome)
        live = (p["live_from"] <= hours) & (hours < self._end_hours)
        recorded = np.where(
            live, ~informal | (u["scene.recorded"] < self._recorded_share), ~informal
        )
        considered = live & recorded
        chance = p["offer_chance"].copy()
        by_adoption = considered & (chance == BY_ADOPTION)
        for area, table in enumerate(self._adoption):
            rows = np.flatnonzero(by_adoption & (p["area"] == area))
            day = ((hours[rows] - p["live_from"][rows]) / HOURS_PER_DAY).astype(np.int64)
            chance[rows] = np.asarray(table)[np.minimum(day, len(table) - 1)]
        ratio = np.asarray(self._outcome_odds)[counterfactual]
        ratio = np.where(known_before, ratio * self._prior_odds, ratio)
        other = (u["scene.other_offence"] < self._other_offence_share) & ~user_dealer
        ratio = np.where(other, ratio * self._other_offence_odds, ratio)
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = chance / (1.0 - chance) * ratio
            scaled = np.where(chance >= 1.0, np.where(ratio > 0, 1.0, 0.0), odds / (1.0 + odds))
        chance = np.where(ratio == 1.0, chance, scaled)
        offered = considered & (u["scene.offer"] < chance)
        diverted = offered & (u["scene.accept"] < p["accept_chance"])
        outcome = np.where(
            ~live,
            counterfactual,
            np.where(
                ~recorded,
                NOT_RECORDED,
                np.where(diverted, DIVERTED, np.where(informal, UPLIFT_OUTCOME, recorded_outcome)),
            ),
        )
        no = np.zeros(n, bool)
        return live, recorded, informal, no, no, offered, outcome, counterfactual

    def recorded_all(self, persons: np.ndarray, outcomes: np.ndarray) -> None:
        """:meth:`recorded` for many people, each at most once."""
        steps = np.asarray([STEP_OF.get(o, -1) for o in range(len(FIND_OUTCOMES))])[outcomes]
        step = np.asarray(self._step)
        step[persons] = np.maximum(step[persons], steps)
        self._step = step.tolist()

    def recorded(self, person: int, outcome: int) -> None:
        """The find's outcome is on the person's record: the escalation ladder's step."""
        step = STEP_OF.get(outcome)
        if step is not None and step > self._step[person]:
            self._step[person] = step

    def breached(self, person: int) -> tuple[int, int]:
        """A find breached the person's contract: the contract ends. Returns the find that
        started it and the later outcome it now gets (prosecution)."""
        self._contract_until[person] = -math.inf
        return self._contract_find[person], CHARGE

    def diverted(self, person: int, find: int, now: float) -> None:
        """The person accepted diversion for ``find`` at ``now``: count it (once-only
        schemes) and start a deferred-prosecution contract where the scheme has one."""
        self._diversions[person] += 1
        if self._contract_hours > 0:
            self._contract_until[person] = now + self._contract_hours
            self._contract_find[person] = find

    def referral_ended(self, person: int, find: int, state: int, now: float) -> int:
        """The referral that ``find`` started ended in ``state`` (a provider state) at
        ``now``. Not engaging (not contacted, or disengaged at any stage) may bar the
        person from an offer until ``now`` + the bar (the later of this and any bar in
        force) and may be prosecuted, which ends the find's contract. Returns the find's
        later outcome, or :data:`NO_LATER_OUTCOME`."""
        if state not in DISENGAGED:
            return NO_LATER_OUTCOME
        if self._bar_hours > 0:
            self._barred_until[person] = max(self._barred_until[person], now + self._bar_hours)
        if not self._charge_not_engaging:
            return NO_LATER_OUTCOME
        if self._contract_find[person] == find:
            self._contract_until[person] = -math.inf
        return CHARGE


def officer_hours(scenario: Scenario) -> np.ndarray:
    """Officer hours per find outcome code (FIND_OUTCOMES order)."""
    police = scenario.police
    return np.append(
        police.outcome_hours.values(), [police.referral_hours, police.informal_word_hours]
    )
