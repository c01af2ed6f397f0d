"""Files that surprise their author: ``extends`` means the same from any folder and
``validate`` names the base used; an inline table replaces the base's; the help and
the staffing plan say what they are."""

from pathlib import Path

import pytest
from hostile import assert_one_line_error, cli

from simdivert.scenario.files import inline_tables, load_scenario

CHILD = 'extends = "west_midlands.toml"\nname = "child"\n[provider]\ndrug_workers = 3\n'
DECOY = 'name = "decoy"\n'  # a west_midlands.toml in the current folder, not a scenario


@pytest.fixture
def child(tmp_path, monkeypatch) -> Path:
    """A child of the built-in west_midlands, run from a folder with a decoy of that name."""
    (tmp_path / "scenarios").mkdir()
    path = tmp_path / "scenarios" / "child.toml"
    path.write_text(CHILD)
    (tmp_path / "west_midlands.toml").write_text(DECOY)
    monkeypatch.chdir(tmp_path)
    return path


def test_extends_is_resolved_beside_the_file_then_built_in_never_the_current_folder(child):
    result = cli("validate", child)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"ok: {child} (child), extends west_midlands (built-in)"
    assert load_scenario(child).provider.drug_workers == 3


def test_a_base_beside_the_file_wins_and_validate_names_it(child):
    beside = child.parent / "west_midlands.toml"
    beside.write_text('extends = "west_midlands"\n[provider]\ndrug_workers = 9\n')
    result = cli("validate", child)
    assert result.exit_code == 0, result.output
    assert f"extends {beside}, extends west_midlands (built-in)" in result.stdout
    assert load_scenario(child).provider.drug_workers == 3  # the child's own value


def test_a_missing_base_names_both_places_looked(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text('extends = "west_midlandz.toml"\n')
    assert_one_line_error(
        cli("validate", path),
        f"{path}: extends: base scenario 'west_midlandz.toml' not found",
        f"not beside this file ({tmp_path / 'west_midlandz.toml'}) nor a built-in",
    )


def test_an_inline_table_replaces_the_bases_as_an_override_does(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text(
        'extends = "west_midlands"\n[provider]\n'
        'assessment_minutes = { dist = "exponential", mean = 60 }\n'
    )
    minutes = load_scenario(path).provider.assessment_minutes
    assert minutes.dist == "exponential" and minutes.mean == 60  # no sd from the base
    override = load_scenario(
        "west_midlands", ['provider.assessment_minutes={dist="exponential",mean=60}']
    )
    assert override.provider.assessment_minutes == minutes


def test_a_table_written_key_by_key_still_merges(tmp_path):
    path = tmp_path / "mean.toml"
    path.write_text('extends = "west_midlands"\n[provider.assessment_minutes]\nmean = 70\n')
    base = load_scenario("west_midlands").provider.assessment_minutes
    minutes = load_scenario(path).provider.assessment_minutes
    assert minutes.mean == 70 and minutes.dist == base.dist and minutes.sd == base.sd


def test_an_inline_tables_mistake_blames_the_child(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'extends = "west_midlands"\n[provider]\n'
        'assessment_minutes = { dist = "gamma", mean = 60 }\n'
    )
    assert_one_line_error(cli("validate", path), f"{path}: provider.assessment_minutes.sd")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = { x = 1 }\n", {("a",)}),
        ("[p]\nm = {dist='fixed', value=1}\n", {("p", "m")}),
        ('[p.q]\n"r.s" = { x = 1 }\n', {("p", "q", "r.s")}),
        ("[p]\nm.n = { x = 1 }\n[[areas]]\nx = { y = 1 }\n", {("p", "m", "n")}),
        ('d = """\nx = { not a table }\n"""\n[p]\nm = 1\n', set()),
        ("[p]\nm = 1\n[p.sub]\nk = 2\n", set()),
    ],
)
def test_inline_tables_are_found_as_written(text, expected):
    assert inline_tables(text) == expected


def test_staff_help_shows_the_targets_table_name():
    result = cli("staff", "--help")
    assert "[targets]" in " ".join(result.stdout.split())


def test_the_staffing_plan_is_what_the_model_docs_say(tmp_path):
    """docs/MODEL.md: a whole scenario file, named <scenario>-staffing-plan, no extends,
    the overrides used included, runnable from any folder."""
    from simdivert.experiments.staffing import Period, Staffing, plan_as_toml

    scenario = load_scenario("west_midlands", ["provider.drug_workers=5"])
    course = scenario.course
    plan = [Staffing(7, dict(course.sessions_per_week), course.facilitators)]
    toml = plan_as_toml(scenario, plan, [Period("year 1", 0.0, scenario.horizon_hours)])
    (tmp_path / "staffing_plan.toml").write_text(toml)
    assert "extends" not in toml
    planned = load_scenario(tmp_path / "staffing_plan.toml")
    assert planned.name == "west_midlands-staffing-plan"
    assert planned.provider.drug_workers == 7
    assert planned.demand == scenario.demand and planned.policy == scenario.policy
    docs = (Path(__file__).parents[1] / "docs" / "MODEL.md").read_text()
    (row,) = [line for line in docs.splitlines() if line.startswith("| `staffing_plan.toml` |")]
    assert "no `extends`" in row and "-staffing-plan" in row


def test_a_sweeps_base_scenario_is_beside_it_or_built_in_never_the_current_folder(child):
    from simdivert.experiments.sweep_cells import plan_sweep

    sweep = child.parent / "sweep.toml"
    sweep.write_text('scenario = "west_midlands.toml"\nreplications = 1\n')
    (cell,) = plan_sweep(sweep).cells
    assert cell.scenario.name == "west_midlands"  # not the decoy in the current folder
