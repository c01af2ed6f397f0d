"""A sweep's output in the format ``simdivert sweep`` writes, while that command is being built.

A sweep's ``summary.csv``: the varied parameters as columns, then kpi, mean, ci_low,
ci_high, one row per cell and KPI. (Runs and comparisons are tested on real output
folders: see the fixtures in ``conftest.py``.)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


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
