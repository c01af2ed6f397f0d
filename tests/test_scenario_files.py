"""Reading scenarios: inheritance, overrides, and an error naming file, key and problem."""

from pathlib import Path

import pytest

from simdivert.errors import ScenarioError
from simdivert.scenario.files import builtin_scenarios, load_scenario, parse_override


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def error_of(*args) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(*args)
    return caught.value


def test_default_scenario_loads_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario()
    assert scenario.name == "west_midlands"
    assert "west_midlands" in builtin_scenarios()


def test_extends_merges_tables_and_child_wins(tmp_path):
    child = write(
        tmp_path / "more_staff.toml",
        'extends = "west_midlands"\n[provider]\ndrug_workers = 9\n',
    )
    scenario = load_scenario(child)
    assert scenario.name == "more_staff"
    assert scenario.provider.drug_workers == 9
    assert scenario.provider.day_start_hour == 9  # still from the base


def test_extends_a_relative_path(tmp_path):
    write(tmp_path / "base.toml", 'extends = "west_midlands"\n[run]\nyears = 2.0\n')
    child = write(tmp_path / "child.toml", 'extends = "base.toml"\n[run]\nseed = 5\n')
    scenario = load_scenario(child)
    assert (scenario.run.years, scenario.run.seed) == (2.0, 5)


def test_overrides_use_dotted_keys_and_toml_values():
    scenario = load_scenario(
        None, ["provider.drug_workers=14", "course.sessions_per_week.cannabis=8", "run.years=0.5"]
    )
    assert scenario.provider.drug_workers == 14
    assert scenario.course.sessions_per_week["cannabis"] == 8
    assert scenario.run.years == 0.5


def test_parse_override_reads_toml_or_falls_back_to_a_string():
    assert parse_override("a.b=3") == ("a.b", 3)
    assert parse_override('a=["Mon", "Tue"]') == ("a", ["Mon", "Tue"])
    assert parse_override("name=my run") == ("name", "my run")


def test_misspelt_key_names_file_and_key(tmp_path):
    bad = write(tmp_path / "typo.toml", 'extends = "west_midlands"\n[provider]\ndrug_wrokers = 9\n')
    error = error_of(bad)
    assert (error.source, error.key, error.problem) == (
        str(bad),
        "provider.drug_wrokers",
        "unknown key (did you mean drug_workers?)",
    )


def test_wrong_type(tmp_path):
    bad = write(
        tmp_path / "t.toml", 'extends = "west_midlands"\n[provider]\ndrug_workers = "many"\n'
    )
    error = error_of(bad)
    assert error.source == str(bad) and error.key == "provider.drug_workers"
    assert "number" in error.problem and "'many'" in error.problem


def test_negative_rate(tmp_path):
    bad = write(
        tmp_path / "n.toml", 'extends = "west_midlands"\n[demand]\nsearches_per_year = -5\n'
    )
    error = error_of(bad)
    assert error.key == "demand.searches_per_year"
    assert "greater than or equal to 0" in error.problem


def test_probability_above_one():
    error = error_of(None, ["contact.answer_probability=1.5"])
    assert (error.source, error.key) == ("override", "contact.answer_probability")
    assert "less than or equal to 1" in error.problem


def test_shares_must_sum_to_one(tmp_path):
    error = error_of(None, ["population.substance.cannabis=0.5"])
    assert error.key == "population.substance"
    assert "sum to 1" in error.problem


def test_bad_distribution_parameter_names_the_key(tmp_path):
    error = error_of(
        None, ['provider.assessment_minutes={ dist = "lognormal", mean = 60, sd = -1 }']
    )
    assert error.key == "provider.assessment_minutes.sd"


def test_missing_file():
    error = error_of("no/such/scenario.toml")
    assert error.source == "no/such/scenario.toml"
    assert "no such file" in error.problem


def test_extends_loop(tmp_path):
    write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    write(tmp_path / "b.toml", 'extends = "a.toml"\n')
    error = error_of(tmp_path / "a.toml")
    assert error.key == "extends"
    assert "loop" in error.problem and "a.toml -> b.toml -> a.toml" in error.problem


def test_missing_base(tmp_path):
    bad = write(tmp_path / "x.toml", 'extends = "nowhere.toml"\n')
    error = error_of(bad)
    assert error.key == "extends" and "not found" in error.problem


