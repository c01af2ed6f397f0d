"""The public Python API as a notebook calls it: ``import simdivert as sd``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import simdivert as sd
from simdivert.experiments.executors import InProcessExecutor

from conftest import SHORT

README = Path(__file__).resolve().parents[1] / "README.md"
PUBLIC = [
    "KPIS",
    "ComparisonResult",
    "Kpi",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SobolResults",
    "UserError",
    "__version__",
    "builtin_scenarios",
    "compare",
    "dask",
    "fit",
    "fitted_parameter_sets",
    "forecast",
    "load_scenario",
    "local",
    "run",
    "sobol",
    "write_comparison",
    "write_report",
    "write_run",
    "write_sobol",
]


def test_the_public_names_are_exactly_these_and_all_resolve():
    assert sorted(sd.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(sd, name) is not None, name
    assert set(PUBLIC) <= set(dir(sd))
    with pytest.raises(AttributeError):
        _ = sd.not_a_public_name


def test_importing_simdivert_loads_no_engine_nor_tables():
    heavy = "('simpy', 'pandas', 'scipy', 'matplotlib')"
    code = f"import sys, simdivert; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def short() -> sd.Scenario:
    return sd.load_scenario("west_midlands", set=list(SHORT))


def test_load_scenario_takes_a_mapping_of_dotted_keys(short):
    more = sd.load_scenario("west_midlands", set={"provider.drug_workers": 9, "run.years": 0.2})
    assert more.provider.drug_workers == 9 and more.run.years == 0.2
    assert "west_midlands" in sd.builtin_scenarios()


def test_a_bad_value_names_the_key_and_no_cli_flag():
    with pytest.raises(sd.ScenarioError) as error:
        sd.load_scenario("west_midlands", set={"provider.drug_workers": -1})
    message = str(error.value)
    assert "provider.drug_workers" in message and "--set" not in message


def test_run_gives_the_tables_of_a_run_folder(short, tmp_path):
    result = sd.run(short, replications=2, seed=3)
    assert list(result.summary.columns) == ["kpi", "mean", "ci_low", "ci_high", "unit"]
    assert len(result.replications) == 2
    folder = sd.write_run(result, tmp_path / "run")
    written = pd.read_csv(folder / "replications.csv")
    pd.testing.assert_frame_equal(written, result.replications, check_dtype=False)
    assert (folder / "manifest.json").exists()
    assert sd.write_report(folder).name == "report.html"


def test_run_is_the_same_on_any_executor(short):
    plain = sd.run(short, replications=2, seed=5)
    with sd.local(2) as pool:
        pooled = sd.run(short, replications=2, seed=5, executor=pool)
    with InProcessExecutor() as here:
        again = sd.run(short, replications=2, seed=5, executor=here)
    pd.testing.assert_frame_equal(plain.replications, pooled.replications)
    pd.testing.assert_frame_equal(plain.replications, again.replications)


def test_compare_pairs_on_common_random_numbers(short, tmp_path):
    more = sd.load_scenario("west_midlands", set=[*SHORT, "provider.drug_workers=12"])
    comparison = sd.compare(short, more, replications=2, seed=4)
    assert comparison.names == ["west_midlands", "west_midlands-2"]
    diffs = comparison.differences("west_midlands-2").set_index("kpi")
    # The same finds: more drug workers change no police KPI.
    assert diffs.loc["finds_per_year", "diff_mean"] == 0
    assert diffs.loc["assessment_wait_mean_days", "diff_mean"] < 0
    assert (sd.write_comparison(comparison, tmp_path / "cmp") / "comparison.csv").exists()


def test_the_kpi_catalogue_names_units_and_labels():
    wait = sd.KPIS["assessment_wait_p90_days"]
    assert wait.unit == "days" and wait.family == "waits"
    assert isinstance(wait, sd.Kpi)


def test_the_readme_example_runs(tmp_path):
    text = README.read_text()
    section = text[text.index("## From Python") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    env = {**os.environ, "PYTHONPATH": str(README.parent)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "outputs" / "api-example" / "report.html").exists()
