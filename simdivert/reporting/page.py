"""The pieces every section of the report is made of: a section, a table, a KPI's
value as the tables show it."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import pandas as pd

from simdivert.kpis import kpi_label
from simdivert.numbers import format_interval, format_value


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    body: str

    def html(self) -> str:
        return f'<section id="{self.anchor}"><h2>{escape(self.title)}</h2>{self.body}</section>'


def table(
    header: list[str], rows: list[list[str]], numeric_from: int = 1, html_cells: bool = False
) -> str:
    """A table; columns from ``numeric_from`` on are right-aligned numbers. Cells are text
    (escaped here) unless ``html_cells``, when the caller has escaped them."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    cell = (lambda c: c) if html_cells else escape
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell(c)}</td>' if i >= numeric_from else f"<td>{cell(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


PERCENT_UNITS = ("share", "ratio")


def kpi_values(mean: float, low: float, high: float, unit: str) -> tuple[str, str, str]:
    """A KPI's mean, 95% CI and unit as the KPI table shows them: shares in percent."""
    if unit in PERCENT_UNITS and not pd.isna(mean):
        scaled = [v * 100 for v in (mean, low, high)]
        return format_value(scaled[0]), format_interval(scaled[1], scaled[2], scaled[0]), "%"
    return format_value(mean), format_interval(low, high, mean), unit.replace("GBP", "£")


def kpi_name(kpi: str) -> str:
    """A KPI's name in words, with its column name in small type beneath (HTML)."""
    return f'{escape(kpi_label(kpi))}<br><code class="key">{escape(kpi)}</code>'