def test_error_names_the_base_file_that_set_the_bad_value(tmp_path):
    base = write(tmp_path / "base.toml", 'extends = "west_midlands"\n[contact]\nmax_attempts = 0\n')
    child = write(tmp_path / "child.toml", 'extends = "base.toml"\n')
    error = error_of(child)
    assert (error.source, error.key) == (str(base), "contact.max_attempts")


def test_invalid_toml(tmp_path):
    bad = write(tmp_path / "broken.toml", "[run\nyears = 1\n")
    error = error_of(bad)
    assert error.source == str(bad) and "not valid TOML" in error.problem


def test_override_of_unknown_key():
    error = error_of(None, ["provider.nonsense=1"])
    assert (error.source, error.key, error.problem) == (
        "override",
        "provider.nonsense",
        "unknown key",
    )


def test_timetable_must_fit_the_facilitators():
    error = error_of(None, ["course.facilitators=1"])
    assert error.key == "course"
    assert "facilitators" in error.problem


def test_error_message_is_one_line_and_names_every_problem(tmp_path):
    error = error_of(None, ["contact.answer_probability=2", "provider.drug_workers=-1"])
    assert "\n" not in str(error)
    assert "contact.answer_probability" in str(error) and "provider.drug_workers" in str(error)
    assert "more problem" not in str(error)


def test_a_misspelt_key_says_which_it_may_have_meant(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "west_midlands"\n[provider]\ndrug_wrokers = 4\n')
    error = error_of(str(bad), ["course.placs_per_session=3"])
    text = str(error)
    assert text.startswith(
        f"{bad}: provider.drug_wrokers: unknown key (did you mean drug_workers?)"
    )
    assert text.endswith(
        "; override: course.placs_per_session: unknown key (did you mean places_per_session?)"
    )
    nothing_close = str(error_of(None, ["policy.zzz=1"]))
    assert nothing_close == "override: policy.zzz: unknown key"


def test_an_override_owns_the_keys_below_it():
    error = error_of(None, ['provider.assessment_minutes={ dist = "lognormal", mean = 3 }'])
    assert (error.source, error.key, error.problem) == (
        "override",
        "provider.assessment_minutes.sd",
        "missing key",
    )


def test_value_sources_come_from_the_comments_beside_each_value(tmp_path):
    from simdivert.scenario.files import value_sources

    base = write(
        tmp_path / "base.toml",
        'extends = "west_midlands"\n[provider]\n'
        "drug_workers = 6  # [published] in post, 2024\n"
        "# [assumption] half a day a week on training\n"
        "admin_share = 0.3\n",
    )
    sources = value_sources(str(base), ["course.facilitators=3"])
    assert sources["provider.drug_workers"] == "published"
    assert sources["provider.admin_share"] == "assumption"
    assert sources["demand.searches_per_year"] == "published"  # from the built-in base
    assert sources["course.facilitators"] == "override"
    assert "run.seed" not in sources  # its file says neither


@pytest.mark.parametrize(
    ("thresholds", "problem"),
    [
        ("", "give add_above_wait_days"),
        ("add_above_waiting = 40,", "add_above_waiting and remove_below_waiting go together"),
        ("add_above_waiting = 40, remove_below_waiting = 40,", "must be below"),
    ],
)
def test_a_reactive_rule_needs_a_threshold_pair(thresholds, problem):
    rule = (
        f'course.reactive={{ streams = ["cannabis"], {thresholds} lead_time_days = 7, '
        'session_days = ["Tue"], session_start_hour = 18 }'
    )
    error = error_of(None, [rule])
    assert error.key == "course.reactive"
    assert problem in error.problem


@pytest.mark.parametrize(
    "rule", ["{}", "{ share_over = 0.2, to_expected_attendance = true }", "{ share_over = 2 }"]
)
def test_overbooking_takes_one_rule_within_bounds(rule):
    error = error_of(None, [f"course.overbooking={rule}"])
    assert error.key.startswith("course.overbooking")


def test_overbooking_limits():
    by_share = load_scenario(None, ["course.overbooking={ share_over = 0.25 }"])
    by_attendance = load_scenario(None, ["course.overbooking={ to_expected_attendance = true }"])
    assert by_share.course.overbooking.booking_limit(12, 0.8) == 15
    assert by_attendance.course.overbooking.booking_limit(12, 0.8) == 15
    assert by_attendance.course.overbooking.booking_limit(12, 0.0) == 12
