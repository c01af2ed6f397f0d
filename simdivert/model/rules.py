"""Scheme rules at the scene, as data plus small functions.

For every find the officer's outcome is decided from the find, the person and the
person's history: whether the scheme is live in the person's area, whether the find
would have been recorded without the policy (the recording uplift), whether the
person may be offered diversion (age, a bar after not engaging, once only, a
deferred-prosecution contract in force) and whether it is offered and accepted.
Every find also carries its counterfactual: the outcome it would have had without
diversion, drawn from its own numbers, so the same find has the same counterfactual
in every scenario.
"""

from __future__ import annotations

import numpy as np

from simdivert.clock import HOURS_PER_DAY
from simdivert.scenario.schema import FORMAL_OUTCOMES, MIX_ROWS, OUTCOMES, Scenario

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
UNDER_18_ROW = MIX_ROWS.index("under_18")

SCENE_COLUMNS = ("scene.informal", "scene.recorded", "scene.offer", "scene.accept", "scene.mix")


def outcome_cumulative(scenario: Scenario) -> list[list[list[float]]]:
    """Cumulative outcome shares per (mix row, ethnic group), for drawing by bisection.

    The formal outcomes' shares are scaled by the group's odds ratio and the mix
    renormalised: the disproportionality in formal outcomes found in published data.
    """
    mix = scenario.police.counterfactual_mix.matrix()
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


class SceneRules:
    """The scheme's rules for one scenario; all times in model hours.

    What depends only on who the person is (the area's go-live, age and user-dealer
    exclusions, the outcome mix) is worked out for everyone at once; what depends on the
    person's history (a bar, once only, a contract) is decided find by find.
    """

    def __init__(self, scenario: Scenario) -> None:
        policy = scenario.policy
        self.policy = policy
        launch = scenario.launch_hours
        self.area_go_live = np.array(
            [
                launch + area.go_live_after_days * HOURS_PER_DAY if policy.diversion else np.inf
                for area in scenario.areas
            ]
        )
        self.youth_go_live = launch if policy.diversion and policy.youth_force_wide else np.inf
        self.bar_hours = policy.bar_after_disengagement_days * HOURS_PER_DAY
        self.contract_hours = policy.contract_days * HOURS_PER_DAY
        self._cumulative = outcome_cumulative(scenario)

    def live_from(self, area: np.ndarray, under_18: np.ndarray) -> np.ndarray:
        """When diversion is first offered to each person: their area's go-live, or the
        force-wide youth launch for under-18s if earlier."""
        area_live = self.area_go_live[area]
        return np.where(under_18, np.minimum(area_live, self.youth_go_live), area_live)

    def offer_chance(self, under_18: np.ndarray, user_dealer: np.ndarray) -> np.ndarray:
        """Each person's chance of an offer when recorded and not barred: 0 for those the
        scheme excludes (under-18s of adults-only schemes, user-dealers without a route)."""
        policy = self.policy
        chance = np.where(user_dealer, policy.user_dealer_offer_share, policy.offer_share)
        excluded = (under_18 & policy.adults_only) | (user_dealer & (not policy.user_dealer_route))
        return np.where(excluded, 0.0, chance)

    def outcome_tables(
        self, under_18: np.ndarray, substance: np.ndarray, ethnic_group: np.ndarray
    ) -> tuple[list[list[float]], np.ndarray]:
        """The cumulative outcome shares without diversion, to draw from by bisection:
        every table, and which one applies to each person (the under-18 row or their
        substance's, by ethnic group)."""
        tables = [per_group for row in self._cumulative for per_group in row]
        mix_row = np.where(under_18, UNDER_18_ROW, substance).astype(np.int64)
        return tables, mix_row * len(self._cumulative[0]) + ethnic_group

    def may_be_offered_again(self, barred_until: float, diversions: int, hours: float) -> bool:
        """The history rules: not during a bar after not engaging, and once only if so."""
        return hours >= barred_until and not (self.policy.once_only and diversions > 0)


def officer_hours(scenario: Scenario) -> np.ndarray:
    """Officer hours per find outcome code (FIND_OUTCOMES order)."""
    police = scenario.police
    return np.append(
        police.outcome_hours.values(), [police.referral_hours, police.informal_word_hours]
    )
