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

import bisect

import numpy as np

from simdivert.clock import HOURS_PER_DAY
from simdivert.scenario import FORMAL_OUTCOMES, MIX_ROWS, OUTCOMES, Scenario

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
    """The scheme's rules for one scenario; all times in model hours."""

    def __init__(self, scenario: Scenario) -> None:
        policy = scenario.policy
        self.policy = policy
        launch = scenario.launch_hours
        self.area_go_live = [
            launch + area.go_live_after_days * HOURS_PER_DAY if policy.diversion else np.inf
            for area in scenario.areas
        ]
        self.youth_go_live = launch if policy.diversion and policy.youth_force_wide else None
        self.bar_hours = policy.bar_after_disengagement_days * HOURS_PER_DAY
        self.contract_hours = policy.contract_days * HOURS_PER_DAY
        self._cumulative = outcome_cumulative(scenario)

    def is_live(self, area: int, under_18: bool, hours: float) -> bool:
        """Whether diversion is offered in this area, for this age, at this time."""
        if under_18 and self.youth_go_live is not None and hours >= self.youth_go_live:
            return True
        return hours >= self.area_go_live[area]

    def mix_outcome(self, u: float, mix_row: int, ethnic_group: int) -> int:
        """The recorded outcome without diversion for a uniform draw u."""
        return bisect.bisect_right(self._cumulative[mix_row][ethnic_group], u)

    def may_be_offered(
        self, under_18: bool, user_dealer: bool, barred_until: float, diversions: int, hours: float
    ) -> bool:
        """Eligibility for an offer under the scheme's rules (the find is recorded)."""
        policy = self.policy
        if under_18 and policy.adults_only:
            return False
        if user_dealer and not policy.user_dealer_route:
            return False
        if hours < barred_until:
            return False
        return not (policy.once_only and diversions > 0)

    def offer_share(self, user_dealer: bool) -> float:
        return self.policy.user_dealer_offer_share if user_dealer else self.policy.offer_share


def officer_hours(scenario: Scenario) -> np.ndarray:
    """Officer hours per find outcome code (FIND_OUTCOMES order)."""
    police = scenario.police
    return np.append(
        police.outcome_hours.values(), [police.referral_hours, police.informal_word_hours]
    )
