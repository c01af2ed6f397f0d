"""One replication of one scenario, from a seed to its KPIs (and, if asked, its event logs)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from simdivert.clock import HOURS_PER_DAY
from simdivert.model.demand import FIND_KINDS, Demand, draw_demand
from simdivert.model.draws import FindDraws, uniform
from simdivert.model.police import FindsLog, PoliceModel
from simdivert.model.provider import (
    ROUTES,
    STATES,
    STEP_HOURS_COLUMNS,
    PathwayLog,
    SessionBook,
    pathway_samplers,
)
from simdivert.model.queues import weekly_series
from simdivert.model.random_streams import RandomStreams
from simdivert.model.results import replication_kpis
from simdivert.model.rules import FIND_OUTCOMES, NO_LATER_OUTCOME, SCENE_COLUMNS
from simdivert.model.utilisation import weekly_utilisation
from simdivert.scenario.schema import (
    AGE_BANDS,
    ETHNIC_GROUPS,
    OUTCOMES,
    SEXES,
    Scenario,
)


@dataclass(frozen=True)
class ReplicationResult:
    """The KPIs of one replication, its weekly queues and, when asked, its event log."""

    replication: int
    kpis: dict[str, float]
    timeseries: pd.DataFrame
    utilisation: pd.DataFrame
    events: pd.DataFrame | None = None


@dataclass(frozen=True)
class SimulationLogs:
    """Everything one replication recorded, for KPIs, tests and the event log."""

    demand: Demand
    finds: FindsLog
    pathway: PathwayLog
    sessions: SessionBook
    duty: tuple[np.ndarray, np.ndarray]  # drug workers on calls: change times, counts
    streams: RandomStreams  # for what is drawn after the run (offending, courts)


@contextmanager
def _cyclic_gc_deferred() -> Iterator[None]:
    """Run the block with Python's cyclic garbage collector paused, then collect once.

    A replication keeps hundreds of thousands of objects alive (log rows, per-find draws,
    pending events) that the collector would scan again and again as the run allocates.
    What the run leaves in reference cycles (the environment, its pending events and the
    processes still in progress at the horizon: about 20,000 objects) is freed by one
    collection of the youngest generation at the end, where everything the run allocated
    still is.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect(0)
        if enabled:
            gc.enable()


def simulate(scenario: Scenario, seed: int, replication: int) -> SimulationLogs:
    """Run one replication: demand in bulk, then police and provider together in SimPy."""
    with _cyclic_gc_deferred():
        logs = _simulate(scenario, seed, replication)
    return logs


def _simulate(scenario: Scenario, seed: int, replication: int) -> SimulationLogs:
    streams = RandomStreams(seed, replication)
    demand = draw_demand(scenario, streams)
    samplers = {**dict.fromkeys(SCENE_COLUMNS, uniform), **pathway_samplers(scenario)}
    waiting = len(scenario.backlog.waiting())
    draws = FindDraws(streams, samplers, first_rows=demand.people.size + waiting)
    env = simpy.Environment()
    police = PoliceModel(env, scenario, demand, draws, streams)
    env.run(until=scenario.horizon_hours)
    provider = police.provider
    return SimulationLogs(
        demand, police.finish(), provider.finish(), provider.sessions, provider.duty, streams
    )


def run_replication(
    scenario: Scenario, seed: int, replication: int, keep_events: bool = False
) -> ReplicationResult:
    """Simulate one replication and summarise it."""
    logs = simulate(scenario, seed, replication)
    kpis = replication_kpis(
        scenario, logs.demand, logs.finds, logs.pathway, logs.sessions, logs.duty, logs.streams
    )
    timeseries = weekly_series(logs.pathway, scenario.horizon_hours, replication)
    utilisation = weekly_utilisation(scenario, logs.pathway, logs.sessions, logs.duty, replication)
    events = event_table(scenario, logs, replication) if keep_events else None
    return ReplicationResult(
        replication, {k: float(v) for k, v in kpis.items()}, timeseries, utilisation, events
    )


def _labels(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=int), categories=list(names))


def event_table(scenario: Scenario, logs: SimulationLogs, replication: int) -> pd.DataFrame:
    """The per-find event log, with each referral's pathway (times in model hours)."""
    finds, pathway, people = logs.finds, logs.pathway, logs.demand.people
    person = finds.person
    referral = finds.referral
    referred = referral >= 0

    later = finds.later_outcome
    start = pd.Timestamp(scenario.run.start_date)
    table = {
        "replication": np.full(person.size, replication, np.int32),
        "find": finds.find,
        "person": person,
        "repeat_find": finds.repeat,
        "find_hours": finds.hours,
        "find_date": start + pd.to_timedelta(finds.hours / HOURS_PER_DAY, unit="D"),
        "kind": _labels(logs.demand.person_kind[person], FIND_KINDS),
        "age_band": _labels(people.age_band[person], AGE_BANDS),
        "sex": _labels(people.sex[person], SEXES),
        "ethnic_group": _labels(people.ethnic_group[person], ETHNIC_GROUPS),
        "substance": _labels(people.substance[person], scenario.substances),
        "area": _labels(people.area[person], tuple(a.name for a in scenario.areas)),
        "scheme_live": finds.live,
        "recorded": finds.recorded,
        "recorded_without_policy": finds.recorded_without_policy,
        "barred": finds.barred,
        "breach": finds.breach,
        "offered": finds.offered,
        "outcome": _labels(finds.outcome, FIND_OUTCOMES),
        "counterfactual_outcome": _labels(finds.counterfactual, FIND_OUTCOMES),
        "later_outcome": _labels(
            np.where(later == NO_LATER_OUTCOME, len(OUTCOMES), later), (*OUTCOMES, "none")
        ),
        "later_outcome_hours": finds.later_outcome_hours,
    }
    for name in STEP_HOURS_COLUMNS:
        column = np.full(person.size, np.nan)
        column[referred] = getattr(pathway, name)[referral[referred]]
        table[name] = column
    for name, labels in (("stream", scenario.streams), ("route", ROUTES), ("state", STATES)):
        codes = np.full(person.size, -1)
        codes[referred] = getattr(pathway, name)[referral[referred]]
        table[name] = pd.Categorical.from_codes(codes, categories=list(labels))
    for name in ("contact_attempts", "no_shows"):
        column = np.zeros(person.size, np.int16)
        column[referred] = getattr(pathway, name)[referral[referred]]
        table[name] = column
    assessed = np.zeros(person.size, bool)
    assessed[referred] = pathway.assessed[referral[referred]]
    table["assessed"] = assessed
    return pd.DataFrame(table)
