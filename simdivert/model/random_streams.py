"""Named random-number streams for one replication.

Every stream is keyed by (replication, name) from the run's seed, not by the order in
which streams are created. Adding a stream, or drawing more from one, never shifts the
draws of any other: that is what keeps common random numbers across scenarios.
"""

from __future__ import annotations

import zlib

import numpy as np


class RandomStreams:
    """A factory of independent generators, one per purpose, for one replication."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = int(seed)
        self.replication = int(replication)

    def generator(self, name: str) -> np.random.Generator:
        """The generator for ``name``; asking twice gives the same sequence again."""
        key = zlib.crc32(name.encode("utf-8"))
        sequence = np.random.SeedSequence(self.seed, spawn_key=(self.replication, key))
        return np.random.Generator(np.random.PCG64(sequence))
