"""The drug-worker pool starts clients exactly when SimPy's own resource would.

``pathway.DrugWorkers`` is a lean first-come-first-served pool whose number of workers
on calls the rota sets. The reference is the idiomatic SimPy model it replaced, which
the floor (``benchmarks/bare_simpy.py``) still uses: a ``PriorityResource`` with as many
places as the most workers ever on calls, the rota holding the off-duty ones by requests
that outrank clients (a worker mid-call at the end of a shift finishes the call first).
Clients, shift changes and calls ending at the same instant are the cases that matter,
so the times are drawn from a coarse grid.
"""

from __future__ import annotations

import sys
from pathlib import Path

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simdivert.model.provider import DrugWorkers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bare_simpy import DrugWorkers as FloorDrugWorkers  # noqa: E402
from bare_simpy import rota  # noqa: E402

CLIENTS = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]),  # arrival: many at the same time
        st.sampled_from([0.25, 0.5, 1.0, 3.0]),  # how long the call takes
    ),
    min_size=1,
    max_size=60,
)
ROTA = st.dictionaries(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 4.0]), st.integers(0, 4))


def _duty(first: int, changes: dict[float, int]) -> list[tuple[float, int]]:
    """Changes of the number on calls, the first at time 0; times increase strictly, as
    ``roster.duty_changes`` makes them."""
    return [(0.0, first), *sorted(changes.items())]


def _clients(env, request, release, clients, started) -> None:
    def client(index: int, arrival: float, hours: float):
        yield env.timeout(arrival)
        yield request()
        started.append((index, env.now))
        yield env.timeout(hours)
        release()

    for index, (arrival, hours) in enumerate(clients):
        env.process(client(index, arrival, hours))


def simpy_resource(resource_class, duty, clients) -> list[tuple[int, float]]:
    """The floor's drug workers: a SimPy priority resource and the rota's held requests."""
    env = simpy.Environment()
    workers = resource_class(env, capacity=max(max(count for _, count in duty), 1))
    requests: dict[int, simpy.resources.resource.PriorityRequest] = {}

    def request():
        process = env.active_process
        requests[id(process)] = workers.request(priority=1)
        return requests[id(process)]

    def release():
        workers.release(requests.pop(id(env.active_process)))

    started: list[tuple[int, float]] = []
    env.process(rota(env, workers, duty))
    _clients(env, request, release, clients, started)
    env.run()
    return started


def lean_pool(duty, clients) -> list[tuple[int, float]]:
    env = simpy.Environment()
    workers = DrugWorkers(env)

    def rota():
        for when, count in duty:
            if when > env.now:
                yield env.timeout(when - env.now)
            workers.set_on_calls(count)

    started: list[tuple[int, float]] = []
    env.process(rota())
    _clients(env, workers.request, workers.release, clients, started)
    env.run()
    return started


@settings(max_examples=300, deadline=None)
@given(first=st.integers(0, 4), changes=ROTA, clients=CLIENTS)
def test_clients_start_when_simpys_resource_starts_them(first, changes, clients):
    """The lean pool, SimPy's own resource and the floor's (which inserts by binary
    search) start the same clients at the same times."""
    duty = _duty(first, changes)
    expected = simpy_resource(simpy.PriorityResource, duty, clients)
    assert simpy_resource(FloorDrugWorkers, duty, clients) == expected
    assert lean_pool(duty, clients) == expected


def test_a_worker_mid_call_finishes_it_when_the_shift_ends():
    env = simpy.Environment()
    workers = DrugWorkers(env)
    workers.set_on_calls(1)
    first, second = workers.request(), workers.request()
    assert first.triggered and not second.triggered
    workers.set_on_calls(0)  # the shift ends during the first call
    workers.release()
    env.run()
    assert not second.triggered and workers.busy == 0
    workers.set_on_calls(1)  # the next shift: the worker takes the client waiting
    env.run()
    assert second.triggered and workers.busy == 1
