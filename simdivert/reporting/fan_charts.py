"""A forecast with uncertainty in the report: fan charts over parameter sets x
replications, the prediction intervals beside the confidence intervals, and which is which
in words.

A fan shows, at each month, the median of every set x replication's value, the band
holding the middle 50% of them and the band holding 90% (the 5th to 95th percentile:
the same 90% prediction interval as ``summary.csv``'s ``pi_low`` and ``pi_high``).
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from simdivert.kpis import COHORT_MONTHS, FORECAST_KPIS, kpi_unit
from simdivert.numbers import thousands
from simdivert.outputs.readers import OutputFolder, RunFacts
from simdivert.reporting.page import Section, kpi_name, kpi_values, table
from simdivert.reporting.plots import PALETTE, new_figure, styled
from simdivert.scenario.uncertainty import SET_COLUMN

DAYS_PER_WEEK = 7
DAYS_PER_MONTH = 365.25 / 12
BANDS = {"low90": 0.05, "low50": 0.25, "median": 0.5, "high50": 0.75, "high90": 0.95}
REFERRAL_COLOUR, COMPLETION_COLOUR = PALETTE["blue"], PALETTE["green"]
INTERVAL_WORDS = (
    "The 90% prediction interval (PI) says where a year's figure is likely to fall given "
    "what we do not know about the inputs (the uncertain inputs drawn over their ranges) "
    "and the chance in a year's events: 9 in 10 of the simulated years fell inside it. "
    "The 95% confidence interval (CI) says only how precisely the simulation has "
    "estimated the mean; more runs narrow it, but nothing narrows the PI except knowing "
    "the inputs better."
)


def fan_bands(values: pd.DataFrame, by: str, column: str) -> pd.DataFrame:
    """Per ``by``: the median, the middle 50% and the middle 90% of ``column``."""
    grouped = values.groupby(by)[column]
    return pd.DataFrame({name: grouped.quantile(q) for name, q in BANDS.items()})


def monthly_referrals(timeseries: pd.DataFrame, run: RunFacts) -> pd.DataFrame:
    """Referrals a month after the launch, per set and replication: each whole month's
    weekly referrals averaged and scaled to a month (weeks split at the launch and the
    run's last, partial week are left out). Columns set, replication, month, referrals."""
    first_week = math.ceil(run.launch_weeks - 1e-9)
    rows = timeseries[
        (timeseries["stage"] == "contact")
        & (timeseries["week"] >= first_week)
        & (timeseries["week"] < run.whole_weeks)
    ]
    month = ((rows["week"] - first_week) * DAYS_PER_WEEK // DAYS_PER_MONTH).astype(int) + 1
    rows = rows.assign(month=month)
    last_whole = int((run.whole_weeks - first_week) * DAYS_PER_WEEK // DAYS_PER_MONTH)
    rows = rows[rows["month"] <= last_whole]
    keys = [c for c in (SET_COLUMN, "replication") if c in rows.columns]
    weekly = rows.groupby([*keys, "month"])["waits_started"].mean()
    return (weekly * DAYS_PER_MONTH / DAYS_PER_WEEK).rename("referrals").reset_index()


def cumulative_by_month(replications: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Referrals and completions since the launch at the months counted
    (``referrals_by_month_12``...): per series, the fan's bands by month."""
    series = {}
    for base in ("referrals", "completions"):
        names = {m: f"{base}_by_month_{m}" for m in COHORT_MONTHS}
        columns = {
            m: c for m, c in names.items() if c in replications and replications[c].notna().any()
        }
        if columns:
            long = pd.concat(
                [pd.DataFrame({"month": m, "value": replications[c]}) for m, c in columns.items()]
            )
            series[base] = fan_bands(long.dropna(), "month", "value")
    return series


def _fan(ax: Axes, bands: pd.DataFrame, colour: str, label: str) -> None:
    x = bands.index.to_numpy(dtype=float)
    if len(x) == 1:  # one month counted: the bands as bars
        ax.vlines(x, bands["low90"], bands["high90"], color=colour, lw=3, alpha=0.3)
        ax.vlines(x, bands["low50"], bands["high50"], color=colour, lw=7, alpha=0.55)
    else:
        ax.fill_between(x, bands["low90"], bands["high90"], color=colour, alpha=0.2, lw=0)
        ax.fill_between(x, bands["low50"], bands["high50"], color=colour, alpha=0.4, lw=0)
    ax.plot(x, bands["median"], color=colour, lw=1.8, marker="o", ms=3.5, label=label)


@styled
def forecast_fan_chart(monthly: pd.DataFrame | None, cumulative: dict[str, pd.DataFrame]) -> Figure:
    """Left, referrals a month after the launch; right, referrals and completions since
    the launch at the months counted: median, 50% and 90% of sets x replications."""
    panels = [p for p in (monthly is not None and not monthly.empty, bool(cumulative)) if p]
    figure, axes = new_figure(3.6, 1, max(len(panels), 1))
    column = 0
    if monthly is not None and not monthly.empty:
        ax = axes[0, column]
        _fan(ax, fan_bands(monthly, "month", "referrals"), REFERRAL_COLOUR, "referrals a month")
        ax.set_xlabel("month after the launch")
        ax.set_ylabel("referrals a month (people)")
        ax.set_title("Referrals each month", loc="left")
        column += 1
    if cumulative:
        ax = axes[0, column]
        colours = {"referrals": REFERRAL_COLOUR, "completions": COMPLETION_COLOUR}
        for base, bands in cumulative.items():
            _fan(ax, bands, colours[base], f"{base} since the launch")
        ax.set_xticks(sorted({m for b in cumulative.values() for m in b.index}))
        ax.set_xlabel("months after the launch")
        ax.set_ylabel("people since the launch")
        ax.set_title("Referrals and completions so far", loc="left")
        ax.legend(loc="upper left", frameon=False)
    for ax in axes.flat:
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    figure.suptitle("Forecast: median (line), middle 50% (dark) and 90% (light) of the runs")
    return figure


def _has_forecast(output: OutputFolder) -> bool:
    return output.forecast is not None and output.summary is not None


def forecast_figure_data(
    output: OutputFolder,
) -> tuple[pd.DataFrame | None, dict[str, pd.DataFrame]] | None:
    """What the fan chart draws, None when there is nothing to draw."""
    if not _has_forecast(output) or output.run is None or not output.run.diversion:
        return None
    assert output.forecast is not None
    monthly = None
    if output.timeseries is not None:
        monthly = monthly_referrals(output.timeseries, output.run)
    cumulative = cumulative_by_month(output.forecast)
    if (monthly is None or monthly.empty) and not cumulative:
        return None
    return monthly, cumulative


def forecast_section(output: OutputFolder, figures_html: str) -> Section | None:
    """How sure the forecast is: the two intervals in words, a table of each headline's
    mean, 90% PI and 95% CI, the sets it ran and the fan chart (``figures_html``)."""
    if not _has_forecast(output):
        return None
    assert output.summary is not None and output.forecast is not None
    summary = output.summary.set_index("kpi")
    rows = []
    for kpi in FORECAST_KPIS:
        if kpi not in summary.index or pd.isna(summary.loc[kpi, "mean"]):
            continue
        row = summary.loc[kpi]
        unit = kpi_unit(kpi)
        mean, pi, shown_unit = kpi_values(row["mean"], row["pi_low"], row["pi_high"], unit)
        _, ci, _ = kpi_values(row["mean"], row["ci_low"], row["ci_high"], unit)
        rows.append([kpi_name(kpi), escape(mean), escape(pi), escape(ci), escape(shown_unit)])
    record = (output.manifest or {}).get("uncertainty", {})
    sets = output.forecast[SET_COLUMN].nunique()
    replications = len(output.forecast) // max(sets, 1)
    where = (
        f"chosen among the {record.get('sets_in_fit')} sets of the fit "
        f"<code>{escape(str(record.get('fit')))}</code>"
        if record.get("source") == "fit"
        else "drawn from the scenario's priors (its <code>[uncertainty]</code> table, a Latin "
        "hypercube)"
    )
    inputs = record.get("inputs", {})
    listed = "".join(
        f"<li><code>{escape(key)}</code>: {escape(str(prior))}</li>"
        for key, prior in inputs.items()
    )
    body = (
        f"<p>{escape(INTERVAL_WORDS)}</p>"
        f"<p>This forecast ran {sets} parameter sets, {where}, with {replications} "
        "replications each; every set ran the same random numbers, so two sets differ only "
        "by their inputs. The PI is the 5th to the 95th percentile of all "
        f"{len(output.forecast)} runs; the CI is the t-interval of the sets' means.</p>"
        + table(["KPI", "mean", "90% PI", "95% CI", "unit"], rows, numeric_from=1, html_cells=True)
        + figures_html
        + (
            f"<details><summary>The uncertain inputs and their priors</summary><ul>{listed}</ul>"
            "</details>"
            if listed
            else ""
        )
    )
    return Section("forecast", "How sure the forecast is", body)
