"""The report: written with the run or later from a saved folder, atomically, self-contained."""

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from synthetic_outputs import sweep_grid_table, write_sweep
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.outputs.readers import read_output_folder
from simdivert.reporting import plots
from simdivert.reporting.html import render_html
from simdivert.reporting.report import run_figures, write_report

from conftest import COMPARED, EMBEDDED, REPORT_RUN

runner = CliRunner()
RUN_FILES = [
    "manifest.json",
    "replications.csv",
    "summary.csv",
    "timeseries.csv",
    "utilisation.csv",
]
RUN_FIGURES = {
    "referrals_per_week",
    "queue_fan_chart",
    "waiting_times",
    "utilisation_over_time",
    "pathway_outcomes",
    "police_hours_saved",
    "formal_outcomes",
    "formal_outcome_share_by_group",
    "rri_by_stage",
}
COMPARE_FILES = ["comparison.csv", "manifest.json", "replications.csv"]
COMPARE_FIGURES = {
    "comparison_forest",
    "formal_outcomes",
    "formal_outcome_share_by_group",
    "police_hours_saved",
}


def figure_stems(folder: Path) -> set[str]:
    return {p.stem for p in (folder / "figures").glob("*.png")}


def saved_copy(run: Path, target: Path, events: bool = True, files=RUN_FILES) -> Path:
    """The folder's own output files, without any report: what a user keeps."""
    target.mkdir()
    for name in files + (["events.parquet"] if events else []):
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


