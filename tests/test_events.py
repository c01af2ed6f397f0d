"""The model's light events run in exactly the order SimPy's timeouts would."""

from __future__ import annotations

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simdivert.model.events import call_at, call_later, run_until

# (delay from the time scheduled, light or SimPy's, new events it schedules): many
# events at the same instants, as at a shift's start.
PLANS = st.lists(
    st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.booleans(), st.integers(0, 2)),
    min_size=1,
    max_size=30,
)
UNTIL = 3.0


def _order(plan, light: bool, run) -> list[tuple[int, float]]:
    """The order (event number, time) the events of ``plan`` run in; each event
    schedules the next ones of the plan when it runs, light or SimPy's as asked."""
    env = simpy.Environment()
    ran: list[tuple[int, float]] = []
    todo = iter(enumerate(plan))

    def schedule(at_now: bool = False) -> None:
        for number, (delay, own, children) in todo:
            if light and own:
                if number % 2:
                    call_later(env, delay, step, (number, children))
                else:
                    call_at(env, env.now + delay, step, (number, children))
            else:
                env.timeout(delay, (number, children)).callbacks.append(step)
            if at_now:
                return

    def step(event) -> None:
        number, children = event.value
        ran.append((number, env.now))
        for _ in range(children):
            schedule(at_now=True)

    schedule(at_now=True)
    schedule(at_now=True)
    run(env)
    assert env.now == UNTIL
    return ran


@settings(max_examples=60, deadline=None)
@given(PLANS)
def test_light_events_and_the_loop_keep_simpys_order(plan):
    reference = _order(plan, light=False, run=lambda env: env.run(until=UNTIL))
    assert _order(plan, light=True, run=lambda env: run_until(env, UNTIL)) == reference
    assert _order(plan, light=True, run=lambda env: env.run(until=UNTIL)) == reference
