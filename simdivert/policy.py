"""Scheme rules at the scene: which eligible finds are recorded and referred.

Without a diversion policy a share of eligible finds gets an informal word and is
never recorded. Under the policy those finds are recorded too (the recording uplift)
and can be referred. Every eligible find also carries the outcome it would have had
without diversion (its counterfactual), drawn once from its own stream, so that the
same find has the same counterfactual in every scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simdivert.demand import Demand
from simdivert.scenario import OUTCOMES, Scenario
from simdivert.streams import RandomStreams

NOT_RECORDED = -1  # counterfactual code of a find that would have had an informal word


@dataclass(frozen=True)
class SceneDecisions:
    """Per eligible find: what happened at the scene."""

    recorded_without_policy: np.ndarray
    recorded: np.ndarray
    referred: np.ndarray
    counterfactual_outcome: np.ndarray  # index into OUTCOMES, or NOT_RECORDED

    @property
    def uplift_case(self) -> np.ndarray:
        """Recorded only because of the policy: no police action without it."""
        return self.recorded & ~self.recorded_without_policy


def draw_counterfactual(scenario: Scenario, demand: Demand, streams: RandomStreams) -> np.ndarray:
    """The outcome each recorded find would get without diversion, by substance."""
    mix = scenario.police.counterfactual_mix.matrix()
    cumulative = np.cumsum(mix, axis=1)
    cumulative[:, -1] = 1.0
    substance = demand.people.substance
    u = streams.generator("policy.counterfactual").random(substance.size)
    return (u[:, None] >= cumulative[substance]).sum(axis=1).astype(np.int8)


def decide_at_scene(scenario: Scenario, demand: Demand, streams: RandomStreams) -> SceneDecisions:
    """Apply the scheme's rules to every eligible find."""
    n = demand.people.substance.size
    policy = scenario.policy
    informal = (
        streams.generator("policy.informal").random(n)
        < scenario.demand.informal_share_without_policy
    )
    recorded_without_policy = ~informal
    counterfactual = np.where(
        informal, NOT_RECORDED, draw_counterfactual(scenario, demand, streams)
    ).astype(np.int8)
    if not policy.diversion:
        return SceneDecisions(
            recorded_without_policy, recorded_without_policy, np.zeros(n, bool), counterfactual
        )
    scene = streams.generator("policy.scene").random((n, 3))
    recorded = recorded_without_policy | (scene[:, 0] < policy.informal_finds_recorded_share)
    referred = recorded & (scene[:, 1] < policy.offer_share) & (scene[:, 2] < policy.accept_share)
    return SceneDecisions(recorded_without_policy, recorded, referred, counterfactual)


def outcome_hours(scenario: Scenario, outcome: np.ndarray) -> np.ndarray:
    """Officer hours of each counterfactual outcome (an informal word for NOT_RECORDED)."""
    hours = np.append(scenario.police.outcome_hours.values(), scenario.police.informal_word_hours)
    return hours[np.where(outcome == NOT_RECORDED, len(OUTCOMES), outcome)]