def test_compare_report_writes_into_the_compare_folder(reported_comparison):
    names = sorted(p.name for p in reported_comparison.iterdir())
    assert names == sorted([*COMPARE_FILES, "figures", "report.html"])
    assert figure_stems(reported_comparison) == COMPARE_FIGURES
    html = (reported_comparison / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == len(COMPARE_FIGURES)
    for other in COMPARED[1:]:
        assert f"<h3>{other} against status_quo</h3>" in html
    assert 'id="assumptions"' in html and "What differs between the scenarios" in html
    # Thames Valley's rollout is one of the differences listed, value by value.
    assert "policy.youth.go_live_after_days" in html and "areas" in html


def test_compare_report_names_each_police_hours_method(reported_comparison):
    html = (reported_comparison / "report.html").read_text()
    block = re.search(r"<h3>west_midlands against status_quo</h3>(.*?)</ul>", html, re.S)[1]
    assert "by the published method, which counts every referral as an arrest avoided" in block
    assert "by the adjusted method, which counts the officer time of the outcome" in block
    assert "simulated, all officer hours on possession finds under status_quo less under" in block
    assert "Formal outcomes in policy year 1 (y1), against status_quo on the same finds" in block
    assert "The provider costs about £" in block


def test_compare_report_rebuilt_from_the_saved_files_is_the_same(reported_comparison, tmp_path):
    copy = saved_copy(reported_comparison, tmp_path / "kept", events=False, files=COMPARE_FILES)
    result = runner.invoke(app, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    for stem in COMPARE_FIGURES:
        again = (copy / "figures" / f"{stem}.png").read_bytes()
        assert again == (reported_comparison / "figures" / f"{stem}.png").read_bytes(), stem
    original = (reported_comparison / "report.html").read_text()
    assert headline_block((copy / "report.html").read_text()) == headline_block(original)


def test_compare_report_needs_the_manifest_scenarios(reported_comparison, tmp_path):
    copy = saved_copy(reported_comparison, tmp_path / "kept", events=False, files=COMPARE_FILES)
    manifest = copy / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"scenario_names"', '"names"'))
    assert f"{manifest}: scenario_names: expected the base then" in one_line_error(
        invoke_report(copy)
    )


def test_compare_report_checks_the_files_hold_the_same_scenarios(reported_comparison, tmp_path):
    copy = saved_copy(reported_comparison, tmp_path / "kept", events=False, files=COMPARE_FILES)
    table = pd.read_csv(copy / "comparison.csv")
    table[table["scenario"] != "thames_valley"].to_csv(copy / "comparison.csv", index=False)
    error = one_line_error(invoke_report(copy))
    assert "comparison.csv: scenario: holds status_quo, west_midlands, but the manifest" in error


def test_report_of_a_sweep(tmp_path):
    folder = write_sweep(tmp_path / "sweep")
    html = write_report(folder).read_text()
    assert figure_stems(folder) == {
        "sweep_assessment_wait_p90_days",
        "sweep_drug_worker_utilisation",
    }
    p90 = sweep_grid_table().query("kpi == 'assessment_wait_p90_days'")
    assert f"{p90['mean'].max():.1f} days (drug workers 2, annual growth 0.2)" in html


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
    # Nobody is referred: no referrals, queues, waits, staff work or hours saved to draw;
    # disproportionality at each stage still is.
    assert {spec.stem for spec in run_figures(output)} == {
        "formal_outcomes",
        "formal_outcome_share_by_group",
        "rri_by_stage",
    }
    html = render_html(output, [])
    assert "There is no diversion scheme in this scenario: nobody is referred" in html
    assert "Over the measured period, possession finds lead to" in html
    assert "rerun with --events" not in html


def test_report_of_a_staffing_plan(tmp_path):
    out = tmp_path / "plan"
    small = [
        "run.years=0.25",
        "run.warmup_days=14",
        "policy.launch_after_days=0",
        *EMBEDDED,
        "demand.searches_per_year=4000",
        "demand.other_finds_per_year=300",
    ]
    args = ["staff", *[a for s in small for a in ("--set", s)], "--reps", "2", "--workers", "1"]
    target = ["--target", "assessment_wait_p90_days<=14", "--out", str(out)]
    assert runner.invoke(app, [*args, *target]).exit_code == 0
    html = write_report(out).read_text()
    plan = pd.read_csv(out / "staffing_plan.csv")
    assert 'id="staffing"' in html and "assessment_wait_p90_days&lt;=14" in html
    for row in plan.itertuples():
        assert f"<td>{row.period}</td>" in html
    assert html.count("<tr>") >= len(plan) + 1
    assert "Checked on fresh replications" in html
    assert figure_stems(out) == {"staffing_wait_spread", "staffing_cost"}


def test_a_sweep_gets_a_report_with_heatmaps(tmp_path):
    sweep_file = tmp_path / "tiny.toml"
    sweep_file.write_text(
        'name = "tiny"\nscenario = "west_midlands"\nreplications = 2\nseed = 1\n\n[set]\n'
        '"run.years" = 0.1\n"run.warmup_days" = 7\n"policy.launch_after_days" = 0\n\n[grid]\n'
        '"provider.drug_workers" = [3, 5]\n"course.sessions_per_week.cannabis" = [6, 8]\n'
    )
    from typer.testing import CliRunner

    from simdivert.cli.app import app

    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        app, ["sweep", str(sweep_file), "--out", str(out), "--workers", "1", "--report"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists()
    assert (out / "figures" / "sweep_assessment_wait_p90_days.png").exists()


def test_figures_drawn_in_parallel_are_those_drawn_in_process(reported_run, tmp_path):
    """The same figure files and the same page (but for the embedded images' bytes)."""
    import re
    import shutil

    from simdivert.reporting.report import write_report

    pages = {}
    for workers in (1, 2):
        folder = shutil.copytree(reported_run, tmp_path / f"w{workers}")
        html = write_report(folder, workers=workers).read_text()
        pages[workers] = re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,…", html)
        files = sorted(p.name for p in (folder / "figures").iterdir())
        pages[f"files{workers}"] = files
    assert pages["files1"] == pages["files2"] and pages["files1"]
    strip_time = re.compile(r"report made \S+|folder w[12]")
    assert strip_time.sub("", pages[1]) == strip_time.sub("", pages[2])
