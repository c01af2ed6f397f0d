"""The report: written with the run or later from a saved folder, atomically, self-contained."""

import re
import shutil
from pathlib import Path

import pytest
from conftest import REPORT_RUN
from synthetic_outputs import sweep_grid_table, write_comparison, write_sweep
from typer.testing import CliRunner

from simdivert import plots
from simdivert.cli import app
from simdivert.output_readers import read_output_folder
from simdivert.report import run_figures, write_report
from simdivert.report_html import render_html

runner = CliRunner()
RUN_FILES = ["manifest.json", "replications.csv", "summary.csv", "timeseries.csv"]
RUN_FIGURES = {
    "referrals_per_week",
    "queue_fan_chart",
    "waiting_times",
    "pathway_outcomes",
    "police_hours_saved",
    "utilisation_by_role",
}


def figure_stems(folder: Path) -> set[str]:
    return {p.stem for p in (folder / "figures").glob("*.png")}


def saved_copy(run: Path, target: Path, events: bool = True) -> Path:
    """The run's own output files, without any report: what a user keeps."""
    target.mkdir()
    for name in RUN_FILES + (["events.parquet"] if events else []):
        shutil.copy2(run / name, target / name)
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def headline_block(html: str) -> str:
    return re.search(r'<ul class="headlines">.*?</ul>', html, re.S).group(0)


def test_run_report_writes_report_and_figures_into_the_run_folder(reported_run):
    names = sorted(p.name for p in reported_run.iterdir())
    assert names == sorted([*RUN_FILES, "events.parquet", "figures", "report.html"])
    assert figure_stems(reported_run) == RUN_FIGURES
    for stem in RUN_FIGURES:
        assert (reported_run / "figures" / f"{stem}.svg").stat().st_size > 1000
    html = (reported_run / "report.html").read_text()
    assert html.count('<img alt="') == len(RUN_FIGURES)
    assert html.count('src="data:image/png;base64,') == len(RUN_FIGURES)
    assert 'id="headline"' in html and 'id="assumptions"' in html and 'id="manifest"' in html


def test_report_needs_nothing_outside_the_file(reported_run):
    html = (reported_run / "report.html").read_text()
    external = re.findall(r'(?:src|href)\s*=\s*"(?!data:|#)([^"]*)"', html)
    assert external == []
    assert "<script" not in html and "@import" not in html and "url(" not in html


