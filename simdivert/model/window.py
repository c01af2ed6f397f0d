"""A stretch of model time, [start, end) in hours: the measured part of a run, a policy
year, the period a cost covers, a staffing period checked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simdivert.clock import HOURS_PER_YEAR


@dataclass(frozen=True)
class Window:
    """[start, end) in model hours; an end before the start is an empty window."""

    start: float
    end: float

    @property
    def years(self) -> float:
        return max(self.end - self.start, 0.0) / HOURS_PER_YEAR

    @property
    def empty(self) -> bool:
        return self.end <= self.start

    def contains(self, hours: np.ndarray) -> np.ndarray:
        return (hours >= self.start) & (hours < self.end)

    def overlap_hours(self, starts: np.ndarray, ends: np.ndarray) -> float:
        """Total length of the intervals [starts, ends) inside the window (NaN rows skipped)."""
        valid = ~(np.isnan(starts) | np.isnan(ends))
        lo = np.clip(starts[valid], self.start, self.end)
        hi = np.clip(ends[valid], self.start, self.end)
        return float(np.sum(np.maximum(hi - lo, 0.0)))
