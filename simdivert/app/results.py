"""The results of a run on the page, read back from its output folders.

Everything shown comes from the folders the run wrote, through the reporting layer that
makes ``report.html``: the same headline sentences, target verdicts, police-hours
methods and figures, never restated here. KPI tables are grouped by the families of
the KPI catalogue (:mod:`simdivert.kpis`), so KPIs added there appear on the page.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

import simdivert as sd
from simdivert.app.runs import COMPARISON_FOLDER, RUN_FOLDER, RunJob, zip_folder
from simdivert.kpis import (
    CATALOGUE,
    COSTS,
    EQUITY,
    HEADLINE_KPIS,
    OUTCOMES,
    kpi_label,
    kpi_unit,
    latest_policy_year,
    lookup,
)
from simdivert.numbers import format_interval, format_value
from simdivert.outputs.readers import OutputFolder, read_output_folder
from simdivert.reporting.fan_charts import INTERVAL_WORDS
from simdivert.reporting.headlines import (
    MET,
    MISSED,
    Estimate,
    Headline,
    comparison_headlines,
    headlines,
    target_verdict,
)
from simdivert.reporting.report import (
    FIGURES,
    REPORT,
    FigureSpec,
    comparison_figures,
    forecast_figures,
    police_hours_estimates,
    run_figures,
)
from simdivert.scenario.files import scenario_as_toml

BADGES = {MET: "green", MISSED: "red"}  # too close to call: orange
FAMILY_TITLES = {COSTS: "Costs", OUTCOMES: "Police outcomes", EQUITY: "Equity"}
KPI_COLUMNS = ["KPI", "mean", "95% CI", "unit"]
PI_COLUMN = "90% PI"  # a forecast with uncertainty's prediction interval


def _markdown(text: str) -> str:
    """Text shown as itself in Streamlit's markdown (no maths, no emphasis)."""
    for special in ("\\", "$", "*", "_", "`", "[", "]", "~"):
        text = text.replace(special, f"\\{special}")
    return text


def headline_list(lines: list[Headline]) -> None:
    """The report's sentences, each with its target verdict as a badge."""
    items = []
    for line in lines:
        badge = ""
        if line.verdict is not None:
            badge = f" :{BADGES.get(line.verdict, 'orange')}-badge[target {line.verdict}]"
        items.append(f"- {_markdown(line.text)}{badge}")
    st.markdown("\n".join(items))


def kpi_rows(summary: pd.DataFrame, kpis: list[str]) -> pd.DataFrame:
    """Rows of a KPI table in the order given: label, mean, CI, unit (as the CLI prints);
    a forecast with uncertainty's adds its 90% prediction interval after the mean."""
    rows = summary.set_index("kpi")
    uncertain = "pi_low" in rows.columns
    table = [
        {
            "KPI": kpi_label(kpi),
            "mean": format_value(rows.at[kpi, "mean"]),
            **(
                {
                    PI_COLUMN: format_interval(
                        rows.at[kpi, "pi_low"], rows.at[kpi, "pi_high"], rows.at[kpi, "mean"]
                    )
                }
                if uncertain
                else {}
            ),
            "95% CI": format_interval(
                rows.at[kpi, "ci_low"], rows.at[kpi, "ci_high"], rows.at[kpi, "mean"]
            ),
            "unit": kpi_unit(kpi),
        }
        for kpi in kpis
        if kpi in rows.index
    ]
    columns = [*KPI_COLUMNS[:2], PI_COLUMN, *KPI_COLUMNS[2:]] if uncertain else KPI_COLUMNS
    return pd.DataFrame(table, columns=columns)


def _table(rows: pd.DataFrame) -> None:
    """A plain HTML table (readable by people and by the browser test)."""
    st.table(rows.set_index(rows.columns[0]))


def _waits(output: OutputFolder) -> pd.DataFrame:
    """Each wait with a target: its P90, CI, the target and the verdict."""
    assert output.summary is not None and output.run is not None
    summary = output.summary.set_index("kpi")
    rows = []
    for kpi, target in output.run.targets.model_dump().items():
        if kpi not in summary.index or pd.isna(summary.at[kpi, "mean"]):
            continue
        row = summary.loc[kpi]
        estimate = Estimate(float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))
        rows.append(
            {
                "wait": kpi_label(kpi),
                "9 in 10 within (days)": format_value(estimate.mean),
                "95% CI": format_interval(estimate.low, estimate.high, estimate.mean),
                "target (days)": f"{target:g}",
                "verdict": target_verdict(estimate, target),
            }
        )
    return pd.DataFrame(rows)


def _police_hours(output: OutputFolder) -> pd.DataFrame:
    assert output.summary is not None and output.run is not None
    hours = police_hours_estimates(output.summary, output.run.scenario_name)
    return pd.DataFrame(
        {
            "method": hours["method"],
            "hours saved a year": [format_value(v) for v in hours["mean"]],
            "95% CI": [
                format_interval(low, high, mean)
                for low, high, mean in zip(
                    hours["ci_low"], hours["ci_high"], hours["mean"], strict=True
                )
            ],
        }
    )


def _family(summary: pd.DataFrame, family: str) -> list[str]:
    """The KPIs of a family present in a summary, per-year ones included, in file order."""
    return [
        kpi
        for kpi in summary["kpi"]
        if (entry := lookup(kpi)) is not None and entry.family == family
    ]


def _figures(folder: Path, specs: list[FigureSpec], ready: bool) -> None:
    """The report's figures as drawn into the folder, with their headings and captions."""
    if not ready:
        st.info("Drawing the report's figures…", icon=":material/hourglass_top:")
        return
    for spec in specs:
        png = folder / FIGURES / f"{spec.stem}.png"
        if png.exists():
            st.markdown(f"**{spec.heading}**")
            st.image(str(png), caption=spec.caption)


