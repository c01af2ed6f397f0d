"""Course streams are scenario data: a force adds a substance (ketamine) with a group
course of its own, and the stream runs through the model, the KPIs, the staffing
search, the importer and the page like the built-in ones."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from police_uk_samples import FORCE, write_archive
from typer.testing import CliRunner

from simdivert.app.levers import main_keys, scenario_levers
from simdivert.cli.app import app
from simdivert.errors import ScenarioError
from simdivert.experiments.staffing import parse_target, plan_staffing
from simdivert.importers.scenario_toml import import_police_uk
from simdivert.kpis import kpi_label, lookup
from simdivert.model.replication import run_replication
from simdivert.model.roster import cycle_timetable
from simdivert.reporting.content import assumption_value
from simdivert.scenario.course_streams import BUILTIN_STREAMS
from simdivert.scenario.files import load_scenario

from conftest import EMBEDDED, SHORT

KETAMINE = (
    "population.substance={ cannabis = 0.63, cocaine = 0.08, nitrous_oxide = 0.04, "
    "other = 0.05, ketamine = 0.20 }",
    "population.possible_dependence.ketamine=0.05",
)
OWN_STREAM = ('course.streams={ ketamine = "ketamine" }', "course.sessions_per_week.ketamine=1")
KETAMINE_FILE = """extends = "west_midlands"
name = "ketamine_force"

[population]
substance = { cannabis = 0.63, cocaine = 0.08, nitrous_oxide = 0.04, other = 0.05, ketamine = 0.20 }
possible_dependence.ketamine = 0.05

