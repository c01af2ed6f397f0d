"""The drug-worker pool serves exactly as SimPy's own priority resource does.

``pathway.DrugWorkers`` inserts requests by binary search instead of re-sorting the
queue on every request (the speed-up in docs/PERFORMANCE.md); the order in which
requests are served, and so every result, must not change.
"""

from __future__ import annotations

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simdivert.pathway import DrugWorkers

REQUESTS = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.5, 1.0, 2.0]),  # arrival: many at the same time
        st.integers(0, 2),  # priority
        st.sampled_from([0.25, 1.0, 3.0]),  # how long the worker is kept
        st.booleans(),  # gives up (cancels) if not served within an hour
    ),
    min_size=1,
    max_size=60,
)


def service_order(resource_class: type, capacity: int, requests: list) -> list[tuple]:
    env = simpy.Environment()
    workers = resource_class(env, capacity=capacity)
    served: list[tuple] = []

    def client(index: int, arrival: float, priority: int, hours: float, impatient: bool):
        yield env.timeout(arrival)
        request = workers.request(priority=priority)
        if impatient:
            result = yield request | env.timeout(1.0)
            if request not in result:
                request.cancel()
                return
        else:
            yield request
        served.append((index, env.now))
        yield env.timeout(hours)
        workers.release(request)

    for index, (arrival, priority, hours, impatient) in enumerate(requests):
        env.process(client(index, arrival, priority, hours, impatient))
    env.run()
    return served


@settings(max_examples=200, deadline=None)
@given(capacity=st.integers(1, 4), requests=REQUESTS)
def test_requests_are_served_in_simpys_own_order(capacity, requests):
    expected = service_order(simpy.PriorityResource, capacity, requests)
    assert service_order(DrugWorkers, capacity, requests) == expected
