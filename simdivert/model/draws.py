"""Random numbers per find, drawn in bulk and indexed by find, not by event order.

First finds (new people, known before the run) are numbered in time order and get
the first rows of every column, so a first find has the same draws in every scenario
that shares the demand: common random numbers. Repeat finds happen during the run;
they are numbered in the order they occur and take the rows after, drawn in chunks
from the same streams. Each column is its own named stream, so adding a column (or a
wider one, e.g. more contact attempts) never shifts another.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simdivert.model.random_streams import RandomStreams

Sampler = Callable[[np.random.Generator, int], np.ndarray]


def uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.random(n)


class FindDraws:
    """Named columns of per-find random numbers that grow on demand."""

    def __init__(
        self, streams: RandomStreams, samplers: dict[str, Sampler], first_rows: int
    ) -> None:
        self._samplers = samplers
        self._generators = {name: streams.generator(name) for name in samplers}
        self.columns: dict[str, list[float]] = {name: [] for name in samplers}
        self.first: dict[str, np.ndarray] = {}  # the first rows as drawn, for bulk decisions
        self.rows = 0
        self._extend(first_rows)

    def _extend(self, n: int) -> None:
        for name, sample in self._samplers.items():
            values = sample(self._generators[name], n)
            if not self.rows:
                self.first[name] = values
            self.columns[name].extend(values.tolist())
        self.rows += n

    def ensure(self, rows: int) -> None:
        """Make at least ``rows`` rows available (draws continue each stream in order)."""
        if rows > self.rows:
            self._extend(max(rows - self.rows, 256, self.rows // 4))
