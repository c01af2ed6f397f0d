"""The replications algorithm: the precision, the look-ahead, the maximum."""

import numpy as np
import pytest

from simdivert.experiments.precision import (
    LOOK_AHEAD,
    PrecisionTarget,
    check_precision,
    look_ahead,
    relative_half_widths,
)
from simdivert.stats import t_interval

TARGET = PrecisionTarget("kpi", relative_half_width=0.05, max_replications=200)


def test_relative_half_width_is_the_t_interval_over_the_mean():
    values = np.random.default_rng(1).normal(10, 2, 30)
    values[4] = np.nan  # a replication where the KPI is undefined is left out
    relative = relative_half_widths(values)
    for n in (3, 10, 30):
        mean, low, _ = t_interval(values[:n])
        assert relative[n - 1] == pytest.approx((mean - low) / abs(mean))
    assert np.isnan(relative[0])


def test_stops_only_after_the_look_ahead_confirms():
    values = 10 + 0.3 * np.tile([1.0, -1.0], 20)  # the precision improves steadily
    relative = relative_half_widths(values)
    first = int(np.argmax(relative <= 0.05)) + 1  # precision first reached here
    check = check_precision(values[:first], TARGET)
    assert check.solution == first and not check.converged
    assert check.more_needed == LOOK_AHEAD
    assert (relative[first - 1 : first + LOOK_AHEAD] <= 0.05).all()
    final = check_precision(values[: first + LOOK_AHEAD], TARGET)
    assert final.converged and final.solution == first and final.more_needed == 0


def test_a_lucky_early_interval_is_not_enough():
    values = np.array([10.0, 10.01, 10.02, 14.0, 6.0])
    check = check_precision(values[:3], TARGET)
    assert check.solution == 3 and check.more_needed == LOOK_AHEAD
    assert check_precision(values, TARGET).solution is None


def test_adds_what_the_variance_says_at_most_doubling():
    values = np.random.default_rng(3).normal(10, 5, 8)
    check = check_precision(values, TARGET)
    assert check.solution is None
    assert 1 <= check.more_needed <= 8


def test_never_beyond_the_maximum():
    values = np.random.default_rng(4).normal(10, 5, 20)
    target = PrecisionTarget("kpi", 0.01, max_replications=24)
    assert check_precision(values, target).more_needed == 4
    assert check_precision(np.append(values, [10.0] * 4), target).more_needed == 0


def test_look_ahead_grows_beyond_a_hundred():
    assert look_ahead(50) == LOOK_AHEAD and look_ahead(400) == 20
