"""Uncertain inputs: priors as data, parameter sets drawn from them, the file of sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.errors import ScenarioError
from simdivert.experiments.uncertainty import (
    check_priors,
    prior_sets,
    set_overrides,
    unit_sample,
    values_at,
)
from simdivert.outputs.parameter_sets import read_parameter_sets, write_parameter_sets
from simdivert.scenario.files import load_scenario, load_scenario_with_values

PRIORS = """
[uncertainty]
"policy.adoption.mature_share" = { prior = "uniform", low = 0.45, high = 0.80 }
"refind.rate_per_year" = { prior = "log_uniform", low = 0.04, high = 0.16 }
"contact.answer_probability" = { prior = "beta", a = 8, b = 12 }
"demand.find_rate_drug_searches" = { prior = "normal", mean = 0.30, sd = 0.02, low = 0.27 }
"engagement.max_rebookings" = { prior = "values", values = [1, 2, 3] }
"""


def scenario_file(tmp_path, table: str = PRIORS, name: str = "uncertain.toml"):
    path = tmp_path / name
    path.write_text(f'extends = "west_midlands"\n{table}')  # adds to the base's priors
    return path


def test_each_prior_gives_its_quantiles(tmp_path):
    scenario = load_scenario(scenario_file(tmp_path))
    unit = np.array([0.05, 0.5, 0.95])
    priors = scenario.uncertainty
    assert priors["policy.adoption.mature_share"].value_at(unit) == pytest.approx(
        [0.4675, 0.625, 0.7825]
    )
    assert priors["refind.rate_per_year"].value_at(np.array([0.5]))[0] == pytest.approx(0.08)
    assert priors["contact.answer_probability"].value_at(unit) == pytest.approx(
        stats.beta.ppf(unit, 8, 12)
    )
    normal = priors["demand.find_rate_drug_searches"].value_at(np.array([0.0, 0.5, 1.0]))
    assert normal[0] == pytest.approx(0.27)  # cut at the bound given
    assert 0.30 < normal[1] < 0.31  # the median of the cut normal, above the mean
    assert normal[2] == pytest.approx(stats.norm.ppf(1 - 1e-4, 0.30, 0.02))
    rebookings = priors["engagement.max_rebookings"].value_at(np.linspace(0, 1, 3001))
    assert np.bincount(rebookings.astype(int))[1:] == pytest.approx([1000, 1000, 1001], abs=1)


def test_parameter_sets_are_a_latin_hypercube_reproducible_by_seed(tmp_path):
    scenario = load_scenario(scenario_file(tmp_path))
    first, again, other = (prior_sets(scenario, 20, seed) for seed in (7, 7, 8))
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    unit = unit_sample(5, 20, 7)
    for column in unit.T:  # one point in each twentieth of every input's range
        assert sorted(np.floor(column * 20).astype(int)) == list(range(20))
    assert list(first.columns) == list(scenario.uncertainty)  # the base's, then the file's
    assert list(first.columns)[-1] == "engagement.max_rebookings"
    assert first["engagement.max_rebookings"].dtype.kind == "i"  # a whole number stays one
    assert first["policy.adoption.mature_share"].between(0.45, 0.80).all()


def test_a_parameter_set_applied_gives_a_scenario_with_its_values(tmp_path):
    path = scenario_file(tmp_path)
    scenario = load_scenario(path)
    parameter_set = prior_sets(scenario, 3, 1).iloc[2]
    drawn = load_scenario_with_values(path, set_overrides(parameter_set))
    assert drawn.policy.adoption.mature_share == parameter_set["policy.adoption.mature_share"]
    assert drawn.engagement.max_rebookings == parameter_set["engagement.max_rebookings"]
    assert drawn.uncertainty == scenario.uncertainty


@pytest.mark.parametrize(
    ("entry", "key", "problem"),
    [
        (
            '"run.years" = { prior = "uniform", low = 1, high = 2 }',
            "uncertainty.run.years",
            "say how to run",
        ),
        (
            '"policy.adoption.nope" = { prior = "uniform", low = 1, high = 2 }',
            "uncertainty.policy.adoption.nope",
            "no such scenario value",
        ),
        (
            '"policy.diversion" = { prior = "uniform", low = 0, high = 1 }',
            "uncertainty.policy.diversion",
            "not a number",
        ),
        (
            '"policy.accept_share" = { prior = "uniform", low = 0.9, high = 0.8 }',
            "uncertainty.policy.accept_share",
            "low (0.9) must be below high (0.8)",
        ),
        (
            '"policy.accept_share" = { prior = "lognormal", low = 0.8, high = 0.9 }',
            "uncertainty.policy.accept_share",
            "does not match any of the expected tags",
        ),
        (
            '"policy.accept_share" = { prior = "values", values = [0.9, 0.9] }',
            "uncertainty.policy.accept_share",
            "listed twice",
        ),
    ],
)
def test_a_bad_prior_is_one_line_naming_file_and_key(tmp_path, entry, key, problem):
    path = scenario_file(tmp_path, f"[uncertainty]\n{entry}\n")
    result = CliRunner().invoke(app, ["run", str(path), "--years", "0.1"])
    assert result.exit_code != 0
    line = result.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert f"{path}: {key}" in line and problem in line


def test_a_prior_reaching_a_value_the_scenario_refuses_is_caught_before_a_run(tmp_path):
    path = scenario_file(
        tmp_path,
        '[uncertainty]\n"policy.accept_share" = { prior = "uniform", low = 0.9, high = 1.2 }\n',
    )
    scenario = load_scenario(path)
    with pytest.raises(ScenarioError) as caught:
        check_priors(path, [], scenario)
    assert caught.value.key == "uncertainty.policy.accept_share"
    assert "reaches 1.2" in caught.value.problem
    check_priors(
        scenario_file(tmp_path, name="fine.toml"), [], load_scenario(path.parent / "fine.toml")
    )


def test_the_default_scenario_names_at_least_ten_uncertain_inputs_all_usable():
    scenario = load_scenario()
    assert len(scenario.uncertainty) >= 10
    from simdivert.scenario.files import resolve_scenario_path

    check_priors(resolve_scenario_path(None), [], scenario)
    centre = values_at(scenario, np.full((1, len(scenario.uncertainty)), 0.5))
    assert centre.shape == (1, len(scenario.uncertainty))


def test_parameter_sets_round_trip_and_bad_files_name_the_column(tmp_path):
    scenario = load_scenario(scenario_file(tmp_path))
    sets = prior_sets(scenario, 4, 3)
    path = write_parameter_sets(tmp_path / "parameter_sets.parquet", sets.assign(wave=1))
    read = read_parameter_sets(tmp_path, scenario)  # a fit's folder holding the file
    pd.testing.assert_frame_equal(read, sets, check_dtype=False)

    write_parameter_sets(path, sets.drop(columns="refind.rate_per_year"))
    with pytest.raises(ScenarioError, match="refind.rate_per_year: missing column"):
        read_parameter_sets(path, scenario)
    write_parameter_sets(path, sets.assign(**{"refind.rate_per_year": np.nan}))
    with pytest.raises(ScenarioError, match="refind.rate_per_year: row 1: not a finite number"):
        read_parameter_sets(path, scenario)
    path.write_text("not parquet")
    with pytest.raises(ScenarioError, match="not a Parquet file"):
        read_parameter_sets(path, scenario)
    with pytest.raises(ScenarioError, match="no such file"):
        read_parameter_sets(tmp_path / "absent.parquet", scenario)


def test_a_one_line_table_replaces_the_base_scenarios_priors(tmp_path):
    path = tmp_path / "own.toml"
    path.write_text(
        'extends = "west_midlands"\n'
        'uncertainty = { "policy.accept_share" = { prior = "uniform", low = 0.9, high = 0.99 } }\n'
    )
    assert list(load_scenario(path).uncertainty) == ["policy.accept_share"]


def test_a_prior_on_a_value_the_scenario_leaves_unset_says_so(tmp_path):
    path = tmp_path / "flat.toml"  # the base's priors name the adoption curve's mature share
    path.write_text('extends = "west_midlands"\n[policy]\nadoption = { start_share = 0.5 }\n')
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code != 0
    # the error names the file that set the prior (the base) and the key
    assert "west_midlands.toml: uncertainty.policy.adoption.mature_share: has no value" in (
        result.output
    )