@pytest.fixture(scope="module")
def rebuilt(reported_run, tmp_path_factory) -> Path:
    """The run's files kept elsewhere, with a stale report, then ``simdivert report`` on them."""
    copy = saved_copy(reported_run, tmp_path_factory.mktemp("kept") / "run")
    (copy / "report.html").write_text("stale")
    (copy / "figures").mkdir()
    (copy / "figures" / "old.png").write_bytes(b"stale")
    result = runner.invoke(app, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert "Report written to" in result.stdout
    return copy


def test_report_rebuilt_later_from_the_saved_files_is_the_same(reported_run, rebuilt):
    """Figures come from the output files alone: a copy of them gives the same pictures."""
    for stem in RUN_FIGURES:
        for ext in ("png", "svg"):
            again = (rebuilt / "figures" / f"{stem}.{ext}").read_bytes()
            assert again == (reported_run / "figures" / f"{stem}.{ext}").read_bytes(), stem
    original = (reported_run / "report.html").read_text()
    assert headline_block((rebuilt / "report.html").read_text()) == headline_block(original)


def test_rebuilding_replaces_the_old_report_whole_and_touches_nothing_else(reported_run, rebuilt):
    assert figure_stems(rebuilt) == RUN_FIGURES  # the stale figure is gone
    assert (rebuilt / "report.html").read_text().startswith("<!DOCTYPE html>")
    for name in [*RUN_FILES, "events.parquet"]:
        assert (rebuilt / name).read_bytes() == (reported_run / name).read_bytes()
    assert not [p.name for p in rebuilt.iterdir() if p.name.startswith(".")]


def test_a_failed_report_leaves_the_previous_one_whole(rebuilt, tmp_path, monkeypatch):
    copy = tmp_path / "copy"
    shutil.copytree(rebuilt, copy)
    before = snapshot(copy)

    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(plots, "queue_fan_chart", broken)
    with pytest.raises(RuntimeError, match="drawing failed"):
        write_report(copy)
    assert snapshot(copy) == before
    assert not [p.name for p in copy.iterdir() if p.name.startswith(".")]


def test_without_the_event_log_the_report_says_how_to_get_the_waits(reported_run, tmp_path):
    copy = saved_copy(reported_run, tmp_path / "no_events", events=False)
    output = read_output_folder(copy)
    assert {spec.stem for spec in run_figures(output)} == RUN_FIGURES - {"waiting_times"}
    assert "rerun with --events" in render_html(output, [])


def test_report_of_a_comparison(tmp_path):
    folder = write_comparison(tmp_path / "compare")
    html = write_report(folder).read_text()
    assert figure_stems(folder) == {
        "comparison_forest",
        "formal_outcomes",
        "formal_outcome_share_by_group",
    }
    assert "Scenario comparison" in html
    assert "west_midlands_4_workers: wait to assessment for 9 in 10 is lower by" not in html
    assert "west_midlands: referrals a year is higher by 4,840 people/year" in html


def test_report_of_a_sweep(tmp_path):
    folder = write_sweep(tmp_path / "sweep")
    html = write_report(folder).read_text()
    assert figure_stems(folder) == {
        "sweep_assessment_wait_p90_days",
        "sweep_drug_worker_utilisation",
    }
    p90 = sweep_grid_table().query("kpi == 'assessment_wait_p90_days'")
    assert f"{p90['mean'].max():.1f} days (provider.drug_workers = 2" in html


def invoke_report(folder: Path):
    return runner.invoke(app, ["report", str(folder)])


def one_line_error(result) -> str:
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_report_of_a_missing_folder(tmp_path):
    assert "no such folder" in one_line_error(invoke_report(tmp_path / "absent"))


def test_report_of_a_folder_without_results(tmp_path):
    assert "no simdivert results here" in one_line_error(invoke_report(tmp_path))


def test_report_names_the_file_and_the_missing_column(reported_run, tmp_path):
    copy = saved_copy(reported_run, tmp_path / "kept")
    summary = copy / "summary.csv"
    summary.write_text(summary.read_text().replace("ci_high", "upper"))
    error = one_line_error(invoke_report(copy))
    assert f"{summary}: missing column(s) ci_high" in error
    assert not (copy / "report.html").exists() and not (copy / "figures").exists()


def test_report_names_a_broken_manifest(reported_run, tmp_path):
    copy = saved_copy(reported_run, tmp_path / "kept")
    (copy / "manifest.json").write_text("{not json")
    assert "manifest.json: not valid JSON" in one_line_error(invoke_report(copy))


def test_a_failed_report_keeps_the_run_results(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(plots, "referrals_per_week", broken)
    out = tmp_path / "run"
    result = runner.invoke(app, [*REPORT_RUN, "--reps", "1", "--out", str(out)])
    assert isinstance(result.exception, RuntimeError)
    assert sorted(p.name for p in out.iterdir()) == sorted([*RUN_FILES, "events.parquet"])


def test_a_status_quo_run_reports_what_it_has(tmp_path):
    out = tmp_path / "status_quo"
    args = [*REPORT_RUN, "--reps", "1", "--set", "policy.diversion=false"]
    args.remove("--report")
    result = runner.invoke(app, [*args, "--events", "--out", str(out)])
    assert result.exit_code == 0, result.output
    output = read_output_folder(out)
    # Nobody is referred: no waits, no pathway outcomes to draw.
    assert {spec.stem for spec in run_figures(output)} == {
        "referrals_per_week",
        "queue_fan_chart",
        "police_hours_saved",
        "utilisation_by_role",
    }
    assert "Nobody is referred to the provider." in render_html(output, [])
