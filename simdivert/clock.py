"""The model's one clock: hours from the scenario's start, a Monday 00:00.

Weeks start on Monday; a year is 365 days. Working windows (the hours staff are on
duty) are expressed in hours of the week and repeat every week.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported where arrays are made: validating a scenario never needs it
    import numpy as np

HOURS_PER_DAY = 24.0
HOURS_PER_WEEK = 168.0
DAYS_PER_YEAR = 365.0
HOURS_PER_YEAR = DAYS_PER_YEAR * HOURS_PER_DAY
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def utc_now() -> str:
    """The wall-clock time now, in UTC to the second (for manifests and reports)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class WeeklyWindows:
    """A set of half-open windows [start, end) in hours of the week, repeating weekly.

    Used for when the provider makes calls and when staff are on duty.
    """

    def __init__(self, days: Sequence[str], start_hour: float, end_hour: float) -> None:
        import numpy as np

        if not 0 <= start_hour < end_hour <= HOURS_PER_DAY:
            raise ValueError(
                f"working hours must satisfy 0 <= start < end <= 24, got {start_hour}-{end_hour}"
            )
        day_index = sorted(DAY_NAMES.index(d) for d in set(days))
        self.starts = np.array([d * HOURS_PER_DAY + start_hour for d in day_index])
        self.ends = np.array([d * HOURS_PER_DAY + end_hour for d in day_index])
        # Two weeks of windows so that "the next window" after Sunday wraps to Monday.
        self._starts2 = np.concatenate([self.starts, self.starts + HOURS_PER_WEEK])
        self._ends2 = np.concatenate([self.ends, self.ends + HOURS_PER_WEEK])
        self._starts2_list = self._starts2.tolist()
        self._ends2_list = self._ends2.tolist()

    @property
    def hours_per_week(self) -> float:
        import numpy as np

        return float(np.sum(self.ends - self.starts))

    def next_open(self, t: np.ndarray | float) -> np.ndarray:
        """The earliest time >= t that lies inside a window (vectorised)."""
        import numpy as np

        t = np.asarray(t, dtype=float)
        if len(self.starts) == 0:
            return np.full_like(t, np.inf)
        hour_of_week = np.mod(t, HOURS_PER_WEEK)
        week_start = t - hour_of_week
        idx = np.searchsorted(self._ends2, hour_of_week, side="right")
        inside = self._starts2[idx] <= hour_of_week
        return np.where(inside, t, week_start + self._starts2[idx])

    def next_open_at(self, t: float) -> float:
        """Scalar :meth:`next_open`, for the event loop (no numpy overhead)."""
        if not self._starts2_list:
            return float("inf")
        hour_of_week = t % HOURS_PER_WEEK
        i = bisect.bisect_right(self._ends2_list, hour_of_week)
        start = self._starts2_list[i]
        return t if start <= hour_of_week else t - hour_of_week + start

    def changes(self, horizon_hours: float) -> tuple[np.ndarray, np.ndarray]:
        """Times in [0, horizon) at which the windows open or close, and whether open after.

        The first entry is always time 0, so the state at the start is explicit.
        """
        import numpy as np

        n_weeks = int(np.ceil(horizon_hours / HOURS_PER_WEEK)) + 1
        offsets = np.arange(n_weeks)[:, None] * HOURS_PER_WEEK
        opens = (offsets + self.starts[None, :]).ravel()
        closes = (offsets + self.ends[None, :]).ravel()
        times = np.concatenate([[0.0], opens, closes])
        is_open = np.concatenate([[False], np.ones(opens.size, bool), np.zeros(closes.size, bool)])
        order = np.lexsort((is_open, times))  # at equal times a close precedes an open
        times, is_open = times[order], is_open[order]
        keep = times < horizon_hours
        times, is_open = times[keep], is_open[keep]
        # Collapse equal times (keep the last state) and drop no-op repeats.
        last_of_time = np.append(times[1:] != times[:-1], True)
        times, is_open = times[last_of_time], is_open[last_of_time]
        changed = np.append(True, is_open[1:] != is_open[:-1])
        return times[changed], is_open[changed]

    def open_hours(self, start: float, end: float) -> float:
        """Total hours inside windows over the interval [start, end)."""
        import numpy as np

        if end <= start or len(self.starts) == 0:
            return 0.0
        first_week = np.floor(start / HOURS_PER_WEEK)
        last_week = np.floor(end / HOURS_PER_WEEK)
        weeks = np.arange(first_week, last_week + 1)[:, None] * HOURS_PER_WEEK
        lo = np.clip(weeks + self.starts[None, :], start, end)
        hi = np.clip(weeks + self.ends[None, :], start, end)
        return float(np.sum(hi - lo))
