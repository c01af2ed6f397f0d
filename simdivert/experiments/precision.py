"""How many replications a cell needs: the replications algorithm of Hoad, Robinson and
Davies (2010), "Automated selection of the number of replications for a discrete-event
simulation", Journal of the Operational Research Society 61(11).

After n replications the precision is the confidence interval's half-width relative to
the mean, d(n) = t(n-1) s(n) / (sqrt(n) |mean(n)|). The solution is the smallest n from
which d stays within the target; it is accepted only once d has stayed within it for a
look-ahead of further replications (``kLimit`` = 5, or 5% of n beyond 100), which guards
against a lucky early interval. Where the algorithm adds one replication at a time, a
sweep adds a batch (what the current variance says is needed, at most doubling; or just
the rest of the look-ahead) so that cells keep the workers busy. The decision depends
only on the values of replications 0..n-1, never on which worker finished first, so the
replications a cell ends with are the same on any executor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simdivert.stats import t_quantiles

LOOK_AHEAD = 5  # Hoad et al.'s kLimit
MIN_REPLICATIONS = 3


@dataclass(frozen=True)
class PrecisionTarget:
    """Run replications until ``kpi``'s CI half-width is within ``relative_half_width`` of
    its mean, or ``max_replications`` have run."""

    kpi: str
    relative_half_width: float
    max_replications: int
    confidence: float = 0.95


@dataclass(frozen=True)
class PrecisionCheck:
    """The verdict on a cell's replications so far."""

    replications: int
    relative_half_width: float  # at the current number of replications
    solution: int | None  # the smallest n from which the precision has held
    more_needed: int  # 0: stop (converged, or the maximum reached)

    @property
    def converged(self) -> bool:
        return self.solution is not None and self.replications >= self.solution + look_ahead(
            self.solution
        )


def look_ahead(n: int) -> int:
    """Replications over which the precision must keep holding (Hoad et al.'s f(kLimit, n))."""
    return LOOK_AHEAD if n <= 100 else math.floor(LOOK_AHEAD * n / 100)


def relative_half_widths(values: np.ndarray, confidence: float = 0.95) -> np.ndarray:
    """d(n) for n = 1..N: NaN below two values, infinite for a zero mean with some spread.
    NaN values (a KPI undefined in a replication) are left out, as in
    :func:`simdivert.stats.t_interval`."""
    values = np.asarray(values, dtype=float)
    valid = ~np.isnan(values)
    count = np.cumsum(valid)
    total = np.cumsum(np.where(valid, values, 0.0))
    total_sq = np.cumsum(np.where(valid, values * values, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        variance = np.maximum(total_sq - count * mean * mean, 0.0) / (count - 1)
        t = t_quantiles(confidence, count - 1)
        half = t * np.sqrt(variance / count)
        relative = np.where(half == 0.0, 0.0, half / np.abs(mean))
    relative[count < 2] = np.nan
    return relative


def check_precision(values: np.ndarray, target: PrecisionTarget) -> PrecisionCheck:
    """Whether replications 0..N-1 (in order) meet the target, and how many more to run."""
    n = len(values)
    relative = relative_half_widths(values, target.confidence)
    holds = relative <= target.relative_half_width  # NaN never holds
    solution = None
    if n >= MIN_REPLICATIONS and holds[-1]:
        failing = np.flatnonzero(~holds[: n - 1])
        solution = max(int(failing[-1]) + 2 if failing.size else 1, MIN_REPLICATIONS)
    current = float(relative[-1]) if n else float("nan")
    if solution is not None:
        wanted = solution + look_ahead(solution)
    else:
        wanted = n + min(max(_estimated_total(current, n, target) - n, 1), max(n, 1))
    room = max(target.max_replications - n, 0)
    more = min(max(wanted - n, 0), room)
    return PrecisionCheck(n, current, solution, more)


def _estimated_total(relative: float, n: int, target: PrecisionTarget) -> int:
    """Replications the current relative half-width suggests (it shrinks as 1/sqrt(n))."""
    if not math.isfinite(relative) or n < 2:
        return MIN_REPLICATIONS
    return math.ceil(n * (relative / target.relative_half_width) ** 2)
