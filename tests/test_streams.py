import numpy as np

from simdivert.model.random_streams import RandomStreams


def test_same_seed_same_numbers():
    a = RandomStreams(7, 3).generator("demand.searches").random(5)
    b = RandomStreams(7, 3).generator("demand.searches").random(5)
    np.testing.assert_array_equal(a, b)


def test_streams_differ_by_name_replication_and_seed():
    base = RandomStreams(7, 3).generator("x").random(5)
    assert not np.array_equal(base, RandomStreams(7, 3).generator("y").random(5))
    assert not np.array_equal(base, RandomStreams(7, 4).generator("x").random(5))
    assert not np.array_equal(base, RandomStreams(8, 3).generator("x").random(5))


def test_a_stream_does_not_depend_on_other_streams_being_used():
    streams = RandomStreams(1, 0)
    alone = RandomStreams(1, 0).generator("pathway.contact").random(10)
    streams.generator("something.new").random(1000)
    np.testing.assert_array_equal(streams.generator("pathway.contact").random(10), alone)
