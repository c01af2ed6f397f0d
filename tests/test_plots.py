"""Figures from output files: what they show, titles and labels, PNG and SVG."""

import dataclasses
import struct

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import AxesImage
from synthetic_outputs import sweep_grid_table

from simdivert.kpis import kpi_label
from simdivert.outputs.readers import (
    SweepSummary,
    group_share_rows,
    outcome_rows,
    read_manifest,
    read_output_folder,
    read_stage_waits,
    read_timeseries,
    read_utilisation,
    run_estimates,
    run_facts,
)
from simdivert.reporting import comparison_plots, plots, sweep_plots
from simdivert.reporting.report import forest_kpis, police_hours_estimates
from simdivert.reporting.sweep_design import sweep_design, value_words

A4_PNG_WIDTH = round(plots.A4_WIDTH_INCHES * plots.PNG_DPI)


@pytest.fixture(scope="module")
def run_files(reported_run):
    run = run_facts(read_manifest(reported_run), reported_run / "manifest.json")
    return {
        "run": run,
        "summary": pd.read_csv(reported_run / "summary.csv"),
        "replications": pd.read_csv(reported_run / "replications.csv"),
        "timeseries": read_timeseries(reported_run / "timeseries.csv"),
        "utilisation": read_utilisation(reported_run / "utilisation.csv"),
        "waits": read_stage_waits(reported_run / "events.parquet", run),
    }


@pytest.fixture(scope="module")
def comparison(reported_comparison):
    return read_output_folder(reported_comparison).comparison


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def check_titled_and_labelled(figure) -> None:
    assert figure.get_suptitle()
    visible = [ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert any(ax.get_xlabel() for ax in visible)
    assert any(ax.get_ylabel() for ax in visible) or any(
        ax.get_yticklabels()[0].get_text() for ax in visible
    )


def vertical_lines_at(ax) -> list[float]:
    return [
        line.get_xdata()[0]
        for line in ax.get_lines()
        if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]
    ]


def test_waits_from_the_event_log_agree_with_the_kpis(run_files):
    """The histograms show the same waits as the KPIs: the people referred from the launch
    on (the event log's diverted finds), per replication the same P90 and mean."""
    waits, replications = run_files["waits"], run_files["replications"].set_index("replication")
    assert set(waits["stage"]) == {"first_contact", "assessment", "one_to_one", "course"}
    per_rep = waits.groupby(["stage", "replication"], observed=True)["wait_days"]
    p90 = per_rep.quantile(0.9)
    mean = per_rep.mean()
    for r in replications.index:
        kpis = replications.loc[r]
        assert p90["assessment", r] == pytest.approx(kpis["assessment_wait_p90_days"], rel=1e-12)
        assert p90["course", r] == pytest.approx(kpis["course_wait_p90_days"], rel=1e-12)
        assert mean["assessment", r] == pytest.approx(kpis["assessment_wait_mean_days"])
        assert mean["first_contact", r] == pytest.approx(kpis["first_contact_wait_mean_days"])
        assert mean["one_to_one", r] == pytest.approx(kpis["one_to_one_wait_mean_days"])
    assert (waits["wait_days"] >= 0).all()


def test_referrals_per_week_mark_the_launch_and_leave_out_the_partial_last_week(run_files):
    run, timeseries = run_files["run"], run_files["timeseries"]
    figure = plots.referrals_per_week(timeseries, run)
    check_titled_and_labelled(figure)
    (ax,) = figure.axes
    median = [line for line in ax.get_lines() if line.get_label().startswith("median")][0]
    contact = timeseries[timeseries["stage"] == "contact"]
    expected = contact.groupby("week")["waits_started"].median().iloc[: run.whole_weeks]
    np.testing.assert_allclose(median.get_ydata(), expected.to_numpy())
    assert run.whole_weeks < contact["week"].nunique()  # two years and 7 days: a partial week
    assert vertical_lines_at(ax) == [pytest.approx(run.launch_weeks)]
    assert run.launch_weeks == pytest.approx((7 + 365) / 7)
    # Nobody is referred before the launch.
    assert expected.loc[: int(run.launch_weeks) - 1].sum() == 0
    assert not any("uplift" in t.get_text() for t in ax.texts)  # on recorded offences
    start = run.start_date.strftime("%b %Y")
    assert ax.xaxis.get_major_formatter()(0) == start  # dates, not weeks of the run
    assert ax.get_xlabel() == "date (the week beginning)"


