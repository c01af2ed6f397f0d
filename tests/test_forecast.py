"""Forecasts with uncertainty (issue 15, items 3 and 5): parameter sets x replications on
common random numbers, prediction intervals beside confidence intervals, a fit's sets
chosen reproducibly, the same sets in every arm of a comparison, the report's fan chart,
and a new force's first-year referrals with an interval wide enough to be honest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from police_uk_samples import FORCE, write_archive
from typer.testing import CliRunner

import simdivert as sd
from simdivert.cli.app import app
from simdivert.errors import ScenarioError, UserError
from simdivert.experiments.forecast import choose_fitted_sets, set_scenarios
from simdivert.experiments.uncertainty import prior_sets
from simdivert.outputs import parameter_sets
from simdivert.outputs.parameter_sets import read_parameter_sets, resolve_fit, write_parameter_sets

# A year from the launch, so the first year's referrals (referrals_by_month_12) exist.
YEAR_FROM_LAUNCH = ["--years", "1", "--set", "policy.launch_after_days=0"]
QUICK = {"run.years": 1, "policy.launch_after_days": 0}
runner = CliRunner()


@pytest.fixture(scope="module")
def base():
    return sd.load_scenario("west_midlands", set=QUICK)


@pytest.fixture(scope="module")
def fit_file(base, tmp_path_factory) -> Path:
    """A fit's parameter sets, as a fit writes them: six sets drawn from the priors."""
    path = tmp_path_factory.mktemp("fit") / "parameter_sets.parquet"
    write_parameter_sets(path, prior_sets(base, 6, seed=11))
    return path


