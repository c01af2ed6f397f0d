"""Hostile files and values: every user mistake is one line naming the file the user
wrote, the key and the problem; never a traceback."""

import copy
import json
import tomllib
from pathlib import Path

import pytest
from hostile import (
    SHORT,
    SHORT_SET,
    assert_one_line_error,
    cli,
    is_number,
    may_be_infinite,
    scenario_leaves,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from simdivert.scenario.files import first_problem, load_scenario
from simdivert.scenario.schema import Scenario

NUMBERS = [key for key, field in scenario_leaves() if is_number(field)]
BAD_NUMBERS = ["inf", "-inf", "nan", "true", "false"]


def test_every_number_in_the_schema_refuses_inf_nan_and_booleans():
    """Each number the dotted keys reach, given each bad value: refused at that key."""
    assert len(NUMBERS) > 100
    fields = dict(scenario_leaves())
    base = load_scenario("west_midlands").model_dump(mode="json")
    checked = reached = 0
    for key in NUMBERS:
        *tables, leaf = key.split(".")
        if _table(base, tables) is None:
            continue  # an optional table the base leaves out (e.g. a youth scheme)
        reached += 1
        for bad in BAD_NUMBERS:
            data = copy.deepcopy(base)
            _table(data, tables)[leaf] = tomllib.loads(f"v = {bad}")["v"]
            if bad == "inf" and may_be_infinite(fields[key]):
                assert Scenario.model_validate(data)  # "no limit"
                continue
            with pytest.raises(ValidationError) as caught:
                Scenario.model_validate(data)
            assert first_problem(caught.value, data)[0] == key, (key, bad)
            checked += 1
    assert reached > 100 and checked == 5 * reached - 1


def _table(data: dict, tables: list[str]) -> dict | None:
    node: dict | None = data
    for table in tables:
        node = None if node is None else node[table]
    return node


def test_only_patience_means_no_limit():
    fields = dict(scenario_leaves())
    assert [key for key in NUMBERS if may_be_infinite(fields[key])] == ["engagement.patience_days"]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("run.years=inf", "run.years: Input should be a finite number"),
        ("run.warmup_days=nan", "run.warmup_days: Input should be a finite number"),
        ("refind.rate_per_year=inf", "refind.rate_per_year: Input should be a finite number"),
        ("provider.drug_workers=inf", "provider.drug_workers: Input should be a finite number"),
        ("costs.police_cost_per_hour=inf", "costs.police_cost_per_hour.amount: Input should be"),
        (
            "policy.accept_share=true",
            "policy.accept_share: Input should be a valid number (got true)",
        ),
        ("demand.hour_weights=[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,true]", ".23:"),
        ("course.session_hours=20", "course.session_hours: must be at most 12"),
        ("course.session_start_hours=[10,11]", "session_start_hours 10 and 11 overlap"),
        ("course.session_start_hours=[22]", "would end after midnight"),
        ("provider..drug_workers=3", "--set: provider..drug_workers: a dotted key with an empty"),
        ("provider.assessment_minutes.mean=inf", "provider.assessment_minutes.mean: Input"),
        pytest.param(
            "run.years=" + "[" * 5000 + "]" * 5000,
            "run.years: the value is nested too deeply",
            id="nested-5000-deep",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_override(value, fragment):
    line = assert_one_line_error(cli("validate", "west_midlands", "--set", value), fragment)
    assert line.startswith("error: --set: ") and "west_midlands.toml" not in line


def test_a_bad_value_in_a_child_file_blames_the_child(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text('extends = "west_midlands"\n[course]\nsession_start_hours = [10, 11]\n')
    assert_one_line_error(cli("validate", child), f"{child}: course: session_start_hours 10")


def not_utf8(path: Path) -> Path:
    path.write_bytes(b'name = "caf\xe9"\n')  # Latin-1, not UTF-8
    return path


def deep(path: Path) -> Path:
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    return path


FILE_CASES = [
    (kind, make)
    for kind in ("scenario", "sweep", "targets", "backlog", "manifest")
    for make in (not_utf8, deep)
    if not (kind == "backlog" and make is deep)  # a CSV file has no nesting
]


@pytest.mark.parametrize(
    ("kind", "make"), FILE_CASES, ids=[f"{k}-{m.__name__}" for k, m in FILE_CASES]
)
def test_a_file_that_cannot_be_read_is_one_line_naming_it(tmp_path, kind, make):
    if kind == "scenario":
        path = make(tmp_path / "s.toml")
        result = cli("validate", path)
    elif kind == "sweep":
        path = make(tmp_path / "sweep.toml")
        result = cli("sweep", path, "--workers", "1", "--out", tmp_path / "out")
    elif kind == "targets":
        path = make(tmp_path / "targets.toml")
        result = cli("calibrate", "--targets", path, "--workers", "1", "--out", tmp_path / "out")
    elif kind == "backlog":
        path = make(tmp_path / "people.csv")
        scenario = tmp_path / "s.toml"
        scenario.write_text('extends = "west_midlands"\n[backlog]\nfile = "people.csv"\n')
        result = cli("validate", scenario)
    else:
        folder = tmp_path / "run"
        folder.mkdir()
        path = make(folder / "manifest.json")
        if make is deep:
            path.write_text("[" * 100_000 + "]" * 100_000)
        result = cli("report", folder)
    line = assert_one_line_error(result, str(path) if kind != "backlog" else "people.csv")
    assert "not UTF-8" in line or "nested too deeply" in line or "not valid JSON" in line
    assert not (tmp_path / "out").exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_as_a_scenario_are_one_line_or_a_scenario(tmp_path, content):
    path = tmp_path / "any.toml"
    path.write_bytes(b'extends = "west_midlands"\n' + content)
    result = cli("validate", path)
    if result.exit_code == 0:
        assert result.stdout.startswith(f"ok: {path}")
    else:
        assert_one_line_error(result, str(path))


@settings(max_examples=40, deadline=None)
@given(
    key=st.sampled_from(NUMBERS),
    value=st.one_of(
        st.sampled_from(BAD_NUMBERS + ["-1", '"text"', "[]", "{}", "1e400", "-1e400"]),
        st.text(max_size=20),
    ),
)
def test_any_override_of_any_number_is_one_line_or_accepted(key, value):
    result = cli("validate", "west_midlands", "--set", f"{key}={value}")
    if result.exit_code != 0:
        assert_one_line_error(result)


def test_a_manifest_that_is_not_an_object_is_one_line(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps([1, 2]))
    assert_one_line_error(cli("report", tmp_path), "manifest.json")


def test_a_run_that_ends_before_the_launch_warns(tmp_path):
    result = cli("run", *SHORT, "--out", tmp_path / "r")  # west_midlands launches after a year
    assert result.exit_code == 0, result.output
    assert "warning: west_midlands: the run ends before the scheme launches" in result.stderr
    assert "every referral KPI is blank" in result.stderr
    reached = cli("run", *SHORT, *SHORT_SET, "--out", tmp_path / "r2")
    assert reached.exit_code == 0 and "warning" not in reached.stderr
