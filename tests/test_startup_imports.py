"""What the command line loads before it runs anything: each heavy library is imported
by the command that uses it, so ``--help`` and ``validate`` start in well under a second
(``benchmarks/bench_startup.py``). Each check runs in a fresh interpreter."""

import json
import subprocess
import sys

import pytest

HEAVY = {"scipy", "matplotlib", "simpy", "pandas", "dask", "pyarrow"}


def modules_loaded(code: str, candidates: set[str]) -> set[str]:
    """Which of ``candidates`` are in ``sys.modules`` after running ``code`` afresh."""
    check = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps([m for m in {sorted(candidates)!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_command_line_loads_no_heavy_library():
    assert modules_loaded("import simdivert.cli.app", HEAVY | {"numpy"}) == set()


def test_validating_a_scenario_needs_only_pydantic():
    code = (
        "from simdivert.scenario.files import builtin_scenarios, load_scenario\n"
        "for name in builtin_scenarios(): load_scenario(name)"
    )
    assert modules_loaded(code, HEAVY | {"numpy"}) == set()


@pytest.mark.parametrize(
    "module", ["simdivert.reporting", "simdivert.reporting.report", "simdivert.numbers"]
)
def test_reporting_does_not_load_simpy(module):
    assert modules_loaded(f"import {module}", {"simpy"}) == set()


def test_stats_loads_neither_scipy_nor_pandas():
    assert modules_loaded("import simdivert.stats", {"scipy", "pandas"}) == set()
