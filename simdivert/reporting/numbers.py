"""How KPI values are written in tables, in the terminal and in the report."""

from __future__ import annotations

import math


def _decimals(reference: float) -> int:
    magnitude = abs(reference)
    if magnitude >= 100:
        return 0
    return 2 if magnitude >= 1 else 3


def format_value(value: float, like: float | None = None) -> str:
    """A value with as many decimals as its size (or that of ``like``) deserves; NaN is –."""
    if math.isnan(value):
        return "–"
    reference = value if like is None or math.isnan(like) else like
    return f"{value:,.{_decimals(reference)}f}"


def format_interval(low: float, high: float, mean: float) -> str:
    """A confidence interval written with the precision of its mean."""
    if math.isnan(low) or math.isnan(high):
        return "–"
    return f"{format_value(low, mean)} – {format_value(high, mean)}"
