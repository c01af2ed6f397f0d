"""A replication pauses the cyclic garbage collector while it runs and cleans up after."""

import gc

import pytest

from simdivert.model.replication import simulate


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(scenario, enabled):
    gc.enable() if enabled else gc.disable()
    try:
        simulate(scenario, seed=1, replication=0)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_a_replication_leaves_nothing_in_reference_cycles(scenario):
    """The environment, its pending events and the processes still running at the end
    form cycles; they must be freed when the replication ends, not pile up in a sweep."""
    gc.collect()
    logs = simulate(scenario, seed=1, replication=0)
    assert logs.pathway.size > 0
    assert gc.collect() == 0
