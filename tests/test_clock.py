import numpy as np
import pytest

from simdivert.clock import HOURS_PER_WEEK, WeeklyWindows

OFFICE = WeeklyWindows(["Mon", "Tue", "Wed", "Thu", "Fri"], 9, 17)


def test_next_open_inside_a_window_is_unchanged():
    assert OFFICE.next_open(np.array([9.0, 16.99, 24 + 12]))[0] == 9.0
    np.testing.assert_allclose(OFFICE.next_open(np.array([16.99, 36.0])), [16.99, 36.0])


def test_next_open_moves_to_the_next_window():
    friday_evening = 4 * 24 + 17.0
    saturday = 5 * 24 + 3.0
    np.testing.assert_allclose(
        OFFICE.next_open(np.array([0.0, 17.0, friday_evening, saturday])),
        [9.0, 24 + 9.0, HOURS_PER_WEEK + 9.0, HOURS_PER_WEEK + 9.0],
    )


def test_next_open_in_a_later_week():
    t = 10 * HOURS_PER_WEEK + 2 * 24 + 20.0  # Wednesday evening, week 10
    assert OFFICE.next_open(t) == pytest.approx(10 * HOURS_PER_WEEK + 3 * 24 + 9.0)


def test_open_hours_counts_only_working_time():
    assert OFFICE.hours_per_week == 40.0
    assert OFFICE.open_hours(0, HOURS_PER_WEEK) == pytest.approx(40.0)
    assert OFFICE.open_hours(0, 52 * HOURS_PER_WEEK) == pytest.approx(52 * 40.0)
    assert OFFICE.open_hours(10.0, 12.0) == pytest.approx(2.0)
    assert OFFICE.open_hours(16.0, 24 + 10.0) == pytest.approx(2.0)


def test_changes_alternate_between_open_and_closed():
    times, is_open = OFFICE.changes(2 * HOURS_PER_WEEK)
    assert times[0] == 0.0 and not is_open[0]
    assert np.all(np.diff(times) > 0)
    assert np.all(is_open[1:] != is_open[:-1])
    assert is_open.sum() == 10  # ten working days in two weeks


def test_round_the_clock_windows_never_close():
    always = WeeklyWindows(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], 0, 24)
    times, is_open = always.changes(3 * HOURS_PER_WEEK)
    assert list(times) == [0.0] and list(is_open) == [True]
