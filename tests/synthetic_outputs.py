"""Small output files in the formats other commands will write (compare, sweep).

``comparison.csv``: kpi, scenario, mean, ci_low, ci_high, diff_mean, diff_ci_low,
diff_ci_high, one row per KPI and scenario, differences paired against the baseline.
A sweep's ``summary.csv``: the varied parameters as columns, then kpi, mean, ci_low,
ci_high, one row per cell and KPI.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

BASELINE = "status_quo"
GROUPS = ("white", "black", "asian")
# kpi: (status quo, diversion, diversion with more workers)
COMPARISON_MEANS = {
    "referrals_per_year": (0.0, 4844.0, 4850.0),
    "assessment_wait_p90_days": (np.nan, 8.9, 6.1),
    "share_completed": (np.nan, 0.77, 0.775),
    "police_hours_saved_adjusted_per_year": (0.0, 7238.0, 7240.0),
    "charges_per_year": (1200.0, 348.0, 348.0),
    "cautions_per_year": (400.0, 80.0, 80.0),
    "formal_outcome_share_white": (0.30, 0.10, 0.10),
    "formal_outcome_share_black": (0.46, 0.125, 0.125),
    "formal_outcome_share_asian": (0.35, 0.11, 0.11),
}
SCENARIOS = (BASELINE, "west_midlands", "west_midlands_4_workers")


def comparison_table() -> pd.DataFrame:
    """A status-quo baseline and two diversion scenarios; CI half-width 2% of the mean."""
    rows = []
    for kpi, means in COMPARISON_MEANS.items():
        base = means[0]
        for scenario, mean in zip(SCENARIOS, means, strict=True):
            half = 0.02 * abs(mean) + 1e-3
            diff = 0.0 if scenario == BASELINE else mean - base
            diff_half = 0.0 if scenario == BASELINE else 0.5 * half
            rows.append(
                {
                    "kpi": kpi,
                    "scenario": scenario,
                    "mean": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "diff_mean": diff,
                    "diff_ci_low": diff - diff_half,
                    "diff_ci_high": diff + diff_half,
                }
            )
    return pd.DataFrame(rows)


def write_comparison(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    comparison_table().to_csv(folder / "comparison.csv", index=False)
    return folder


def sweep_grid_table() -> pd.DataFrame:
    """drug workers x annual growth, a full grid; the P90 wait rises with load."""
    rows = []
    for workers in (2, 3, 4):
        for growth in (0.0, 0.2):
            p90 = 5 + 20 * (1 + growth) / workers
            utilisation = min(0.99, 2.1 * (1 + growth) / workers)
            for kpi, mean in (
                ("assessment_wait_p90_days", p90),
                ("drug_worker_utilisation", utilisation),
            ):
                rows.append(
                    {
                        "provider.drug_workers": workers,
                        "demand.annual_growth": growth,
                        "kpi": kpi,
                        "mean": mean,
                        "ci_low": mean * 0.95,
                        "ci_high": mean * 1.05,
                    }
                )
    return pd.DataFrame(rows)


def write_sweep(folder: Path, table: pd.DataFrame | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (sweep_grid_table() if table is None else table).to_csv(folder / "summary.csv", index=False)
    return folder
