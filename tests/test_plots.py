"""Figures from output files: what they show, titles and labels, PNG and SVG."""

import struct

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.image import AxesImage
from synthetic_outputs import comparison_table, sweep_grid_table

from simdivert import comparison_plots, plots
from simdivert.output_readers import (
    SweepSummary,
    read_manifest,
    read_stage_waits,
    read_timeseries,
    run_facts,
)

A4_PNG_WIDTH = round(plots.A4_WIDTH_INCHES * plots.PNG_DPI)


@pytest.fixture(scope="module")
def run_files(reported_run):
    run = run_facts(read_manifest(reported_run), reported_run / "manifest.json")
    return {
        "run": run,
        "summary": pd.read_csv(reported_run / "summary.csv"),
        "replications": pd.read_csv(reported_run / "replications.csv"),
        "timeseries": read_timeseries(reported_run / "timeseries.csv"),
        "waits": read_stage_waits(reported_run / "events.parquet", run),
    }


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


def test_waits_from_the_event_log_agree_with_the_kpis(run_files):
    """The histograms show the same waits as the KPIs: per replication, same P90 and mean."""
    waits, replications = run_files["waits"], run_files["replications"].set_index("replication")
    per_rep = waits.groupby(["stage", "replication"])["wait_days"]
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


def test_referrals_per_week_leave_out_the_partial_last_week(run_files):
    run, timeseries = run_files["run"], run_files["timeseries"]
    figure = plots.referrals_per_week(timeseries, run, (0.3, 0.29, 0.31))
    check_titled_and_labelled(figure)
    (ax,) = figure.axes
    median = ax.get_lines()[0]
    contact = timeseries[timeseries["stage"] == "contact"]
    expected = contact.groupby("week")["waits_started"].median().iloc[: run.whole_weeks]
    np.testing.assert_allclose(median.get_ydata(), expected.to_numpy())
    assert run.whole_weeks < contact["week"].nunique()  # 0.1 years: a partial week


def test_every_run_figure_is_titled_labelled_and_a4_wide(run_files, tmp_path):
    run, summary = run_files["run"], run_files["summary"]
    figures = {
        "referrals": plots.referrals_per_week(run_files["timeseries"], run),
        "queues": plots.queue_fan_chart(run_files["timeseries"], run),
        "waits": plots.waiting_time_distributions(run_files["waits"], {"assessment": 14.0}),
        "outcomes": plots.pathway_outcomes(summary),
        "police": plots.police_hours_saved(summary),
        "staff": plots.utilisation_by_role(summary),
    }
    for stem, figure in figures.items():
        check_titled_and_labelled(figure)
        paths = plots.save_figure(figure, tmp_path, stem)
        assert png_size(paths["png"].read_bytes())[0] == A4_PNG_WIDTH
        assert paths["svg"].read_text().lstrip().startswith("<?xml")


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


def test_forest_plot_has_a_panel_per_kpi_with_a_difference():
    comparison = comparison_table()
    figure = comparison_plots.comparison_forest(comparison)
    check_titled_and_labelled(figure)
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.get_visible()]
    # The baseline (status quo) has no waits or completions: those have no difference.
    assert titles == ["referrals a year", "police hours saved (adjusted)"]
    assert "status_quo" in figure.get_suptitle()


def test_formal_outcomes_mark_the_change_from_the_status_quo():
    figure = comparison_plots.formal_outcomes(comparison_table())
    check_titled_and_labelled(figure)
    (ax,) = figure.axes
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("-71%") == 2  # charges 1,200 -> 348 in both diversion scenarios
    assert labels.count("-80%") == 2  # cautions 400 -> 80
    assert [t.get_text() for t in ax.get_xticklabels()] == ["charges", "cautions"]


def test_group_shares_show_every_group_and_scenario():
    figure = comparison_plots.formal_outcome_shares(comparison_table())
    check_titled_and_labelled(figure)
    (ax,) = figure.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["white", "black", "asian"]
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == sorted([30.0, 46.0, 35.0, 10.0, 12.5, 11.0, 10.0, 12.5, 11.0])


def test_sweep_heatmap_puts_each_cell_in_its_place():
    table = sweep_grid_table()
    figure = comparison_plots.sweep_chart(
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
    line = comparison_plots.sweep_chart(
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
    points = comparison_plots.sweep_chart(
        SweepSummary(sample, ["provider.drug_workers", "demand.annual_growth"]),
        "assessment_wait_p90_days",
    )
    check_titled_and_labelled(points)
    assert any(isinstance(c, PathCollection) for c in points.axes[0].get_children())
