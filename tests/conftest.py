"""Shared fixtures: short horizons and few replications keep the suite fast."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from simdivert.cli import app
from simdivert.scenario import Scenario
from simdivert.scenario_files import load_scenario

SHORT = ("run.years=0.2", "run.warmup_days=14", "run.replications=2")


def short_scenario(*overrides: str) -> Scenario:
    """The default scenario over a short horizon, with extra ``--set`` style overrides."""
    return load_scenario(None, [*SHORT, *overrides])


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return short_scenario()


REPORT_RUN = [
    "run",
    "--years",
    "0.1",
    "--reps",
    "2",
    "--set",
    "run.warmup_days=7",
    "--seed",
    "3",
    "--workers",
    "1",
    "--report",
]


@pytest.fixture(scope="session")
def reported_run(tmp_path_factory) -> Path:
    """A short run written with ``--report`` (which keeps the event log too)."""
    out = tmp_path_factory.mktemp("reported") / "run"
    result = CliRunner().invoke(app, [*REPORT_RUN, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out
