"""Sensitivity: one-at-a-time swings and rank correlations, as a user runs them."""

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.errors import ScenarioError
from simdivert.experiments.sensitivity import Factor, parse_vary

from conftest import EMBEDDED

runner = CliRunner()
SHORT = [
    *("--years", "0.1", "--reps", "2"),
    *("--set", "run.warmup_days=7", "--set", "policy.launch_after_days=0"),
    *(arg for setting in EMBEDDED for arg in ("--set", setting)),
]
FACTORS = [
    "--vary",
    "provider.drug_workers=2:5",
    "--vary",
    "demand.searches_per_year=15000:35000",
]


@pytest.fixture(scope="module")
def sensitivity_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sens") / "out"
    result = runner.invoke(
        app,
        ["sensitivity", *SHORT, *FACTORS, "--samples", "6", "--workers", "2", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "provider.drug_workers" in result.stdout  # the tornado table
    return out


def test_writes_tornado_correlations_and_every_replication(sensitivity_dir):
    assert sorted(p.name for p in sensitivity_dir.iterdir()) == [
        "manifest.json",
        "one_at_a_time.csv",
        "rank_correlations.csv",
        "replications.csv",
    ]
    rows = pd.read_csv(sensitivity_dir / "replications.csv")
    designs = rows.drop_duplicates("cell")["design"].value_counts()
    assert designs["one_at_a_time"] == 1 + 2 * 2 and designs["latin_hypercube"] == 6
    assert len(rows) == (5 + 6) * 2
    manifest = json.loads((sensitivity_dir / "manifest.json").read_text())
    assert manifest["replications_per_cell"] == 2 and len(manifest["factors"]) == 2


def test_swings_have_the_expected_signs(sensitivity_dir):
    effects = pd.read_csv(sensitivity_dir / "one_at_a_time.csv").set_index(["kpi", "factor"])
    utilisation = effects.loc[("drug_worker_utilisation", "provider.drug_workers")]
    assert utilisation["swing_ci_high"] < 0  # more drug workers, each less busy
    referrals = effects.loc[("referrals_per_year", "demand.searches_per_year")]
    assert referrals["swing_ci_low"] > 0
    assert effects.loc[("referrals_per_year", "provider.drug_workers"), "swing"] == 0
    tornado = effects.loc["referrals_per_year"].index.tolist()
    assert tornado[0] == "demand.searches_per_year"  # the largest swing first


def test_rank_correlations_follow_the_effects(sensitivity_dir):
    rho = pd.read_csv(sensitivity_dir / "rank_correlations.csv").set_index(["kpi", "factor"])
    assert rho.loc[("encounters_per_year", "demand.searches_per_year"), "spearman_rho"] > 0.9
    assert rho.loc[("drug_worker_utilisation", "provider.drug_workers"), "spearman_rho"] < 0


def test_parse_vary():
    assert parse_vary("provider.drug_workers=2:6") == Factor("provider.drug_workers", 2, 6)
    assert parse_vary("engagement.patience_days=30:90.5").high == 90.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("provider.drug_workers=6:2", "vary: provider.drug_workers: low (6) is above high (2)"),
        ("provider.drug_workers", "expected dotted.key=low:high"),
        ("provider.drug_workers=a:3", "'a' is not a number"),
    ],
)
def test_bad_vary(text, expected):
    with pytest.raises(ScenarioError, match=re.escape(expected)):
        parse_vary(text)


def test_bad_factor_key_is_one_line(tmp_path):
    result = runner.invoke(
        app, ["sensitivity", *SHORT, "--vary", "provider.drug_wrkers=1:2", "--out", tmp_path / "x"]
    )
    assert result.exit_code == 2
    assert "--vary: provider.drug_wrkers: unknown key" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
