"""The shared statistics: the exact t quantile (against scipy and against the exact
value), t intervals and the 90th percentile."""

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from scipy import stats as scipy_stats

from simdivert.stats import (
    _cdf,
    p90,
    student_t_ppf,
    t_interval,
    t_quantile,
    t_quantiles,
)

PROBABILITIES = [0.6, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995]


@pytest.mark.parametrize("probability", PROBABILITIES)
def test_quantile_matches_scipy_for_df_1_to_200(probability):
    df = np.arange(1, 201)
    ours = np.array([student_t_ppf(probability, int(d)) for d in df])
    np.testing.assert_allclose(ours, scipy_stats.t.ppf(probability, df), rtol=1e-12, atol=0)


@pytest.mark.parametrize("probability", [0.0005, 0.025, 0.1, 0.4])
def test_lower_quantiles_are_the_upper_ones_negated(probability):
    for df in (1, 2, 5, 30):
        assert student_t_ppf(probability, df) == pytest.approx(
            float(scipy_stats.t.ppf(probability, df)), rel=1e-12, abs=0
        )


@pytest.mark.parametrize("df", [1, 2, 3, 6, 15, 40, 199])
@pytest.mark.parametrize("probability", [0.9, 0.975, 0.995])
def test_quantile_is_the_double_nearest_the_exact_one(probability, df):
    """The CDF at the answer is nearer the probability than at either neighbouring double."""
    t = student_t_ppf(probability, df)
    with localcontext(prec=60):
        target = Decimal(probability)
        misses = [
            abs(_cdf(Decimal(x), df) - target)
            for x in (math.nextafter(t, 0.0), t, math.nextafter(t, math.inf))
        ]
    assert misses[1] <= min(misses[0], misses[2])


def test_near_the_median_we_are_right_where_scipy_is_not():
    """Boost's closed form for df 4 cancels near p = 0.5 (scipy is 1.4e-11 out at 0.5005).
    F(t) - 1/2 = 3/8 (t - 5/24 t^3 + 7/128 t^5 - ...), inverted: t = f + 5/24 f^3 +
    (3 (5/24)^2 - 7/128) f^5 + O(f^7) with f = (p - 1/2) / (3/8); f^7 is 1e-20 here."""
    first = (0.5005 - 0.5) / 0.375  # the subtraction is exact in floating point
    series = first + 5 / 24 * first**3 + (3 * (5 / 24) ** 2 - 7 / 128) * first**5
    assert student_t_ppf(0.5005, 4) == pytest.approx(series, rel=1e-15, abs=0)
    assert float(scipy_stats.t.ppf(0.5005, 4)) != pytest.approx(series, rel=1e-12, abs=0)


def test_closed_forms_for_one_and_two_degrees_of_freedom():
    p = 0.975
    assert student_t_ppf(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-15, abs=0)
    two = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    assert student_t_ppf(p, 2) == pytest.approx(two, rel=1e-15, abs=0)


def test_edges_follow_scipy():
    assert student_t_ppf(0.5, 7) == 0.0
    assert math.isnan(student_t_ppf(0.975, 0))
    assert student_t_ppf(1.0, 3) == math.inf and student_t_ppf(0.0, 3) == -math.inf
    np.testing.assert_array_equal(
        t_quantiles(0.95, np.array([-1, 0, 4])), [math.nan, math.nan, t_quantile(0.95, 4)]
    )


def test_t_interval_matches_scipy():
    values = np.array([3.0, 5.0, 4.0, 6.0, 2.0])
    mean, low, high = t_interval(values)
    expected = scipy_stats.t.interval(0.95, 4, loc=4.0, scale=scipy_stats.sem(values))
    assert mean == 4.0
    assert (low, high) == pytest.approx(expected, rel=1e-14, abs=0)


def test_t_interval_of_one_value_has_no_width():
    mean, low, high = t_interval(np.array([7.0, np.nan]))
    assert mean == 7.0 and np.isnan(low) and np.isnan(high)


def test_p90_is_numpys_and_nan_when_empty():
    values = np.arange(11.0)
    assert p90(values) == float(np.quantile(values, 0.9))
    assert math.isnan(p90(np.array([])))
