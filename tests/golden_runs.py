"""The golden runs: each built-in scenario at a fixed seed, two replications.

The horizon is shortened (a year and a half measured after a fortnight's warm-up) but the
scenario's own launch and go-live dates stay, so the launch, the areas and the rules of
each scheme are exercised.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simdivert.experiments.replications import run_replications
from simdivert.scenario.files import load_scenario

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN_SEED = 20261201
GOLDEN_REPLICATIONS = 2
GOLDEN_OVERRIDES = ("run.years=1.5", "run.warmup_days=14", "policy.launch_after_days=30")


def golden_replications(name: str) -> pd.DataFrame:
    """The replications table of one built-in scenario's golden run."""
    scenario = load_scenario(name, list(GOLDEN_OVERRIDES))
    return run_replications(scenario, GOLDEN_REPLICATIONS, GOLDEN_SEED).replications
