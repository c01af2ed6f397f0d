"""Hostile sizes: every size has a bound with its reason, a run is sized before it starts,
workers are capped at the cores, only regular files of a bounded size are read.

Sizes are refused, never tried: each case here returns in well under a second.
"""

import math
import os

import pytest
from hostile import (
    SHORT,
    SHORT_SET,
    assert_one_line_error,
    bound_of,
    cli,
    files_under,
    scenario_leaves,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simdivert.errors import ScenarioError, UserError
from simdivert.experiments import budget
from simdivert.experiments.executors import default_workers, local_executor
from simdivert.scenario.files import MAX_TOML_BYTES, load_scenario

BOUNDED = [(key, bound_of(field), field) for key, field in scenario_leaves() if bound_of(field)]
NUMBERS = [case for case in BOUNDED if case[2].annotation in (int, float)]


def test_the_sizes_that_drive_memory_and_time_have_bounds():
    keys = {key for key, _, _ in BOUNDED}
    assert {
        "run.years",
        "run.replications",
        "run.warmup_days",
        "demand.searches_per_year",
        "demand.other_finds_per_year",
        "demand.surges",
        "backlog.waiting_for_contact",
        "backlog.people",
        "provider.drug_workers",
        "course.facilitators",
        "refind.rate_per_year",
    } <= keys


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(NUMBERS), excess=st.floats(1.01, 1e6))
def test_any_value_above_a_bound_is_refused_with_the_bound_and_its_reason(case, excess):
    key, bound, field = case
    if field.annotation is int:
        value = str(math.floor(bound.limit * excess) + 1)
    else:
        value = repr(bound.limit * excess)
    with pytest.raises(ScenarioError) as caught:
        load_scenario("west_midlands", [f"{key}={value}"])
    assert (caught.value.source, caught.value.key) == ("override", key)
    assert "must be at most" in caught.value.problem
    assert bound.why in caught.value.problem


def test_a_list_longer_than_its_bound_is_refused(tmp_path):
    path = tmp_path / "surges.toml"
    surge = "{ start_day = 0, days = 1, multiplier = 1 }"
    path.write_text(
        f'extends = "west_midlands"\n[demand]\nsurges = [{", ".join([surge] * 1001)}]\n'
    )
    assert_one_line_error(cli("validate", path), "demand.surges: must be at most 1,000 entries")


@pytest.mark.parametrize(
    "args",
    [
        ["--reps", "1000000000"],
        ["--years", "1000000"],
        ["--set", "demand.searches_per_year=1e9"],
        ["--set", "backlog.waiting_for_contact=100000000"],
        ["--set", "demand.annual_growth=5", "--years", "50"],
        ["--set", "refind.desistance_per_year=1e-9"],
    ],
    ids=["reps", "years", "searches", "backlog", "growth", "desistance"],
)
def test_a_typo_in_a_size_is_one_line_and_nothing_is_written(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(cli("run", *args, "--workers", "1"))
    assert files_under(tmp_path) == set()


def test_more_workers_than_cores_needs_force(tmp_path):
    cores = default_workers()
    line = assert_one_line_error(
        cli("run", "--reps", "1", "--workers", "1000", "--out", tmp_path / "never"),
        "--workers 1000",
    )
    assert f"the {cores} cores" in line
    assert not (tmp_path / "never").exists()
    with pytest.raises(UserError):
        local_executor(cores + 1)
    with local_executor(cores + 1, force=True) as pool:  # no process starts until a task does
        assert pool.workers == cores + 1


def test_a_run_bigger_than_the_free_memory_is_refused_unless_forced(tmp_path, monkeypatch):
    monkeypatch.setattr(budget, "available_memory_bytes", lambda: 100e6)
    out = tmp_path / "never"
    line = assert_one_line_error(cli("run", *SHORT, *SHORT_SET, "--out", out))
    assert "too big for this machine" in line and "GB are free" in line
    assert not out.exists()
    forced = cli("run", *SHORT, *SHORT_SET, "--force", "--out", out)
    assert forced.exit_code == 0, forced.output
    assert (out / "summary.csv").exists()


def test_the_estimate_grows_with_the_run_and_refuses_a_run_of_years():
    small = load_scenario("west_midlands", ["run.years=1"])
    large = load_scenario("west_midlands", ["run.years=50", "demand.searches_per_year=5e6"])
    a, b = budget.estimate([(small, 1)], 1), budget.estimate([(large, 1)], 1)
    assert b.finds > 100 * a.finds and b.peak_bytes > a.peak_bytes
    with pytest.raises(UserError, match="too"):
        budget.check_budget([(large, 10_000)], default_workers())
    assert budget.check_budget([(large, 10_000)], default_workers(), force=True) is not None


@pytest.mark.parametrize("command", ["sweep", "staff"])
def test_sweeps_and_staffing_are_sized_before_they_run(tmp_path, command):
    if command == "sweep":
        sweep = tmp_path / "big.toml"
        grid = ", ".join(str(n) for n in range(1, 102))
        sweep.write_text(
            f'[grid]\n"provider.drug_workers" = [{grid}]\n"course.facilitators" = [{grid}]\n'
        )
        line = assert_one_line_error(cli("sweep", sweep, "--workers", "1"), "10,201 cells")
        lhs = tmp_path / "lhs.toml"
        lhs.write_text(
            '[latin_hypercube]\nsamples = 100000000\nranges = { "run.years" = [1, 2] }\n'
        )
        assert_one_line_error(cli("sweep", lhs, "--workers", "1"), "latin_hypercube.samples")
    else:
        line = assert_one_line_error(
            cli("staff", "--reps", "100000000", "--workers", "1", "--out", tmp_path / "never")
        )
    assert "too" in line or "cells" in line
    assert not (tmp_path / "never").exists() and not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder", "huge"])
def test_only_regular_files_of_a_bounded_size_are_read(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.toml"
        os.mkfifo(path)  # reading it would wait for a writer forever
    elif kind == "dev-zero":
        path = tmp_path / "child.toml"
        path.write_text('extends = "/dev/zero"\n')
    elif kind == "folder":
        path = tmp_path
    else:
        path = tmp_path / "huge.toml"
        path.write_text("# padding\n" * (MAX_TOML_BYTES // 10 + 1))
    line = assert_one_line_error(cli("validate", path))
    assert "not a regular file" in line or "larger than such a file can be" in line
