"""Shared fixtures: short horizons and few replications keep the suite fast."""

from __future__ import annotations

import pytest

from simdivert.scenario import Scenario
from simdivert.scenario_files import load_scenario

SHORT = ("run.years=0.2", "run.warmup_days=14", "run.replications=2", "policy.launch_after_days=0")

# Overrides shared by the verification tests.
ROUND_THE_CLOCK = (
    'provider.working_days=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]',
    "provider.day_start_hour=0",
    "provider.day_end_hour=24",
)
NO_SESSIONS = (
    "course.sessions_per_week={ cannabis = 0, cocaine = 0, nitrous_oxide = 0, general = 0, "
    "under_18 = 0 }"
)


def short_scenario(*overrides: str) -> Scenario:
    """The default scenario over a short horizon, with extra ``--set`` style overrides."""
    return load_scenario(None, [*SHORT, *overrides])


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return short_scenario()
