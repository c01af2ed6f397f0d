"""The command line's conventions, as a user types them: --version, completion, --json
and --quiet, progress, option types in --help, bracketed text, errors naming every
problem and the flag given."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from simdivert import __version__
from simdivert.cli.app import app
from simdivert.experiments.executors import InProcessExecutor
from simdivert.experiments.replications import run_experiments

from conftest import short_scenario

runner = CliRunner()
TINY = ["--years", "0.05", "--reps", "2", "--workers", "1"]
TINY += ["--set", "run.warmup_days=7", "--set", "policy.launch_after_days=0"]
COMMANDS = ("run", "validate", "compare", "staff", "sweep", "sensitivity", "report", "calibrate")


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"simdivert {__version__}"


def test_shell_completion_script():
    result = runner.invoke(app, ["--show-completion", "bash"], prog_name="simdivert")
    assert result.exit_code == 0
    assert "complete" in result.stdout and "simdivert" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_what_each_option_expects(command):
    text = runner.invoke(app, [command, "--help"]).stdout.partition("Options:")[2]
    assert "<bool>" not in text and "<int>" not in text and "<float>" not in text
    assert "<path>" not in text and "<list[str]>" not in text
    if "--reps" in text:
        assert re.search(r"--reps N\b", text)
    if "--report" in text:
        assert re.search(r"--report\s{2,}\S", text)  # a flag: no value after it


def test_bracketed_text_in_help_is_shown():
    text = runner.invoke(app, ["staff", "--help"]).stdout
    assert "scenario's [targets]" in " ".join(text.split())


@pytest.mark.parametrize(
    "command", ["run", "compare", "staff", "sweep", "sensitivity", "calibrate"]
)
def test_commands_that_print_tables_take_json_and_quiet(command):
    text = runner.invoke(app, [command, "--help"]).stdout
    assert "--json" in text and "-q, --quiet" in text


def test_run_json_is_the_result_alone_on_stdout(tmp_path):
    result = runner.invoke(app, ["run", *TINY, "--json", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["folder"] == str(tmp_path / "r")
    kpis = {row["kpi"]: row for row in document["summary"]}
    assert kpis["referrals_per_year"]["mean"] > 0
    assert set(kpis["referrals_per_year"]) == {"kpi", "mean", "ci_low", "ci_high", "unit"}


def test_quiet_prints_nothing_but_writes_the_files(tmp_path):
    result = runner.invoke(app, ["run", *TINY, "-q", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert (tmp_path / "r" / "summary.csv").exists()
    loud = runner.invoke(app, ["run", *TINY, "--out", str(tmp_path / "loud")])
    assert "Results written to" in loud.stdout  # quiet does not stick to later commands


def test_compare_and_sensitivity_json(tmp_path):
    compared = runner.invoke(
        app,
        ["compare", "status_quo", "west_midlands", *TINY, "--json", "--out", str(tmp_path / "c")],
    )
    assert compared.exit_code == 0, compared.output
    document = json.loads(compared.stdout)
    assert document["base"] == "status_quo"
    assert {row["scenario"] for row in document["comparison"]} == {"status_quo", "west_midlands"}
    varied = runner.invoke(
        app,
        ["sensitivity", *TINY, "--samples", "3", "--vary", "provider.drug_workers=4:6"]
        + ["--json", "--out", str(tmp_path / "s")],
    )
    assert varied.exit_code == 0, varied.output
    effects = json.loads(varied.stdout)["one_at_a_time"]
    assert {row["factor"] for row in effects} == {"provider.drug_workers"}


class CountingProgress:
    def __init__(self) -> None:
        self.planned_tasks = 0
        self.finished_tasks = 0

    def planned(self, tasks: int) -> None:
        self.planned_tasks += tasks

    def finished(self, tasks: int) -> None:
        self.finished_tasks += tasks


def test_executors_report_progress_for_every_batch():
    """What the progress bars of run, compare, staff and calibrate count."""
    scenario = short_scenario()
    progress = CountingProgress()
    with InProcessExecutor() as executor:
        executor.progress = progress
        run_experiments([scenario, scenario], 2, 1, executor)
        assert (progress.planned_tasks, progress.finished_tasks) == (4, 4)
        run_experiments([scenario], 3, 1, executor)
    assert (progress.planned_tasks, progress.finished_tasks) == (7, 7)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--reps", "0"], "'--reps'"),
        (["--years", "0"], "'--years'"),
        (["--years", "-1"], "'--years'"),
    ],
)
def test_run_options_are_reported_as_the_flag_given(args, flag):
    result = runner.invoke(app, ["run", *args])
    assert result.exit_code == 2
    assert flag in result.output and "--set" not in result.output


def test_an_error_lists_every_problem_with_suggestions():
    result = runner.invoke(
        app,
        ["validate", "west_midlands", "--set", "provider.drug_wrokers=3"]
        + ["--set", "contact.answer_probability=2"],
    )
    assert result.exit_code == 2
    line = " ".join(result.output.split())
    assert "provider.drug_wrokers: unknown key (did you mean drug_workers?)" in line
    assert "contact.answer_probability" in line
    assert "more problem" not in line
    assert line.startswith("error: --set: ")