def test_a_rollout_marks_when_more_areas_go_live(run_files):
    run = dataclasses.replace(
        run_files["run"],
        area_go_live_days=(("Pilot", 0.0), ("North", 140.0), ("South", 140.0), ("Late", 1e4)),
    )
    figure = plots.referrals_per_week(run_files["timeseries"], run)
    (ax,) = figure.axes
    go_live = run.launch_weeks + 20  # 140 days later; "Late" is after the end of the run
    assert vertical_lines_at(ax) == [pytest.approx(run.launch_weeks), pytest.approx(go_live)]
    assert [t.get_text().replace("\n", " ") for t in ax.texts] == ["North, South go live"]


def test_every_run_figure_is_titled_labelled_and_a4_wide(run_files, tmp_path):
    run, summary = run_files["run"], run_files["summary"]
    estimates = run_estimates(summary, run.scenario_name)
    shares = group_share_rows(estimates).assign(series=lambda t: t["year"])
    figures = {
        "referrals": plots.referrals_per_week(run_files["timeseries"], run),
        "queues": plots.queue_fan_chart(run_files["timeseries"], run),
        "waits": plots.waiting_time_distributions(run_files["waits"], {"assessment": 14.0}),
        "staff": plots.utilisation_over_time(run_files["utilisation"], run),
        "outcomes": plots.pathway_outcomes(summary),
        "police": plots.police_hours_saved(police_hours_estimates(summary, run.scenario_name)),
        "formal": comparison_plots.formal_outcomes(outcome_rows(estimates), run.scenario_name),
        "shares": comparison_plots.formal_outcome_shares(shares, ["y0", "y1"], "y0"),
    }
    for stem, figure in figures.items():
        check_titled_and_labelled(figure)
        paths = plots.save_figure(figure, tmp_path, stem)
        assert png_size(paths["png"].read_bytes())[0] == A4_PNG_WIDTH
        assert paths["svg"].read_text().lstrip().startswith("<?xml")


def test_utilisation_over_time_shows_weekly_medians_and_the_policy_mean(run_files):
    run, utilisation = run_files["run"], run_files["utilisation"]
    means = {"drug_workers": (0.7, 0.69, 0.71)}
    figure = plots.utilisation_over_time(utilisation, run, means)
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert titles == list(plots.ROLE_LABELS.values())
    for ax, role in zip(figure.axes, plots.ROLE_LABELS, strict=True):
        rows = utilisation[(utilisation["role"] == role) & (utilisation["week"] < run.whole_weeks)]
        expected = rows.groupby("week")["utilisation"].median() * 100
        median = [line for line in ax.get_lines() if line.get_label().startswith("median")][0]
        np.testing.assert_allclose(median.get_ydata(), expected.to_numpy())
    level = figure.axes[0].get_legend().get_texts()[0].get_text()
    assert level == "policy-period mean 70.0% (95% CI 69.0% to 71.0%)"
    assert figure.axes[1].get_legend() is None


def test_queue_fan_chart_has_a_panel_per_stage(run_files):
    figure = plots.queue_fan_chart(run_files["timeseries"], run_files["run"])
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert titles == list(plots.STAGE_QUEUE_LABELS.values())


