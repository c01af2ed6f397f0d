"""Value labels on bars and lines never overlap, measured on the drawn figure."""

import itertools

import pandas as pd
import pytest
from synthetic_outputs import sweep_grid_table

from simdivert.outputs.readers import SweepSummary
from simdivert.reporting import comparison_plots, plots, sweep_plots

FAMILIES = ("possession_charges", "possession_cautions", "possession_community_resolutions")


def outcome_table(scenarios: int) -> pd.DataFrame:
    """Police outcomes by year for ``scenarios`` scenarios, the later ones close together."""
    rows = []
    for family, year, number in itertools.product(FAMILIES, ("y0", "y1", "y2"), range(scenarios)):
        base = 400.0 if family == FAMILIES[0] else 60.0
        mean = base * (1 - 0.02 * number * (year != "y0"))
        diff = mean - base
        rows.append(
            {
                "outcome": family,
                "year": year,
                "scenario": "status_quo" if number == 0 else f"scheme_{number}",
                "mean": mean,
                "ci_low": mean * 0.95,
                "ci_high": mean * 1.05,
                "diff_mean": diff,
                "diff_ci_low": diff - 3,
                "diff_ci_high": diff + 3,
            }
        )
    return pd.DataFrame(rows)


def shown_labels(figure):
    """The visible annotations' extents, on the figure as rendered for its PNG."""
    plots.render_figure(figure)
    renderer = figure.canvas.get_renderer()
    return [
        (text.get_text(), text.get_window_extent(renderer))
        for ax in figure.axes
        for text in ax.texts
        if text.get_visible() and text.get_text()
    ]


def assert_no_two_overlap(labels) -> None:
    for (a, box_a), (b, box_b) in itertools.combinations(labels, 2):
        assert not box_a.overlaps(box_b), f"{a!r} overlaps {b!r}"


@pytest.mark.parametrize("scenarios", [2, 6])
def test_police_outcome_changes_never_overlap_and_the_panels_share_a_y_axis(scenarios):
    figure = comparison_plots.formal_outcomes(outcome_table(scenarios), "status_quo")
    labels = shown_labels(figure)
    assert_no_two_overlap(labels)
    assert len(labels) >= 2 * (scenarios - 1)  # most changes are still written
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert len({ax.get_ylim() for ax in panels}) == 1


def test_two_close_variants_on_a_line_chart_keep_their_values_apart():
    table = sweep_grid_table()
    one = table[table["demand.annual_growth"] == 0.0].drop(columns="demand.annual_growth")
    near = one.assign(variant="more_triage", mean=one["mean"] * 1.01)
    summary = SweepSummary(
        pd.concat([one.assign(variant="as_is"), near]), ["variant", "provider.drug_workers"]
    )
    figure = sweep_plots.sweep_chart(summary, "assessment_wait_p90_days")
    assert len(figure.axes[0].get_lines()) == 2  # a line per variant
    labels = shown_labels(figure)
    assert_no_two_overlap(labels)
    assert len(labels) == 6  # mirrored below the marker, none left out