[course]
streams = { ketamine = "ketamine" }
sessions_per_week.cannabis = 6
sessions_per_week.ketamine = 1
"""


def test_the_built_in_streams_are_the_keys_of_sessions_per_week():
    scenario = load_scenario("west_midlands")
    assert scenario.streams == BUILTIN_STREAMS
    assert scenario.unreachable_streams() == []


def test_a_new_stream_comes_after_the_built_in_ones_whatever_the_file_order():
    listed = (
        "course.sessions_per_week={ ketamine = 1, under_18 = 1.5, general = 0.5, "
        "nitrous_oxide = 0.5, cocaine = 1, cannabis = 7 }"
    )
    scenario = load_scenario("west_midlands", [*KETAMINE, listed, OWN_STREAM[0]])
    assert scenario.streams == (*BUILTIN_STREAMS, "ketamine")
    ketamine = scenario.substances.index("ketamine")
    assert scenario.streams[scenario.course_stream_codes()[ketamine]] == "ketamine"
    # The built-in streams' timetable is as if the file listed them in the usual order.
    usual = load_scenario("west_midlands", [*KETAMINE, *OWN_STREAM])
    for stream, times in cycle_timetable(usual.course).items():
        np.testing.assert_array_equal(cycle_timetable(scenario.course)[stream], times)


def test_a_stream_with_no_sessions_and_nobody_in_it_moves_nothing():
    """Common random numbers: adding a stream draws nothing and shifts no other draw."""
    base = run_replication(load_scenario(None, list(SHORT)), 3, 0).kpis
    added = run_replication(
        load_scenario(None, [*SHORT, "course.sessions_per_week.ketamine=0"]), 3, 0
    ).kpis
    assert math.isnan(added.pop("group_session_fill_rate_ketamine"))
    assert list(added) == list(base)
    for name, value in base.items():
        assert added[name] == value or (math.isnan(value) and math.isnan(added[name])), name


def test_ketamine_runs_end_to_end_in_its_own_stream_from_the_cli(tmp_path):
    path = tmp_path / "ketamine_force.toml"
    path.write_text(KETAMINE_FILE)
    out = tmp_path / "run"
    short = [a for s in SHORT for a in ("--set", s)]
    args = ["run", str(path), *short, "--seed", "4", "--workers", "1", "--events"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output
    summary = pd.read_csv(out / "summary.csv").set_index("kpi")
    fill = summary.loc["group_session_fill_rate_ketamine"]
    assert 0 < fill["mean"] <= 1 and fill["unit"] == "share"
    events = pd.read_parquet(out / "events.parquet")
    adults = events[(events["substance"] == "ketamine") & (events["age_band"] != "under_18")]
    referred = adults[adults["outcome"] == "diverted"]
    assert len(referred) > 20
    assert set(referred["stream"].astype(str)) == {"ketamine"}
    others = events[(events["substance"] == "cannabis") & (events["outcome"] == "diverted")]
    assert "ketamine" not in set(others["stream"].astype(str))


def test_the_per_stream_kpis_of_any_stream_are_known():
    kpi = lookup("group_session_fill_rate_ketamine")
    assert kpi is not None and (kpi.unit, kpi.family) == ("share", "capacity")
    assert kpi_label("group_session_fill_rate_ketamine") == "group-session places filled, ketamine"
    assert lookup("group_session_fill_rate_y1") is None  # a year, and the KPI has none


def test_staffing_plans_the_sessions_of_a_new_stream():
    small = load_scenario(
        None,
        [
            "run.years=0.25",
            "run.warmup_days=14",
            "policy.launch_after_days=0",
            *EMBEDDED,
            "demand.searches_per_year=4000",
            "demand.other_finds_per_year=300",
            *KETAMINE,
            *OWN_STREAM,
        ],
    )
    targets = [
        parse_target("assessment_wait_p90_days<=14"),
        parse_target("course_wait_p90_days<=28"),
    ]
    plan = plan_staffing(small, targets, replications=2)
    assert plan.plan[0].sessions_per_week["ketamine"] > 0
    rows = plan.table.set_index("role")
    assert {f"sessions_per_week_{s}" for s in small.streams} <= set(rows.index)
    ketamine = rows.loc["sessions_per_week_ketamine"]
    assert ketamine["kpi"] == "course_wait_so_far_p90_days_ketamine"
    assert ketamine["kpi_quantile"] <= 28 and not ketamine["one_fewer_meets_targets"]
    checked = plan.check.set_index("kpi").loc["course_wait_so_far_p90_days_ketamine"]
    assert checked["replications"] == 2


def test_the_importer_keeps_the_base_schemes_own_stream(tmp_path):
    scheme = tmp_path / "ketamine_force.toml"
    scheme.write_text(KETAMINE_FILE)
    out = tmp_path / "imported.toml"
    imported = import_police_uk([write_archive(tmp_path / "uk")], FORCE, str(scheme), out)
    assert imported.scenario.streams == (*BUILTIN_STREAMS, "ketamine")
    assert imported.scenario.course.streams == {"ketamine": "ketamine"}
    assert "ketamine = " in out.read_text()


def test_the_page_has_a_main_lever_for_each_of_the_scenarios_streams():
    scenario = load_scenario(None, [*KETAMINE, *OWN_STREAM])
    levers = {lever.key: lever for lever in scenario_levers(scenario)}
    ketamine = levers["course.sessions_per_week.ketamine"]
    assert ketamine.key in main_keys(scenario)
    assert (ketamine.label, ketamine.low, ketamine.step) == (
        "Group sessions a week: ketamine",
        0,
        0.5,
    )


def test_a_staffing_change_gives_the_streams_it_names_and_keeps_the_others():
    scenario = load_scenario(
        None,
        [
            *KETAMINE,
            *OWN_STREAM,
            "staffing=[{ from_day = 100, sessions_per_week = { ketamine = 2 } }]",
        ],
    )
    first, later = (period.course.sessions_per_week for period in scenario.staffing_periods())
    assert later == {**first, "ketamine": 2}


def test_a_stream_nobody_reaches_is_allowed_and_the_cli_warns(tmp_path):
    unreached = "course.sessions_per_week.ketamine=1"
    assert load_scenario(None, [unreached]).unreachable_streams() == ["ketamine"]
    short = [a for s in (*SHORT, "run.replications=1", unreached) for a in ("--set", s)]
    result = CliRunner().invoke(app, ["run", *short, "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: west_midlands: course.sessions_per_week.ketamine: no substance goes to this "
        "stream (course.streams), so its sessions run empty"
    ]


@pytest.mark.parametrize(
    ("overrides", "key", "problem"),
    [
        (
            (*KETAMINE, 'course.streams={ ketamine = "ketamine" }'),
            "course.streams.ketamine",
            "'ketamine' is not a stream (a key of course.sessions_per_week)",
        ),
        (
            (
                "course.sessions_per_week={ cannabis = 7, cocaine = 1, nitrous_oxide = 0.5, "
                "general = 0.5 }",
            ),
            "course.sessions_per_week.under_18",
            "missing (every under-18 referred goes to this stream; give 0 for none)",
        ),
        (
            (
                "course.sessions_per_week={ cannabis = 7, cocaine = 1, nitrous_oxide = 0.5, "
                "under_18 = 1.5 }",
            ),
            "course.sessions_per_week.general",
            "missing (substance 'other' goes to 'general' unless course.streams maps it",
        ),
        (
            ("course.sessions_per_week.ketamine=0.3",),
            "course.sessions_per_week",
            "ketamine: sessions a week must be a multiple of 0.5 (got 0.3)",
        ),
        (("course.sessions_per_week.y2=1",), "course.sessions_per_week.y2", "reads as a year"),
        (("course.sessions_per_week.Ketamine=1",), "course.sessions_per_week.Ketamine", "pattern"),
        (
            ('course.in_person_streams=["ketamine"]',),
            "course.in_person_streams.0",
            "'ketamine' is not a stream",
        ),
        (
            (
                'course.reactive={ streams = ["cannabis", "ketamine"], add_above_waiting = 30, '
                'remove_below_waiting = 10, lead_time_days = 7, session_days = ["Sat"], '
                "session_start_hour = 10 }",
            ),
            "course.reactive.streams.1",
            "'ketamine' is not a stream",
        ),
        (
            ("staffing=[{ from_day = 100, sessions_per_week = { ketamine = 2 } }]",),
            "staffing.0.sessions_per_week.ketamine",
            "'ketamine' is not a stream",
        ),
    ],
)
def test_bad_streams_fail_in_one_line_naming_the_key(overrides, key, problem):
    with pytest.raises(ScenarioError) as caught:
        load_scenario("west_midlands", list(overrides))
    error = caught.value
    assert (error.source, error.key) == ("override", key)
    assert problem in error.problem and "\n" not in str(error)


def test_a_bad_stream_in_a_file_names_the_file(tmp_path):
    path = tmp_path / "force.toml"
    path.write_text(KETAMINE_FILE.replace("sessions_per_week.ketamine = 1\n", ""))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == (
        f"{path}: course.streams.ketamine: 'ketamine' is not a stream (a key of "
        "course.sessions_per_week)"
    )


def test_without_a_provider_every_streams_capacity_kpis_are_blank():
    scenario = load_scenario("status_quo", [*SHORT, *KETAMINE, *OWN_STREAM])
    kpis = run_replication(scenario, 1, 0).kpis
    fill = [name for name in kpis if name.startswith("group_session_fill_rate_")]
    assert fill == [f"group_session_fill_rate_{s}" for s in (*BUILTIN_STREAMS, "ketamine")]
    assert all(math.isnan(kpis[name]) for name in fill)


def test_the_report_lists_the_streams_and_the_substances_mapped_to_them():
    scenario = load_scenario(None, [*KETAMINE, *OWN_STREAM]).model_dump(mode="json")
    sessions = assumption_value(scenario, "course.sessions_per_week", "mix")
    assert sessions == (
        "cannabis 7, cocaine 1, nitrous oxide 0.5, general 0.5, under 18 1.5, ketamine 1"
    )
    assert assumption_value(scenario, "course.streams", "stream_map") == "ketamine to ketamine"