def show_run(folder: Path, ready: bool) -> OutputFolder:
    """A run's headlines, waits, police hours, costs, outcomes, equity and figures."""
    output = read_output_folder(folder)
    assert output.summary is not None and output.run is not None
    summary, run = output.summary, output.run
    manifest = output.manifest or {}
    st.header(f"Results: {run.scenario_name}")
    st.caption(
        f"{manifest.get('replications')} replications, seed {manifest.get('seed')}, "
        f"{run.years:g} measured year(s) after a {run.warmup_days:g}-day warm-up. Means over "
        "the replications with their 95% confidence intervals."
    )
    uncertainty = manifest.get("uncertainty")
    if output.forecast is not None and isinstance(uncertainty, dict):
        st.info(
            f"How sure the forecast is: {uncertainty.get('sets')} sets of the uncertain "
            f"inputs, each run {manifest.get('replications')} times. {INTERVAL_WORDS}",
            icon=":material/insights:",
        )
    headline_list(headlines(summary, run.targets, run.diversion))
    st.subheader("Headline KPIs")
    _table(kpi_rows(summary, [k for k in HEADLINE_KPIS if k in CATALOGUE]))
    waits = _waits(output)
    if not waits.empty:
        st.subheader("Waits against targets")
        st.caption("A target is met only when the whole 95% confidence interval is within it.")
        _table(waits)
    hours = _police_hours(output)
    if run.diversion and not hours.empty:
        st.subheader("Police hours saved, by method")
        st.caption(
            "Published: every referral counted as an arrest avoided. Adjusted: the officer "
            "time of the outcome each find would otherwise have had, less the referral."
        )
        _table(hours)
    for family, title in FAMILY_TITLES.items():
        kpis = _family(summary, family)
        if kpis:
            with st.expander(title, expanded=family != EQUITY):
                _table(kpi_rows(summary, kpis))
    with st.expander("Every KPI (summary.csv)"):
        st.dataframe(summary, hide_index=True)
    st.subheader("Figures")
    _figures(folder, [*forecast_figures(output), *run_figures(output)], ready)
    return output


def show_comparison(folder: Path, ready: bool) -> None:
    """The paired comparison: sentences per scenario, the differences, its figures."""
    output = read_output_folder(folder)
    comparison = output.comparison
    assert comparison is not None
    base, other = comparison.base, comparison.others[0]
    st.header(f"Against {base} (paired)")
    st.caption(
        f"{other} and {base} ran on the same random numbers: the same finds and people "
        "recur wherever the rules allow, so each difference is taken replication by "
        "replication, with its 95% confidence interval."
    )
    headline_list(comparison_headlines(comparison))
    table = comparison.table
    kpis = list(dict.fromkeys(latest_policy_year(table["kpi"], k) for k in HEADLINE_KPIS))
    kpis += [k for k in table["kpi"].unique() if k.startswith("police_hours_per_year_y")]
    rows = table.set_index(["kpi", "scenario"])
    shown = []
    for kpi in dict.fromkeys(kpis):
        if (kpi, other) not in rows.index:
            continue
        mine, theirs = rows.loc[(kpi, other)], rows.loc[(kpi, base)]
        shown.append(
            {
                "KPI": kpi_label(kpi),
                base: format_value(theirs["mean"]),
                other: format_value(mine["mean"]),
                "difference": format_value(mine["diff_mean"]),
                "95% CI of the difference": format_interval(
                    mine["diff_ci_low"], mine["diff_ci_high"], mine["diff_mean"]
                ),
            }
        )
    if shown:
        _table(pd.DataFrame(shown))
    _figures(folder, comparison_figures(output), ready)


def downloads(job: RunJob) -> None:
    """The run folder as a zip, the HTML report(s), and the scenario as edited."""
    st.subheader("Downloads")
    run_folder = job.folders[RUN_FOLDER]
    columns = st.columns(4)
    archive = run_folder.parent / f"{run_folder.name}.zip"
    if not archive.exists():
        zip_folder(run_folder, run_folder.parent)
    columns[0].download_button(
        "Run folder (zip)",
        archive.read_bytes(),
        file_name=f"{job.request.scenario.name}-run.zip",
        mime="application/zip",
        key="download:zip",
    )
    columns[1].download_button(
        "Scenario as edited (TOML)",
        scenario_toml(job.request.scenario),
        file_name=f"{job.request.scenario.name}.toml",
        mime="application/toml",
        key="download:toml",
        help="Runs with `simdivert run FILE` to the same numbers (same seed and replications).",
    )
    for column, name, label in (
        (columns[2], RUN_FOLDER, "Report (HTML)"),
        (columns[3], COMPARISON_FOLDER, "Comparison report (HTML)"),
    ):
        report = job.folders.get(name, Path("/nonexistent")) / REPORT
        if report.exists():
            column.download_button(
                label,
                report.read_bytes(),
                file_name=f"{job.request.scenario.name}-{name}-report.html",
                mime="text/html",
                key=f"download:{name}-report",
            )


def scenario_toml(scenario: sd.Scenario) -> str:
    """The edited scenario as a file ``simdivert run`` takes."""
    return scenario_as_toml(
        scenario,
        f"# {scenario.name} as edited in the simdivert page: run it with\n"
        f"#   simdivert run {scenario.name}.toml\n"
        "# (the same seed and replications give the same numbers).\n\n",
    )


def show(job: RunJob) -> None:
    """Everything a finished run has to show."""
    ready = job.progress.stage == "done"
    show_run(job.folders[RUN_FOLDER], ready)
    if COMPARISON_FOLDER in job.folders:
        show_comparison(job.folders[COMPARISON_FOLDER], ready)
    if ready:
        downloads(job)
    job.shown.set()
