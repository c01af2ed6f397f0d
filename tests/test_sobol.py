"""Sobol indices: the analysis on functions whose indices are known, and
``simdivert sensitivity --method sobol`` as a user runs it, on three uncertain inputs
of which each matters to some KPIs and not to others."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simdivert as sd
from simdivert.cli.app import app
from simdivert.errors import ScenarioError
from simdivert.experiments.sobol import (
    analyse,
    balanced_samples,
    check_samples,
    imbalance,
    plan_sobol,
    sobol_indices,
    sobol_sample,
)
from simdivert.numbers import index_interval, share_index
from simdivert.reporting.report import write_report

from conftest import EMBEDDED

runner = CliRunner()
SHORT = [
    *("--years", "0.1"),
    *("--set", "run.warmup_days=7", "--set", "policy.launch_after_days=0"),
    *(arg for setting in EMBEDDED for arg in ("--set", setting)),
]
# Demand moves referrals; drug workers move the waits, never referrals; the custody
# term moves the prison cost saved, and so the net cost, and nothing on the pathway.
THREE_INPUTS = (
    'extends = "west_midlands"\n'
    "uncertainty = { "
    '"demand.searches_per_year" = { prior = "uniform", low = 15000, high = 35000 }, '
    '"provider.drug_workers" = { prior = "values", values = [2, 3, 4, 5] }, '
    '"courts.custody_weeks_mean" = { prior = "uniform", low = 8, high = 20 } }\n'
)
INPUTS = ["demand.searches_per_year", "provider.drug_workers", "courts.custody_weeks_mean"]
SAMPLES = 16


@pytest.fixture(scope="module")
def three_inputs(tmp_path_factory):
    path = tmp_path_factory.mktemp("sobol") / "three.toml"
    path.write_text(THREE_INPUTS)
    return path


@pytest.fixture(scope="module")
def sobol_dir(three_inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("sobol-out") / "out"
    args = ["sensitivity", str(three_inputs), "--method", "sobol", "--samples", str(SAMPLES)]
    result = runner.invoke(app, [*args, *SHORT, "--workers", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "provider.drug_workers" in result.stdout  # the table of the --kpi
    return out


# --- The analysis, on functions with known indices ---------------------------------------


def ishigami(unit: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    x = -math.pi + 2 * math.pi * unit
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_indices_match_the_analytic_ones():
    a, b = 7.0, 0.1
    variance = a**2 / 8 + b * math.pi**4 / 5 + b**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    s1 = np.array([v1, v2, 0.0]) / variance
    st = np.array([v1 + v13, v2, v13]) / variance
    unit = sobol_sample(3, 1024, seed=1)
    table = sobol_indices(ishigami(unit), ["x1", "x2", "x3"], seed=1).set_index("input")
    assert table["S1"].to_numpy() == pytest.approx(s1, abs=0.05)
    assert table["ST"].to_numpy() == pytest.approx(st, abs=0.05)
    assert (table["ST_conf"] > 0).all() and (table["ST_conf"] < 0.1).all()


def test_a_linear_function_has_its_squared_weights_as_indices():
    weights = np.array([4.0, 2.0, 1.0, 0.0])
    unit = sobol_sample(4, 256, seed=3)
    table = sobol_indices(unit @ weights, list("abcd"), seed=3)
    expected = weights**2 / np.sum(weights**2)  # no interactions: S1 = ST
    assert table["S1"].to_numpy() == pytest.approx(expected, abs=0.03)
    assert table["ST"].to_numpy() == pytest.approx(expected, abs=0.03)
    assert table.loc[3, "ST"] == 0  # an input the function ignores


def test_the_design_is_saltellis_and_reproducible_by_seed():
    unit = sobol_sample(3, 8, seed=5)
    assert unit.shape == ((3 + 2) * 8, 3)
    assert (unit == sobol_sample(3, 8, seed=5)).all()
    assert not (unit == sobol_sample(3, 8, seed=6)).all()
    blocks = unit.reshape(8, 5, 3)  # per base point: A, A with each column from B, B
    a, b = blocks[:, 0], blocks[:, -1]
    for column in range(3):
        expected = a.copy()
        expected[:, column] = b[:, column]
        assert (blocks[:, 1 + column] == expected).all()


def test_a_small_design_for_many_inputs_is_flagged():
    assert [balanced_samples(d) for d in (1, 3, 4, 15)] == [8, 32, 32, 128]
    assert imbalance(sobol_sample(15, 32, seed=2020), 15)[0] > 0.5
    assert imbalance(sobol_sample(15, 128, seed=2020), 15)[0] < 0.2
    assert imbalance(sobol_sample(3, 32, seed=2020), 3)[0] < 0.2


@pytest.mark.parametrize("samples", [20, 2, 0, 48])
def test_the_base_sample_must_be_a_power_of_two(samples):
    with pytest.raises(ScenarioError, match=rf"^samples: {samples}: .*power of 2"):
        check_samples(samples)


def test_indices_are_written_without_a_minus_zero():
    assert share_index(-0.001) == "0.00"
    assert index_interval(0.1, 0.25) == "0.10 (\N{MINUS SIGN}0.15 to 0.35)"


# --- The command, end to end --------------------------------------------------------------


def test_writes_indices_kpis_and_every_run(sobol_dir):
    assert sorted(p.name for p in sobol_dir.iterdir()) == [
        "manifest.json",
        "replications.csv",
        "sobol.csv",
        "sobol_kpis.csv",
    ]
    indices = pd.read_csv(sobol_dir / "sobol.csv")
    assert list(indices.columns) == ["kpi", "input", "S1", "S1_conf", "ST", "ST_conf"]
    runs = pd.read_csv(sobol_dir / "replications.csv")
    assert len(runs) == (3 + 2) * SAMPLES  # one replication per point by default
    assert set(INPUTS) <= set(runs.columns)
    manifest = json.loads((sobol_dir / "manifest.json").read_text())
    assert manifest["method"] == "sobol" and manifest["points"] == 5 * SAMPLES
    assert [i["key"] for i in manifest["inputs"]] == INPUTS
    assert manifest["inputs"][1]["prior"] == "one of 2, 3, 4, 5"


def test_each_input_matters_where_it_should(sobol_dir):
    st = pd.read_csv(sobol_dir / "sobol.csv").set_index(["kpi", "input"])["ST"]
    referrals = st["referrals_per_year"]
    assert referrals.idxmax() == "demand.searches_per_year" and referrals.max() > 0.3
    # Drug workers reach referrals only through the timing of repeat finds; the custody
    # term, read after the run, not at all: on common random numbers its ST is exactly 0.
    assert referrals["provider.drug_workers"] < 0.01
    assert referrals["courts.custody_weeks_mean"] == 0
    assert st["assessment_wait_p90_days"].idxmax() == "provider.drug_workers"
    assert st[("assessment_wait_p90_days", "courts.custody_weeks_mean")] == 0
    assert st[("net_public_cost_per_year", "courts.custody_weeks_mean")] > 0


def test_a_kpi_the_runs_cannot_measure_says_why(sobol_dir):
    kpis = pd.read_csv(sobol_dir / "sobol_kpis.csv").set_index("kpi")
    assert kpis.loc["reoffending_12_months", "note"].startswith("undefined at 80 of 80")
    assert "reoffending_12_months" not in set(pd.read_csv(sobol_dir / "sobol.csv")["kpi"])
    assert kpis.loc["referrals_per_year", "S1_sum"] > 0
    assert kpis["noise_share"].isna().all()  # one replication per point: not measured


def test_the_api_on_a_dask_cluster_gives_the_commands_indices(
    three_inputs, sobol_dir, dask_address
):
    overrides = [SHORT[i + 1] for i in range(2, len(SHORT), 2)]
    with sd.dask(dask_address) as cluster:
        results = sd.sobol(
            three_inputs, samples=SAMPLES, set=["run.years=0.1", *overrides], executor=cluster
        )
    written = pd.read_csv(sobol_dir / "sobol.csv")
    pd.testing.assert_frame_equal(results.indices, written, check_dtype=False)
    assert results.plan.cost(1).replications == 5 * SAMPLES


def test_noise_shows_as_the_total_index_of_an_input_that_does_nothing():
    unit = sobol_sample(2, 128, seed=4)
    rng = np.random.default_rng(0)
    reps, noise_sd = 4, 0.2
    rows = [
        {"cell": point, "replication": r, "referrals_per_year": x + rng.normal(0, noise_sd)}
        for point, x in enumerate(unit[:, 0])  # the first input alone, variance 1/12
        for r in range(reps)
    ]
    indices, kpis = analyse(pd.DataFrame(rows), ["a", "b"], ["referrals_per_year"], seed=4)
    noise = noise_sd**2 / reps  # the variance of a point's mean that is noise
    expected = noise / (1 / 12 + noise)
    assert kpis.loc[0, "noise_share"] == pytest.approx(expected, rel=0.2)
    st = indices.set_index("input")["ST"]
    # Independent noise at each point: every ST gains about the noise share, and the
    # S1 sum falls short of one by about as much.
    assert st["b"] == pytest.approx(expected, abs=0.05)
    assert kpis.loc[0, "S1_sum"] == pytest.approx(1 - expected, abs=0.1)


def test_the_plan_counts_every_run_on_one_seed(three_inputs):
    plan = plan_sobol(three_inputs, (("run.years", 0.1),), 4, 3, seed=1)
    assert plan.runs == 5 * 4 * 3 and plan.cost(2).replications == 60
    assert all(cell.scenario.run.seed == 1 for cell in plan.cells)  # common random numbers
    assert plan.balance_warning() is not None and "32 or more" in plan.balance_warning()
    default = plan_sobol(three_inputs, (("run.years", 0.1),), None, 1, seed=1)
    assert default.samples == 32 and default.balance_warning() is None  # 8 per input


def test_the_report_shows_the_figure_and_the_table(sobol_dir):
    report = write_report(sobol_dir, workers=1).read_text()
    assert "Which uncertain inputs matter" in report
    assert 'id="fig-sobol_indices"' in report
    assert "Referrals a year depends most on demand: searches per year" in report
    assert "Wait to assessment for 9 in 10 depends most on provider: drug workers" in report
    assert (sobol_dir / "figures" / "sobol_indices.png").is_file()


def _one_line_error(args, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["sensitivity", *args, *SHORT, "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert not out.exists()
    return lines[0]


def test_a_scenario_without_priors_is_refused_naming_the_file(tmp_path):
    bare = tmp_path / "bare.toml"
    bare.write_text('extends = "west_midlands"\nuncertainty = {}\n')
    line = _one_line_error([str(bare), "--method", "sobol", "--samples", "4"], tmp_path)
    assert f"{bare}: uncertainty: the scenario names no uncertain inputs" in line


def test_vary_is_refused_with_sobol(tmp_path):
    args = ["--method", "sobol", "--vary", "provider.drug_workers=2:5"]
    assert "--vary: not with --method sobol" in _one_line_error(args, tmp_path)


def test_a_base_sample_not_a_power_of_two_is_refused(tmp_path):
    line = _one_line_error(["--method", "sobol", "--samples", "20"], tmp_path)
    assert line.startswith("error: --samples: 20: the base sample of a Sobol design must be a")
    assert "power of 2" in line


def test_the_headlines_do_not_read_noise_as_an_effect():
    from simdivert.outputs.readers import SobolIndices
    from simdivert.reporting.sobol_section import sobol_headlines

    rows = [
        # kpi, input, S1, ST: an effect, noise (large ST, S1 near 0), and nothing at all
        ("referrals_per_year", "demand.searches_per_year", 0.9, 0.95),
        ("referrals_per_year", "provider.drug_workers", 0.0, 0.01),
        ("course_wait_p90_days", "demand.searches_per_year", 0.02, 0.8),
        ("course_wait_p90_days", "provider.drug_workers", -0.03, 0.7),
        ("share_completed", "demand.searches_per_year", 0.01, 0.02),
        ("share_completed", "provider.drug_workers", 0.0, 0.01),
    ]
    indices = pd.DataFrame(rows, columns=["kpi", "input", "S1", "ST"]).assign(
        S1_conf=0.05, ST_conf=0.05
    )
    kpis = indices.groupby("kpi", sort=False)["S1"].sum().rename("S1_sum").reset_index()
    lines = {line.kpi: line.text for line in sobol_headlines(SobolIndices(indices, kpis))}
    assert lines["referrals_per_year"].startswith(
        "Referrals a year depends most on demand: searches per year (ST 0.95"
    )
    assert "mostly Monte-Carlo noise or interactions" in lines["course_wait_p90_days"]
    assert "no input has an ST of 0.05 or more" in lines["share_completed"]
