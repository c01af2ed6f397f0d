"""The statistics every layer shares: Student's t quantiles, t confidence intervals, the
90th percentile and prediction intervals.

Only numpy and the standard library: importing scipy costs over a second of CPU, more
than a short command spends on anything else, and a t quantile was all it did here. The
quantile is found to 60 significant digits and then rounded, so it is the double nearest
the exact quantile. scipy's (Boost's) is not always: it is off by up to 21 units in the
last place (df 6 at 0.975), so intervals differ from those scipy gave in the last
digits, never by more than 1e-14 of the half-width.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from functools import lru_cache
from statistics import NormalDist

import numpy as np

_DIGITS = 60  # working precision of the quantile: far beyond a double's 17 digits
_MAX_STEPS = 200  # Newton steps: a heavy tail (df 1) doubles t per step until near the root


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval; NaNs (KPIs undefined in a run) are dropped."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (float("nan"),) * 3
    mean = float(values.mean())
    if values.size < 2:
        return mean, float("nan"), float("nan")
    half = t_quantile(confidence, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return mean, mean - half, mean + half


def t_quantile(confidence: float, degrees_of_freedom: int) -> float:
    """The quantile of Student's t that a two-sided ``confidence`` interval uses."""
    return student_t_ppf(0.5 + confidence / 2, degrees_of_freedom)


def t_quantiles(confidence: float, degrees_of_freedom: np.ndarray) -> np.ndarray:
    """:func:`t_quantile` for each element of an integer array; NaN where df < 1."""
    return np.array(
        [t_quantile(confidence, int(df)) if df >= 1 else math.nan for df in degrees_of_freedom],
        dtype=float,
    )


@lru_cache(maxsize=1024)
def student_t_ppf(probability: float, degrees_of_freedom: int) -> float:
    """The ``probability`` quantile of Student's t with integer degrees of freedom, the
    double nearest the exact value; cached, since every KPI of a set of replications
    needs the same one. NaN for df < 1 or a probability outside [0, 1], as scipy."""
    if degrees_of_freedom < 1 or not 0.0 <= probability <= 1.0:
        return math.nan
    if probability in (0.0, 1.0):
        return math.copysign(math.inf, probability - 0.5)
    if probability == 0.5:
        return 0.0
    with localcontext(prec=_DIGITS):
        # Solve for |t| in the upper half; 1 - p is not exact in floating point, in Decimal it is.
        upper = Decimal(probability) if probability > 0.5 else 1 - Decimal(probability)
        t = Decimal(_start(float(upper), degrees_of_freedom))
        tolerance = Decimal(10) ** -(_DIGITS - 15)
        for _ in range(_MAX_STEPS):
            # The CDF is concave for t > 0, so Newton from below climbs monotonically to
            # the root; from above it may step below zero, and then halving is safe.
            slope = Decimal(_density(float(t), degrees_of_freedom))
            step = (_cdf(t, degrees_of_freedom) - upper) / slope
            t = t - step if step < t else t / 2
            if abs(step) <= tolerance * t:
                break
        return math.copysign(float(t), probability - 0.5)


def p90(values: np.ndarray) -> float:
    """The 90th percentile (numpy's default, linear interpolation); NaN when empty."""
    return float(np.quantile(values, 0.9)) if values.size else math.nan


PREDICTION_COVERAGE = 0.90  # a forecast's prediction interval: its 5th to 95th percentiles


def prediction_interval(
    values: np.ndarray, coverage: float = PREDICTION_COVERAGE
) -> tuple[float, float]:
    """The central ``coverage`` of ``values`` (by default the 5th and 95th percentiles,
    numpy's linear interpolation): where a new value is likely to fall, not how precisely
    their mean is known. NaNs (a KPI undefined in some runs) are dropped; NaN when none."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return math.nan, math.nan
    tail = (1 - coverage) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)


def _cdf(t: Decimal, df: int) -> Decimal:
    """P(T <= t) for t >= 0, in Decimal: the finite sums of Abramowitz and Stegun 26.7.3
    for integer df (exact series, every term positive, so no cancellation)."""
    square = t * t
    sin = t / (df + square).sqrt()
    cos_sq = df / (df + square)
    if df % 2 == 0:  # sin(theta) (1 + 1/2 cos^2 + 1.3/(2.4) cos^4 + ...)
        term, total = Decimal(1), Decimal(1)
        for k in range(1, df // 2):
            term *= cos_sq * (2 * k - 1) / (2 * k)
            total += term
        inside = sin * total  # P(|T| < t)
    else:  # 2/pi (theta + sin cos (1 + 2/3 cos^2 + 2.4/(3.5) cos^4 + ...))
        theta = _atan(t / Decimal(df).sqrt())
        series = Decimal(0)
        if df > 1:
            term, total = Decimal(1), Decimal(1)
            for k in range(1, (df - 1) // 2):
                term *= cos_sq * (2 * k) / (2 * k + 1)
                total += term
            series = sin * cos_sq.sqrt() * total
        inside = 2 * (theta + series) / _pi()
    return (1 + inside) / 2


def _atan(z: Decimal) -> Decimal:
    """Arctangent in Decimal: halve the angle until the Taylor series converges fast."""
    doublings = 0
    while abs(z) > Decimal("0.1"):
        z = z / (1 + (1 + z * z).sqrt())
        doublings += 1
    total, power, k = Decimal(0), z, 1
    tiny = Decimal(10) ** -(_DIGITS + 2)
    while abs(power) > tiny:
        total += power / k
        power *= -z * z
        k += 2
    return total * 2**doublings


@lru_cache(maxsize=1)
def _pi() -> Decimal:
    """Pi to the working precision (Machin's formula)."""
    with localcontext(prec=_DIGITS):
        return 4 * (4 * _atan(Decimal(1) / 5) - _atan(Decimal(1) / 239))


def _density(t: float, df: int) -> float:
    """The t density in floating point: good enough for a Newton step's slope."""
    log_scale = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_scale - (df + 1) / 2 * math.log1p(t * t / df))


def _start(upper: float, df: int) -> float:
    """Where Newton starts: the normal quantile with the first Cornish-Fisher term for t."""
    z = NormalDist().inv_cdf(upper)
    return z + (z**3 + z) / (4 * df)


def replication_quantile(values: np.ndarray, share: float) -> float:
    """The smallest value that at least ``share`` of the values are at or below (the
    inverted empirical CDF): ``replication_quantile(waits, 0.9) <= 21`` says exactly that
    at least 9 in 10 replications have a wait within 21. NaN when empty."""
    return float(np.quantile(values, share, method="inverted_cdf")) if values.size else math.nan