def test_wait_histogram_marks_the_target_and_the_share_within_it(run_files):
    waits = run_files["waits"]
    figure = plots.waiting_time_distributions(waits, {"assessment": 5.0})
    assessment = waits.loc[waits["stage"] == "assessment", "wait_days"]
    within = f"{(assessment <= 5.0).mean():.1%} within"
    legends = [t.get_text() for ax in figure.axes for t in ax.get_legend().get_texts()]
    assert any(text == f"target 5 days: {within}" for text in legends)


def test_stages_where_no_wait_ended_are_named(run_files):
    waits = run_files["waits"]
    figure = plots.waiting_time_distributions(waits[waits["stage"] == "first_contact"], {})
    assert [ax.get_title(loc="left") for ax in figure.axes if ax.get_visible()] == [
        "Referral to first answered call"
    ]
    note = " ".join(figure.get_supxlabel().split())
    assert note == (
        "No wait ended before the end of the run for: referral to assessment call; "
        "assessment to one-to-one; assessment to first group session."
    )


def test_forest_plot_shows_each_paired_difference_and_its_replications(comparison):
    kpis = forest_kpis(comparison)
    # The base (status quo) refers nobody (and pays no provider): waits, completions and
    # the cost per completion have no difference; referrals and the provider's cost do.
    assert kpis == [
        "referrals_per_year",
        "charges_per_year_y1",
        "cautions_per_year_y1",
        "formal_outcome_share_black_male_y1",
        "police_hours_per_year_y1",
        "provider_cost_per_year",
    ]
    figure = comparison_plots.comparison_forest(comparison, kpis)
    check_titled_and_labelled(figure)
    assert "status_quo" in figure.get_suptitle()
    table = comparison.table.set_index(["kpi", "scenario"])
    ax = figure.axes[1]
    assert ax.get_title(loc="left") == kpi_label("charges_per_year_y1")
    markers = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [m.get_xdata()[0] for m in markers] == pytest.approx(
        [table.loc[("charges_per_year_y1", s), "diff_mean"] for s in comparison.others]
    )
    ticks = [line for line in ax.get_lines() if line.get_marker() == "|"]
    assert [len(t.get_xdata()) for t in ticks] == [2, 2]  # one per replication
    assert figure.axes[3].get_xlabel() == "difference (percentage points)"
    assert figure.axes[5].get_xlabel() == "difference (£/year)"


def test_formal_outcomes_mark_the_change_from_the_base_in_each_policy_year(comparison):
    outcomes = outcome_rows(comparison.table)
    figure = comparison_plots.formal_outcomes(outcomes, "status_quo")
    check_titled_and_labelled(figure)
    charges = figure.axes[0]
    assert [t.get_text() for t in charges.get_xticklabels()] == [
        "before launch (y0)",
        "policy year 1",
    ]
    table = comparison.table.set_index(["kpi", "scenario"])
    base = table.loc[("charges_per_year_y1", "status_quo"), "mean"]
    expected = [
        f"{table.loc[('charges_per_year_y1', s), 'diff_mean'] / base:+.0%}"
        for s in comparison.others
    ]
    # Only the policy year is marked: before the launch every scenario has the same finds.
    assert [t.get_text() for t in charges.texts] == expected
    assert table.loc[("charges_per_year_y0", "west_midlands"), "diff_mean"] == 0


def test_group_shares_show_every_group_and_scenario(comparison):
    shares = group_share_rows(comparison.table)
    latest = shares[shares["year"] == "y1"].assign(series=lambda t: t["scenario"])
    figure = comparison_plots.formal_outcome_shares(latest, comparison.names, "status_quo")
    check_titled_and_labelled(figure)
    (ax,) = figure.axes
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[:3] == ["white\nmale", "white\nfemale", "black\nmale"] and len(labels) == 10
    heights = sorted(p.get_height() for p in ax.patches if not np.isnan(p.get_height()))
    assert heights == pytest.approx(sorted(latest["mean"].dropna() * 100))


