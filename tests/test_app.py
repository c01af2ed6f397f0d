"""The page's widgets with Streamlit's AppTest (in this process, no browser): every control,
each error path, a run with its results and downloads, a comparison, cancel, and two
sessions that do not see each other's runs."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import simdivert
import simdivert as sd
from simdivert.app.levers import main_keys, scenario_levers
from simdivert.app.results import scenario_toml
from simdivert.app.runs import COMPARISON_FOLDER, RUN_FOLDER
from simdivert.kpis import kpi_label
from simdivert.numbers import format_interval, format_value

PAGE = Path(simdivert.__file__).parent / "app" / "page.py"
SHORT = {
    "lever:run.years": 0.2,
    "lever:run.warmup_days": 7.0,
    "lever:policy.launch_after_days": 0.0,
    "lever:run.replications": 2,
}
# A new valid value for every main lever of the default scenario.
NEW_VALUES = {
    "run.years": 1.0,
    "run.warmup_days": 28.0,
    "run.start_date": date(2023, 4, 10),
    "policy.diversion": False,
    "policy.launch_after_days": 30.0,
    "policy.adoption.start_share": 0.1,
    "policy.adoption.mature_share": 0.5,
    "policy.adoption.half_way_days": 100.0,
    "policy.adoption.spread_days": 20.0,
    "policy.accept_share": 0.9,
    "policy.informal_finds_recorded_share": 0.8,
    "policy.adults_only": True,
    "policy.first_time_only": True,
    "policy.once_only": True,
    "policy.bar_after_disengagement_days": 180.0,
    "policy.non_engagement_outcome": "charge",
    "policy.contract_days": 120.0,
    "demand.personal_possession_share": 0.7,
    "provider.drug_workers": 6.5,
    "course.facilitators": 4,
    "course.sessions_per_week.cannabis": 6.0,
    "course.sessions_per_week.cocaine": 1.5,
    "course.sessions_per_week.nitrous_oxide": 1.0,
    "course.sessions_per_week.general": 1.0,
    "course.sessions_per_week.under_18": 2.0,
    "demand.annual_growth": 0.1,
    "demand.searches_per_year": 30000.0,
}
BAD_KEY = 'extends = "west_midlands"\n\n[provider]\ndrug_wrokers = 4\n'


@pytest.fixture
def page(monkeypatch) -> AppTest:
    """The page as first opened, its runs in this process."""
    monkeypatch.setenv("SIMDIVERT_APP_WORKERS", "1")
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    return at


def widget(at: AppTest, key: str):
    """The widget with a session-state key, whatever its kind."""
    for kind in ("number_input", "checkbox", "selectbox", "date_input", "text_input"):
        found = [w for w in getattr(at, kind) if w.key == key]
        if found:
            return found[0]
    raise AssertionError(f"no widget {key}")


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [e.value for e in at.exception]


def set_values(at: AppTest, values: dict) -> AppTest:
    for key, value in values.items():
        widget(at, key).set_value(value)
    return at.run()


def run_to_the_end(at: AppTest, seconds: float = 120) -> AppTest:
    at.button(key="run").click().run()
    job = at.session_state["job"]
    deadline = time.monotonic() + seconds
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()  # as the page's poll does: the results shown, the figures follow
    assert job.progress.stage == "done", job.progress
    return at.run()


def request(at: AppTest):
    return at.session_state["request"]


def test_the_page_opens_ready_to_run(page):
    assert errors(page) == []
    assert not page.button(key="run").disabled
    assert "press Run" in page.info[0].value
    scenario = request(page).scenario
    assert scenario.name == "west_midlands"
    assert request(page).replications == 10  # the page's default, not the scenario's 20
    assert request(page).base is None


def test_every_scalar_of_the_scenario_has_a_widget(page):
    page.toggle(key="show_others").set_value(True).run()
    for lever in scenario_levers(request(page).scenario):
        if lever.key in ("name", "description"):  # the file's, not levers
            continue
        expected = 10 if lever.key == "run.replications" else lever.value
        assert widget(page, f"lever:{lever.key}").value == expected, lever.key


def test_every_main_lever_reaches_the_scenario(page):
    scenario = request(page).scenario
    present = {lever.key for lever in scenario_levers(scenario)} & main_keys(scenario)
    assert present == set(NEW_VALUES)  # a new main lever needs a value here
    set_values(page, {f"lever:{key}": value for key, value in NEW_VALUES.items()})
    assert errors(page) == []
    data = request(page).scenario.model_dump()
    for key, value in NEW_VALUES.items():
        node = data
        for part in key.split("."):
            node = node[part]
        assert node == value, key


def test_other_levers_of_each_kind(page):
    page.toggle(key="show_others").set_value(True).run()
    set_values(
        page,
        {
            "lever:refind.rate_per_year": 0.1,
            "lever:contact.max_attempts": 3,
            "lever:policy.user_dealer_route": True,
            "lever:provider.assessment_minutes.mean": 50.0,
            "lever:run.replications": 4,
            "lever:run.seed": 7,
        },
    )
    page.toggle(key="show_others").set_value(False).run()  # hidden, still changed
    assert page.toggle(key="show_others").value is False
    assert not [w for w in page.number_input if w.key == "lever:refind.rate_per_year"]
    scenario = request(page).scenario
    assert scenario.refind.rate_per_year == 0.1
    assert scenario.contact.max_attempts == 3
    assert scenario.policy.user_dealer_route is True
    assert scenario.provider.assessment_minutes.mean == 50.0
    assert (request(page).replications, request(page).seed) == (4, 7)
    assert (scenario.run.replications, scenario.run.seed) == (4, 7)  # in the file too


def test_rollout_by_area_and_a_surge(page):
    page.checkbox(key="surge:add").check().run()
    set_values(
        page,
        {
            "area:1": 90.0,
            "surge:0:start_day": 30.0,
            "surge:0:days": 60.0,
            "surge:0:multiplier": 1.5,
        },
    )
    scenario = request(page).scenario
    assert [a.go_live_after_days for a in scenario.areas[:3]] == [0.0, 90.0, 0.0]
    assert [s.model_dump() for s in scenario.demand.surges] == [
        {"start_day": 30.0, "days": 60.0, "multiplier": 1.5}
    ]
    assert any("Coventry goes live" in c.value for c in page.caption)


def test_choosing_a_scenario_resets_its_levers(page):
    set_values(page, {"lever:provider.drug_workers": 9.0})
    page.selectbox(key="builtin").set_value("avon_somerset").run()
    assert errors(page) == []
    loaded = sd.load_scenario("avon_somerset")
    assert widget(page, "lever:provider.drug_workers").value == loaded.provider.drug_workers
    assert widget(page, "lever:policy.once_only").value is True
    assert request(page).scenario.name == "avon_somerset"


def test_levers_that_do_not_fit_give_one_line_and_no_run(page):
    set_values(page, {"lever:course.sessions_per_week.cannabis": 40.0})
    (message,) = errors(page)
    # A rule over a whole table blames the last to set a key in it: the page's levers.
    assert message.startswith("levers: course: the timetable needs 87 sessions")
    assert "\n" not in message
    assert page.button(key="run").disabled


def test_a_start_date_not_on_a_monday(page):
    set_values(page, {"lever:run.start_date": date(2023, 4, 11)})
    assert errors(page) == ["levers: run: start_date must be a Monday (got Tuesday)"]
    assert page.button(key="run").disabled


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (BAD_KEY, "bad.toml: provider.drug_wrokers: unknown key"),
        ("name = [", "bad.toml: not valid TOML: "),
        ('extends = "nowhere.toml"\n', "bad.toml: extends: base scenario 'nowhere.toml' not found"),
    ],
)
def test_a_bad_upload_shows_its_one_line_error(page, content, message):
    page.radio(key="source").set_value("Upload a TOML file").run()
    assert "Choose a scenario file" in page.info[0].value
    page.file_uploader(key="upload").set_value(("bad.toml", content.encode(), "text/plain")).run()
    (shown,) = errors(page)
    assert shown.startswith(message) and "\n" not in shown
    assert page.button(key="run").disabled


def test_an_upload_extending_a_builtin(page):
    content = b'extends = "west_midlands"\nname = "four_workers"\n\n[provider]\ndrug_workers = 4\n'
    page.radio(key="source").set_value("Upload a TOML file").run()
    page.file_uploader(key="upload").set_value(("four.toml", content, "text/plain")).run()
    assert errors(page) == []
    assert widget(page, "lever:provider.drug_workers").value == 4.0
    assert request(page).scenario.name == "four_workers"


def test_an_uploaded_scenarios_own_stream_is_a_main_lever(page):
    content = (
        'extends = "west_midlands"\nname = "ketamine_force"\n\n[population]\n'
        "substance = { cannabis = 0.63, cocaine = 0.08, nitrous_oxide = 0.04, other = 0.05, "
        "ketamine = 0.20 }\npossible_dependence.ketamine = 0.05\n\n[course]\n"
        'streams = { ketamine = "ketamine" }\nsessions_per_week.ketamine = 1\n'
    )
    page.radio(key="source").set_value("Upload a TOML file").run()
    page.file_uploader(key="upload").set_value(("k.toml", content.encode(), "text/plain")).run()
    assert errors(page) == []
    # Shown with the other streams' sessions, not only under "Every other parameter".
    assert not page.toggle(key="show_others").value
    lever = widget(page, "lever:course.sessions_per_week.ketamine")
    assert (lever.label, lever.value) == ("Group sessions a week: ketamine", 1.0)
    set_values(page, {"lever:course.sessions_per_week.ketamine": 2.0})
    assert request(page).scenario.course.sessions_per_week["ketamine"] == 2.0


def test_a_run_shows_its_folder_and_offers_downloads(page, tmp_path):
    set_values(page, {**SHORT, "lever:provider.drug_workers": 6.0})
    run_to_the_end(page)
    assert errors(page) == []
    job = page.session_state["job"]
    folder = job.folders[RUN_FOLDER]
    summary = pd.read_csv(folder / "summary.csv").set_index("kpi")
    tables = [t.value for t in page.table]
    shown = tables[0]  # the headline KPIs
    for kpi in ("referrals_per_year", "share_completed", "assessment_wait_p90_days"):
        row = shown.loc[kpi_label(kpi)]
        mean, low, high = summary.loc[kpi, ["mean", "ci_low", "ci_high"]]
        assert (row["mean"], row["95% CI"]) == (
            format_value(mean),
            format_interval(low, high, mean),
        )
    markdown = " ".join(m.value for m in page.markdown)
    assert "people a year are referred to the provider" in markdown
    assert "-badge[target " in markdown  # the waits' verdicts
    assert any(t.index.name == "method" for t in tables)  # police hours by method
    assert len(page.get("image")) >= 5  # the report's figures
    keys = {b.key for b in page.get("download_button")}
    assert keys == {"download:zip", "download:toml", "download:run-report"}
    assert (folder.parent / f"{folder.name}.zip").exists()
    # The scenario as edited loads back to itself: `simdivert run` takes it.
    path = tmp_path / "edited.toml"
    path.write_text(scenario_toml(job.request.scenario))
    assert sd.load_scenario(path) == job.request.scenario


def test_a_paired_comparison(page):
    set_values(page, SHORT)
    page.selectbox(key="compare").set_value("status_quo").run()
    assert request(page).base.name == "status_quo"
    assert request(page).base.run.years == 0.2  # over the edited scenario's window
    run_to_the_end(page)
    assert errors(page) == []
    job = page.session_state["job"]
    assert (job.folders[COMPARISON_FOLDER] / "comparison.csv").exists()
    assert any(h.value == "Against status_quo (paired)" for h in page.header)
    assert any("95% CI of the difference" in t.value.columns for t in page.table)
    assert "download:comparison-report" in {b.key for b in page.get("download_button")}


def test_compare_with_the_scenario_as_loaded(page):
    set_values(page, {"lever:provider.drug_workers": 7.0})
    page.selectbox(key="compare").set_value("the scenario as loaded (before changes)").run()
    assert request(page).base.provider.drug_workers == 5.0
    assert request(page).scenario.provider.drug_workers == 7.0


def test_cancel_a_run(page):
    set_values(page, {"lever:run.replications": 200})
    page.button(key="run").click().run()
    assert page.button(key="run").disabled
    page.button(key="cancel").click().run()
    job = page.session_state["job"]
    job.wait(60)
    page.run()
    assert job.progress.stage == "cancelled"
    assert job.progress.done < 200
    assert "Run cancelled" in page.warning[0].value
    assert not page.button(key="run").disabled


def test_a_failed_run_shows_one_line(page, monkeypatch):
    def fail(*args, **kwargs):
        raise sd.UserError("workers 0: must be at least 1")

    monkeypatch.setattr(simdivert, "run", fail)
    page.button(key="run").click().run()
    page.session_state["job"].wait(30)
    page.run()
    assert errors(page) == ["workers 0: must be at least 1"]


def test_two_sessions_do_not_see_each_other(monkeypatch):
    monkeypatch.setenv("SIMDIVERT_APP_WORKERS", "1")
    first, second = (AppTest.from_file(str(PAGE), default_timeout=60) for _ in range(2))
    first.run()
    second.run()
    set_values(first, SHORT)
    run_to_the_end(first)
    second.run()
    assert "job" not in second.session_state
    assert first.session_state["folder"].path != second.session_state["folder"].path
    assert not any(h.value.startswith("Results") for h in second.header)


def test_a_lever_the_schema_rejects_is_named_as_a_lever(page):
    page.toggle(key="show_others").set_value(True).run()
    set_values(page, {"lever:engagement.patience_days": 0.0})  # must be above 0
    (message,) = errors(page)
    assert message == "levers: engagement.patience_days: Input should be greater than 0 (got 0.0)"
    assert page.button(key="run").disabled
