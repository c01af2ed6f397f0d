"""Calibration: the default scenario meets the built-in targets; ``simdivert calibrate``."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from simdivert.calibration import (
    DOCS_BEGIN,
    DOCS_END,
    load_targets,
    replace_marked_section,
    run_calibration,
)
from simdivert.cli import app
from simdivert.errors import ScenarioError, UserError
from simdivert.scenario_files import DEFAULT_SCENARIO

runner = CliRunner()
DEFAULT_TARGETS = [t for t in load_targets() if t.scenario == DEFAULT_SCENARIO]


@pytest.fixture(scope="module")
def default_checks():
    checks, _ = run_calibration(DEFAULT_TARGETS, replications=4, workers=2)
    return {c.target.kpi: c for c in checks}


def test_the_built_in_table_covers_the_published_figures():
    kpis = {t.kpi for t in DEFAULT_TARGETS}
    assert {
        "referrals_per_year",
        "share_assessed",
        "share_cannabis",
        "share_cocaine",
        "recording_uplift",
        "police_hours_saved_published_per_year",
        "police_hours_saved_adjusted_per_year",
    } <= kpis
    assert all(t.source for t in DEFAULT_TARGETS)


@pytest.mark.parametrize("kpi", [t.kpi for t in DEFAULT_TARGETS])
def test_default_scenario_meets_its_target(default_checks, kpi):
    check = default_checks[kpi]
    assert check.passed, f"{kpi}: mean {check.mean} outside {check.target.range_text()}"


def invoke(*args):
    return runner.invoke(app, ["calibrate", "--reps", "2", "--workers", "1", *map(str, args)])


def write_targets(path, rows: str):
    path.write_text(rows)
    return path


PASSING = """
[[target]]
scenario = "west_midlands"
figure = "referrals"
kpi = "referrals_per_year"
target = "some"
low = 1000
high = 100000
source = "test"
"""
FAILING = """
[[target]]
scenario = "west_midlands"
figure = "nearly all cannabis"
kpi = "share_cannabis"
target = "99%"
low = 0.99
source = "test"
"""


def test_calibrate_writes_the_tables_and_fails_on_a_missed_target(tmp_path):
    targets = write_targets(tmp_path / "targets.toml", PASSING + FAILING)
    docs = tmp_path / "VALIDATION.md"
    docs.write_text(f"# Before\n\n{DOCS_BEGIN}\nold table\n{DOCS_END}\n\n## After\n")
    out = tmp_path / "cal"
    result = invoke("--targets", targets, "--out", out, "--write-docs", "--docs", docs)
    assert result.exit_code == 1, result.output
    assert "1 of 2 checks failed" in result.stderr and "share_cannabis" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "calibration.csv",
        "calibration.md",
        "manifest.json",
    ]
    table = pd.read_csv(out / "calibration.csv")
    assert list(table["passed"]) == [True, False]
    assert list(table["kpi"]) == ["referrals_per_year", "share_cannabis"]
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()
    markdown = (out / "calibration.md").read_text()
    assert "| west_midlands | referrals (`referrals_per_year`) | some | 1,000–100,000 |" in markdown
    assert "**no**" in markdown and "1 of 2 checks pass." in markdown
    text = docs.read_text()
    assert text.startswith(f"# Before\n\n{DOCS_BEGIN}\n")
    assert text.endswith(f"{DOCS_END}\n\n## After\n")
    assert "old table" not in text and markdown in text


def test_all_checks_passing_exits_zero(tmp_path):
    targets = write_targets(tmp_path / "targets.toml", PASSING)
    result = invoke("--targets", targets, "--out", tmp_path / "ok")
    assert result.exit_code == 0, result.output
    assert "Results written to" in result.stdout


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (PASSING.replace("referrals_per_year", "nope"), "target[1]: unknown KPI 'nope'"),
        (PASSING + FAILING.replace("low = 0.99\n", ""), "target[2]: give at least one"),
        (PASSING.replace('source = "test"', 'source = "test"\nsauce = 1'), "target[1].sauce"),
        (PASSING.replace("high = 100000", "high = 10"), "low (1000.0) is above high (10.0)"),
        ("[[target]\n", "not valid TOML"),
    ],
)
def test_a_bad_targets_file_is_named_with_row_and_key(tmp_path, rows, message):
    targets = write_targets(tmp_path / "targets.toml", rows)
    with pytest.raises(ScenarioError) as caught:
        load_targets(targets)
    assert str(caught.value).startswith(f"{targets}: ")
    assert message in str(caught.value)
    result = invoke("--targets", targets, "--out", tmp_path / "never")
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "never").exists()


def test_an_unknown_scenario_in_the_targets(tmp_path):
    targets = write_targets(tmp_path / "t.toml", PASSING.replace("west_midlands", "atlantis"))
    result = invoke("--targets", targets, "--out", tmp_path / "never")
    assert result.exit_code == 2 and "atlantis: no such file" in result.stderr


def test_docs_without_markers_fail_before_running(tmp_path):
    docs = tmp_path / "VALIDATION.md"
    docs.write_text("# no markers here\n")
    result = invoke("--out", tmp_path / "never", "--write-docs", "--docs", docs)
    assert result.exit_code == 2 and "needs the markers" in result.stderr
    assert not (tmp_path / "never").exists()
    assert docs.read_text() == "# no markers here\n"
    with pytest.raises(UserError):
        replace_marked_section(f"{DOCS_END} then {DOCS_BEGIN}", "x", "doc.md")