def test_simulated_police_hours_are_the_paired_policy_year_differences(comparison):
    simulated = comparison.police_hours_saved_simulated().set_index("scenario")
    reps = comparison.replications.pivot(
        index="replication", columns="scenario", values="police_hours_per_year_y1"
    )
    for scenario in comparison.others:
        saved = reps["status_quo"] - reps[scenario]
        assert simulated.loc[scenario, "mean"] == pytest.approx(saved.mean())
        assert simulated.loc[scenario, "years"] == "y1"
        assert simulated.loc[scenario, "ci_low"] < saved.mean() < simulated.loc[scenario, "ci_high"]
    figure = plots.police_hours_saved(
        police_hours_estimates(
            comparison.table[comparison.table["scenario"] == "west_midlands"],
            "west_midlands",
            simulated.loc["west_midlands"],
        ),
        "status_quo",
    )
    check_titled_and_labelled(figure)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert [label.split("\n")[0] for label in labels] == [
        "Published method: every referral",
        "Adjusted: the officer time of the",
        "Simulated: all officer hours on",
    ]
    assert "against status_quo" in labels[2]


def test_sweep_heatmap_puts_each_cell_in_its_place():
    table = sweep_grid_table()
    figure = sweep_plots.sweep_chart(
        SweepSummary(table, ["provider.drug_workers", "demand.annual_growth"]),
        "assessment_wait_p90_days",
    )
    check_titled_and_labelled(figure)
    (image,) = [a for ax in figure.axes for a in ax.get_children() if isinstance(a, AxesImage)]
    grid = image.get_array()
    assert grid.shape == (2, 3)  # growth (rows) x workers (columns)
    assert grid[1, 0] == pytest.approx(5 + 20 * 1.2 / 2)  # growth 0.2, two workers


def test_sweep_of_one_parameter_is_a_line_and_a_sample_is_points():
    table = sweep_grid_table()
    one = table[table["demand.annual_growth"] == 0].drop(columns="demand.annual_growth")
    line = sweep_plots.sweep_chart(
        SweepSummary(one, ["provider.drug_workers"]), "assessment_wait_p90_days"
    )
    check_titled_and_labelled(line)
    np.testing.assert_allclose(line.axes[0].get_lines()[0].get_xdata(), [2, 3, 4])
    rng = np.random.default_rng(0)
    sample = pd.DataFrame(
        {
            "provider.drug_workers": rng.uniform(2, 6, 12),
            "demand.annual_growth": rng.uniform(0, 0.3, 12),
            "kpi": "assessment_wait_p90_days",
            "mean": rng.uniform(5, 20, 12),
            "ci_low": 4.0,
            "ci_high": 21.0,
        }
    )
    points = sweep_plots.sweep_chart(
        SweepSummary(sample, ["provider.drug_workers", "demand.annual_growth"]),
        "assessment_wait_p90_days",
    )
    check_titled_and_labelled(points)
    visible = [ax for ax in points.axes if ax.get_visible()]
    assert [ax.get_xlabel() for ax in visible] == [
        "Drug workers in post (FTE)",
        "Growth in finds a year",
    ]
    assert plots.drawn_points(points) >= 2 * 12  # every cell a point in each panel


def variant_grid_table() -> pd.DataFrame:
    """The README's sweep: two demand variants (each setting two keys) x drug workers."""
    rows = []
    cell = 0
    for label, searches in (("demand as now", 26372.0), ("demand +20%", 31646.0)):
        for workers in (4.0, 6.0):
            for kpi, mean in (("assessment_wait_p90_days", searches / 1000 / workers),):
                rows.append(
                    {
                        "cell": cell,
                        "scenario": "west_midlands",
                        "variant": label,
                        "demand.searches_per_year": searches,
                        "demand.other_finds_per_year": searches / 10,
                        "provider.drug_workers": workers,
                        "kpi": kpi,
                        "mean": mean,
                        "ci_low": mean * 0.9,
                        "ci_high": mean * 1.1,
                    }
                )
            cell += 1
    return pd.DataFrame(rows)