@pytest.fixture(scope="module")
def forecast_folder(fit_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("forecast") / "run"
    args = ["run", *YEAR_FROM_LAUNCH, "--reps", "2", "--workers", "1", "--out", str(out)]
    result = runner.invoke(app, [*args, "--uncertainty", "--sets", "3", "--fit", str(fit_file)])
    assert result.exit_code == 0, result.output
    return out


def test_a_fits_sets_are_chosen_by_the_seed_reproducibly(base, fit_file) -> None:
    fitted = read_parameter_sets(fit_file, base)
    chosen = choose_fitted_sets(fitted, 3, seed=5)
    assert len(chosen) == 3 and set(chosen.index) <= set(fitted.index)
    assert chosen.equals(choose_fitted_sets(fitted, 3, seed=5))
    others = [tuple(choose_fitted_sets(fitted, 3, seed=s).index) for s in range(6, 12)]
    assert any(o != tuple(chosen.index) for o in others)  # another seed, other sets
    assert choose_fitted_sets(fitted, 10, seed=5).equals(fitted)  # fewer kept: all of them


def test_a_fit_is_a_file_a_folder_or_a_builtin_name(fit_file, tmp_path, monkeypatch) -> None:
    assert resolve_fit(fit_file) == fit_file
    assert resolve_fit(fit_file.parent) == fit_file.parent  # a fit's folder holding it
    fits = tmp_path / "builtin" / "fits"
    fits.mkdir(parents=True)
    (fits / "west_midlands.parquet").write_bytes(fit_file.read_bytes())
    monkeypatch.setattr(parameter_sets, "builtin_scenario_dir", lambda: tmp_path / "builtin")
    assert resolve_fit("west_midlands") == fits / "west_midlands.parquet"
    with pytest.raises(UserError) as error:
        resolve_fit("no_such_fit")
    message = str(error.value)
    assert message.startswith("fit no_such_fit: no such file or folder, nor a built-in fit")
    assert "west_midlands" in message and "\n" not in message


def test_summary_has_prediction_intervals_beside_the_confidence_intervals(forecast_folder):
    summary = pd.read_csv(forecast_folder / "summary.csv")
    assert list(summary.columns) == [
        "kpi",
        "mean",
        "ci_low",
        "ci_high",
        "pi_low",
        "pi_high",
        "unit",
    ]
    replications = pd.read_csv(forecast_folder / "replications.csv")
    assert len(replications) == 3 * 2 and list(replications.columns[:2]) == ["set", "replication"]
    row = summary.set_index("kpi").loc["referrals_by_month_12"]
    values = replications["referrals_by_month_12"]
    assert row["pi_low"] == pytest.approx(values.quantile(0.05))
    assert row["pi_high"] == pytest.approx(values.quantile(0.95))
    assert row["pi_low"] <= row["mean"] <= row["pi_high"]
    # Common random numbers: every set ran replications 0 and 1.
    assert replications.groupby("set")["replication"].apply(list).map(tuple).nunique() == 1


def test_the_sets_run_and_the_settings_are_in_the_folder(forecast_folder, fit_file) -> None:
    manifest = json.loads((forecast_folder / "manifest.json").read_text())
    record = manifest["uncertainty"]
    assert record["source"] == "fit" and record["sets"] == 3 and record["sets_in_fit"] == 6
    assert record["replications_per_set"] == 2 and manifest["replications"] == 2
    written = pd.read_parquet(forecast_folder / "parameter_sets.parquet").set_index("set")
    fitted = pd.read_parquet(fit_file).set_index("set")
    assert list(written.index) == record["set_numbers"]
    pd.testing.assert_frame_equal(written, fitted.loc[written.index], check_dtype=False)


def test_a_forecast_is_the_same_on_a_process_pool_and_written_from_python(base, tmp_path):
    in_process = sd.forecast(base, sets=2, replications=2, seed=4)
    with sd.local(2) as executor:
        pooled = sd.forecast(base, sets=2, replications=2, seed=4, executor=executor)
    pd.testing.assert_frame_equal(in_process.replications, pooled.replications)
    assert {"pi_low", "pi_high"} <= set(pooled.summary.columns)
    folder = sd.write_run(pooled, tmp_path / "run")
    assert (folder / "parameter_sets.parquet").is_file()


def test_the_budget_counts_sets_x_replications(base) -> None:
    with pytest.raises(UserError, match="^too (long|big) .*: 2,000,000 replications"):
        sd.forecast(base, sets=20_000, replications=100, seed=1)


def test_a_run_without_uncertainty_writes_no_prediction_interval(base) -> None:
    result = sd.run(base, replications=2, seed=1)
    assert "pi_low" not in result.summary.columns and "set" not in result.replications


def test_the_report_shows_the_fan_chart_and_says_which_interval_is_which(forecast_folder):
    result = runner.invoke(app, ["report", str(forecast_folder)])
    assert result.exit_code == 0, result.output
    html = (forecast_folder / "report.html").read_text()
    assert "How sure the forecast is" in html and "90% PI" in html
    assert "says only how precisely the simulation has" in html
    assert (forecast_folder / "figures" / "forecast_fan_chart.png").is_file()


def test_compare_runs_the_same_sets_in_both_arms(tmp_path) -> None:
    out = tmp_path / "compare"
    args = ["compare", "west_midlands", "status_quo", *YEAR_FROM_LAUNCH, "--reps", "2"]
    result = runner.invoke(
        app, [*args, "--workers", "1", "--uncertainty", "--sets", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "; 90% PI " in result.output  # the league table: each difference's PI too
    comparison = pd.read_csv(out / "comparison.csv")
    for column in ("pi_low", "pi_high", "diff_pi_low", "diff_pi_high"):
        assert column in comparison.columns
    replications = pd.read_csv(out / "replications.csv")
    keys = replications.groupby("scenario")[["set", "replication"]].apply(
        lambda t: tuple(map(tuple, t.to_numpy()))
    )
    assert keys.nunique() == 1 and len(keys.iloc[0]) == 4
    assert json.loads((out / "manifest.json").read_text())["uncertainty"]["sets"] == 2


def test_an_input_an_arm_lacks_is_an_error_naming_it(base) -> None:
    sets = pd.DataFrame({"provider.no_such_input": [1.0]}).rename_axis("set")
    with pytest.raises(ScenarioError) as error:
        set_scenarios(base, sets, "other.toml")
    assert str(error.value).startswith("other.toml: provider.no_such_input: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sets", "3"], "error: --sets: only with --uncertainty"),
        (["--uncertainty", "--fit", "no_such_fit"], "error: --fit no_such_fit: no such file or"),
    ],
)
def test_a_bad_forecast_option_is_one_line(tmp_path, args, message) -> None:
    result = runner.invoke(app, ["run", *args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "x").exists()


# --- Item 5: a new force's forecast --------------------------------------------------


@pytest.fixture(scope="module")
def new_force(tmp_path_factory) -> Path:
    """A force known only by its police.uk searches (synthetic files), importing onto
    West Midlands' scheme and so inheriting its priors."""
    from simdivert.importers.scenario_toml import import_police_uk

    folder = tmp_path_factory.mktemp("police-uk")
    return import_police_uk([write_archive(folder)], FORCE, "west_midlands", folder / "f.toml").path


def test_the_imported_priors_are_the_forces_own(new_force) -> None:
    """A prior on a value the import set is moved to the force's value, not West Midlands'."""
    force = sd.load_scenario(new_force)
    for key in ("demand.other_finds_per_year", "demand.find_rate_drug_searches"):
        low, high = force.uncertainty[key].support
        assert low < force.value_at(key) < high


def _first_year_share(scenario, unit: np.ndarray) -> np.ndarray:
    """The mean share of finds offered over the first year, per adoption draw."""
    from simdivert.scenario.policy_settings import AdoptionCurve

    keys = [k for k in scenario.uncertainty if k.startswith("policy.adoption.")]
    days = np.arange(365) + 0.5
    draws = {
        k.rsplit(".", 1)[1]: scenario.uncertainty[k].value_at(unit[:, i])
        for i, k in enumerate(keys)
    }
    return np.array(
        [
            AdoptionCurve(**{k: float(v[j]) for k, v in draws.items()}).share(days).mean()
            for j in range(len(unit))
        ]
    )


def test_a_new_forces_first_year_referrals_come_with_an_honest_interval(new_force) -> None:
    scenario = sd.load_scenario(new_force, set=QUICK)
    forecast = sd.forecast(scenario, sets=4, replications=2, seed=3)
    row = forecast.summary.set_index("kpi").loc["referrals_by_month_12"]
    point = sd.run(scenario, replications=2, seed=3).summary.set_index("kpi")
    assert row["pi_low"] <= point.loc["referrals_by_month_12", "mean"] <= row["pi_high"]
    ratio = row["pi_high"] / row["pi_low"]
    assert ratio > 1.5
    # Wider than chance alone gives: as many replications with the scenario's own values.
    alone = sd.run(scenario, replications=8, seed=3).replications["referrals_by_month_12"]
    assert ratio > alone.quantile(0.95) / alone.quantile(0.05)
    # The adoption priors alone put officers' first-year uptake within a factor of 3 or
    # more (5th to 95th percentile): the referral interval must not claim to know it
    # better than half that.
    from simdivert.experiments.uncertainty import unit_sample

    shares = _first_year_share(scenario, unit_sample(4, 500, seed=1))
    adoption_ratio = np.quantile(shares, 0.95) / np.quantile(shares, 0.05)
    assert adoption_ratio > 3
    assert ratio > adoption_ratio / 2
