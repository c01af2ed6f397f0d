"""One replication of one scenario, from a seed to its KPIs (and, if asked, its event log)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simdivert.demand import draw_demand
from simdivert.pathway import (
    ROUTES,
    STATES,
    ProviderModel,
    assign_route,
    assign_stream,
    draw_person_draws,
)
from simdivert.policy import NOT_RECORDED, decide_at_scene
from simdivert.queues import weekly_series
from simdivert.results import (
    Window,
    capacity_kpis,
    demand_kpis,
    pathway_kpis,
    police_kpis,
    queue_kpis,
)
from simdivert.scenario import (
    AGE_BANDS,
    ETHNIC_GROUPS,
    OUTCOMES,
    SEXES,
    STREAMS,
    SUBSTANCES,
    Scenario,
)
from simdivert.streams import RandomStreams


@dataclass(frozen=True)
class ReplicationResult:
    """The KPIs of one replication and, when requested, its per-referral event log."""

    replication: int
    kpis: dict[str, float]
    timeseries: pd.DataFrame
    events: pd.DataFrame | None = None


def run_replication(
    scenario: Scenario, seed: int, replication: int, keep_events: bool = False
) -> ReplicationResult:
    """Simulate one replication: demand and scene decisions in bulk, the provider in SimPy."""
    streams = RandomStreams(seed, replication)
    demand = draw_demand(scenario, streams)
    scene = decide_at_scene(scenario, demand, streams)
    people = demand.people
    draws = draw_person_draws(scenario, streams, people.substance.size)

    referred = np.flatnonzero(scene.referred)
    referral_hours = demand.eligible_hours[referred]
    stream = assign_stream(people.substance[referred], people.under_18[referred])
    route = assign_route(
        people.possible_dependence[referred], people.significant_safeguarding[referred]
    )
    provider = ProviderModel(scenario, referral_hours, stream, route, draws.subset(referred))
    log = provider.run()

    window = Window(scenario.warmup_hours, scenario.horizon_hours)
    kpis = {
        **demand_kpis(demand, scene, window),
        **pathway_kpis(log, people.substance[referred], window, scenario.horizon_hours),
        **queue_kpis(log, window),
        **capacity_kpis(scenario, log, provider.sessions, window),
        **police_kpis(
            scenario,
            referral_hours,
            scene.counterfactual_outcome[referred],
            log.assessed,
            people.holistic_needs[referred].sum(axis=1),
            people.safeguarding_need[referred],
            window,
        ),
    }
    events = None
    if keep_events:
        events = event_table(log, people, scene, referred, replication)
    timeseries = weekly_series(log, scenario.horizon_hours, replication)
    return ReplicationResult(
        replication, {k: float(v) for k, v in kpis.items()}, timeseries, events
    )


def _labels(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(int), categories=list(names))


def event_table(log, people, scene, referred: np.ndarray, replication: int) -> pd.DataFrame:
    """The per-referral event log as a tidy table (times in model hours)."""
    counterfactual = scene.counterfactual_outcome[referred].astype(int)
    return pd.DataFrame(
        {
            "replication": np.full(referred.size, replication, np.int32),
            "person": np.arange(referred.size, dtype=np.int32),
            "referral_hours": log.referral_hours,
            "age_band": _labels(people.age_band[referred], AGE_BANDS),
            "sex": _labels(people.sex[referred], SEXES),
            "ethnic_group": _labels(people.ethnic_group[referred], ETHNIC_GROUPS),
            "substance": _labels(people.substance[referred], SUBSTANCES),
            "stream": _labels(log.stream, STREAMS),
            "route": _labels(log.route, ROUTES),
            "uplift_case": scene.uplift_case[referred],
            "counterfactual_outcome": _labels(
                np.where(counterfactual == NOT_RECORDED, len(OUTCOMES), counterfactual),
                (*OUTCOMES, "not_recorded"),
            ),
            "contact_attempts": log.contact_attempts,
            "first_contact_hours": log.first_contact_hours,
            "assessment_hours": log.assessment_hours,
            "assessment_end_hours": log.assessment_end_hours,
            "assessed": log.assessed,
            "intervention_booked_hours": log.intervention_booked_hours,
            "intervention_end_hours": log.intervention_end_hours,
            "no_shows": log.no_shows,
            "state": _labels(log.state, STATES),
            "end_hours": log.end_hours,
        }
    )