def test_a_sweeps_design_is_read_from_its_cells():
    table = variant_grid_table()
    parameters = [
        "variant",
        "demand.searches_per_year",
        "demand.other_finds_per_year",
        "provider.drug_workers",
    ]
    design = sweep_design(SweepSummary(table, parameters))
    assert design.categories == ["variant"]
    assert design.named == ["demand.searches_per_year", "demand.other_finds_per_year"]
    assert design.grid == ["provider.drug_workers"]
    assert design.samples == []
    assert list(design.cells["label"]) == [
        "demand as now, drug workers 4",
        "demand as now, drug workers 6",
        "demand +20%, drug workers 4",
        "demand +20%, drug workers 6",
    ]
    grid = sweep_design(
        SweepSummary(sweep_grid_table(), ["provider.drug_workers", "demand.annual_growth"])
    )
    assert (grid.categories, grid.grid, grid.samples) == (
        [],
        ["provider.drug_workers", "demand.annual_growth"],
        [],
    )


def test_variants_are_categories_never_numbers():
    """A line per variant over the grid key; variants alone: a bar each, named."""
    table = variant_grid_table()
    parameters = [
        "variant",
        "demand.searches_per_year",
        "demand.other_finds_per_year",
        "provider.drug_workers",
    ]
    figure = sweep_plots.sweep_chart(SweepSummary(table, parameters), "assessment_wait_p90_days")
    check_titled_and_labelled(figure)
    lines = [line for line in figure.axes[0].get_lines() if len(line.get_xdata()) == 2]
    assert [line.get_label() for line in lines] == ["demand as now", "demand +20%"]
    np.testing.assert_allclose(lines[1].get_ydata(), [31.646 / 4, 31.646 / 6])
    alone = table[table["provider.drug_workers"] == 4].drop(columns="provider.drug_workers")
    bars = sweep_plots.sweep_chart(SweepSummary(alone, parameters[:3]), "assessment_wait_p90_days")
    ticks = [t.get_text() for t in bars.axes[0].get_yticklabels()]
    assert ticks[0].startswith("demand as now\n") and ticks[1].startswith("demand +20%\n")
    assert plots.drawn_points(bars) >= 2


def test_values_are_written_for_people():
    assert value_words(4.0) == "4"
    assert value_words(0.12345) == "0.123"
    assert value_words('["Mon", "Tue"]') == "Mon, Tue"
    assert value_words('{"cannabis": 8, "general": 2}') == "cannabis 8, general 2"
    assert len(value_words("x" * 100)) == 40


def test_tornado_puts_the_largest_swing_on_top():
    from simdivert.reporting.sensitivity_plots import tornado, tornado_rows

    effects = pd.DataFrame(
        {
            "kpi": "assessment_wait_p90_days",
            "factor": ["engagement.patience_days", "provider.drug_workers"],
            "low": [7, 4],
            "high": [21, 6],
            "mean_at_low": [8.6, 11.0],
            "mean_at_base": [8.6, 8.6],
            "mean_at_high": [8.7, 7.0],
            "swing": [0.1, -4.0],
            "swing_ci_low": [-0.1, -4.5],
            "swing_ci_high": [0.3, -3.5],
        }
    )
    assert list(tornado_rows(effects, "assessment_wait_p90_days")["factor"]) == [
        "provider.drug_workers",
        "engagement.patience_days",
    ]
    figure = tornado(effects, "assessment_wait_p90_days")
    check_titled_and_labelled(figure)
    top = figure.axes[0].get_yticklabels()[0].get_text()  # at the highest y
    assert top.startswith("Drug workers in post (FTE)\n4 – 6: swing −4.0")
    assert plots.drawn_points(figure) >= 4  # two bars a factor
