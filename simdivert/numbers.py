"""Every number format: KPI values in tables (terminal and report), counts, money,
days and percentages in sentences, axis ticks, and the docs' calibration table.

Negative numbers carry a true minus sign (U+2212) wherever they are read by people.
"""

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


MINUS = "\N{MINUS SIGN}"
CHANGE = "change"  # the unit of a relative change (calibration targets against a base)


def with_minus(text: str) -> str:
    """A number's text with a true minus sign."""
    return text.replace("-", MINUS)


def share_index(value: float) -> str:
    """A share of variance (a Sobol index) to two decimals, a true minus sign, never
    "-0.00"; NaN is –."""
    if math.isnan(value):
        return "–"
    return with_minus(f"{round(value, 2) + 0.0:.2f}")


def index_interval(value: float, half_width: float) -> str:
    """A Sobol index and its 95% CI from its half-width: ``0.62 (0.48 to 0.76)``."""
    return (
        f"{share_index(value)} ({share_index(value - half_width)} to "
        f"{share_index(value + half_width)})"
    )


def count(value: float) -> str:
    """A count in words: three significant figures, thousands separated."""
    if abs(value) < 10:
        text = f"{value:.1f}".removesuffix(".0")
    else:
        magnitude = math.floor(math.log10(abs(value)))
        text = f"{round(value, min(0, 2 - magnitude)):,.0f}"
    return with_minus(text)


def money(value: float) -> str:
    """Pounds in words: ``£1.23m``, ``£48,900``."""
    sign = MINUS if value < 0 else ""
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{sign}£{magnitude / 1e6:.2f}m"
    return f"{sign}£{count(magnitude)}"


def days(value: float) -> str:
    """A wait in words: whole days from 20 on, else to a tenth."""
    return f"{value:.0f} days" if abs(value) >= 20 else f"{value:.1f} days"


def percent(value: float, decimals: int = 0) -> str:
    """A share as a percentage."""
    return f"{value * 100:.{decimals}f}%"


def thousands(value: float, _position: object = None) -> str:
    """An axis tick with thousands separated, and a true minus sign as matplotlib's own."""
    return with_minus(f"{value:,.0f}")


def short_value(value: float) -> str:
    """A value in a small space (a heatmap cell): fewer decimals than :func:`format_value`."""
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if magnitude >= 1 else f"{value:.2f}"


def format_with_unit(value: float | None, unit: str) -> str:
    """A number as the docs show it: shares to 3 decimals, days to 1, changes in percent,
    counts with commas."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == CHANGE:
        return f"{value:+.1%}"
    if unit in ("share", "ratio"):
        return f"{value:.3f}"
    if unit == "days":
        return f"{value:.1f}"
    return f"{value:,.0f}"
