"""A national rollout's tables: the country's totals, and a row per force.

The totals are taken replication by replication: replication r of the country is the
sum over forces of their replication r, and the interval is that of those sums. Every
force runs the same seed and replication indices (the sweep's common random numbers),
so the forces' runs are positively correlated where real forces are independent: the
interval of a total is, if anything, wider than that of independent runs (conservative).
Only replications that every force has are summed (with a precision target, cells may
have run different numbers).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from simdivert.experiments.replications import summarise
from simdivert.experiments.sweep_cells import SCENARIO_COLUMN, SweepPlan
from simdivert.experiments.sweep_runner import CELL_COLUMN, REPLICATION_COLUMN
from simdivert.kpis import OUTCOME_KPIS, is_kpi
from simdivert.scenario.schema import FORMAL_OUTCOMES

FORCE_COLUMN = "force"  # the force's scenario name
FORCES_COLUMN = "forces"
# Counts a year, summed over forces (the figures a national plan asks for). A KPI not
# in the catalogue or the files (an older folder) is left out.
NATIONAL_KPIS = (
    "referrals_per_year",
    *(OUTCOME_KPIS[outcome] for outcome in FORMAL_OUTCOMES),
    "police_hours_per_year",
    "police_hours_saved_adjusted_per_year",
    "provider_cost_per_year",
    "police_cost_saved_per_year",
    "net_public_cost_per_year",
)
# Shares, per force only (a national share would need weights).
FORCE_ONLY_KPIS = ("drug_worker_utilisation", "assessment_wait_p90_days")
# Staff in post, from each force's scenario: inputs, summed as they are.
STAFF_IN_POST = {
    "drug_workers_in_post": ("provider.drug_workers", "FTE"),
    "facilitators_in_post": ("course.facilitators", "people"),
}


def national_kpis(results: pd.DataFrame) -> list[str]:
    return [k for k in NATIONAL_KPIS if is_kpi(k) and k in results.columns]


def _group_columns(plan: SweepPlan) -> list[str]:
    """What else varies across the cells (variants, grid keys): one national total each."""
    return [c for c in plan.parameter_columns if c != SCENARIO_COLUMN]


def _staff(plan: SweepPlan) -> pd.DataFrame:
    rows = []
    for cell in plan.cells:
        row: dict[str, object] = {CELL_COLUMN: cell.index}
        for column, (key, _) in STAFF_IN_POST.items():
            section, leaf = key.split(".")
            row[column] = getattr(getattr(cell.scenario, section), leaf)
        rows.append(row)
    return pd.DataFrame(rows)


def force_table(plan: SweepPlan, results: pd.DataFrame) -> pd.DataFrame:
    """A row per force (and variant or grid point): staff in post, then the mean of each
    national KPI and of the per-force shares over the force's replications."""
    kpis = [*national_kpis(results), *(k for k in FORCE_ONLY_KPIS if k in results.columns)]
    labels = [CELL_COLUMN, *plan.parameter_columns]
    means = results.groupby(labels, sort=True, dropna=False)[kpis].mean().reset_index()
    replications = results.groupby(CELL_COLUMN).size().rename("replications").reset_index()
    table = means.merge(_staff(plan), on=CELL_COLUMN).merge(replications, on=CELL_COLUMN)
    table = table.rename(columns={SCENARIO_COLUMN: FORCE_COLUMN})
    first = [CELL_COLUMN, FORCE_COLUMN, *_group_columns(plan), *STAFF_IN_POST, "replications"]
    return table[[*first, *kpis]]


def national_table(plan: SweepPlan, results: pd.DataFrame) -> pd.DataFrame:
    """The country's totals: per variant or grid point (if any), per KPI, the mean and
    95% interval of the replication-by-replication sums over forces, the number of
    forces and replications; then the staff in post, summed."""
    kpis = national_kpis(results)
    groups = _group_columns(plan)
    staff = _staff(plan).merge(
        results[[CELL_COLUMN, *groups]].drop_duplicates(CELL_COLUMN), on=CELL_COLUMN
    )
    frames = []
    for key, table in _by_group(results, groups):
        forces = table[CELL_COLUMN].nunique()
        counts = table.groupby(REPLICATION_COLUMN)[CELL_COLUMN].nunique()
        common = counts.index[counts == forces]
        rows = table[table[REPLICATION_COLUMN].isin(common)]
        totals = rows.groupby(REPLICATION_COLUMN)[kpis].agg(lambda s: s.sum(skipna=False))
        summary = summarise(totals.reset_index())
        summary[FORCES_COLUMN] = forces
        summary["replications"] = len(common)
        cells = staff[staff[CELL_COLUMN].isin(table[CELL_COLUMN].unique())]
        in_post = pd.DataFrame(
            {
                "kpi": list(STAFF_IN_POST),
                "mean": [float(cells[c].sum()) for c in STAFF_IN_POST],
                "unit": [unit for _, unit in STAFF_IN_POST.values()],
                FORCES_COLUMN: forces,
            }
        )
        in_post["ci_low"] = in_post["ci_high"] = in_post["mean"]
        summary = pd.concat([summary, in_post], ignore_index=True)
        summary["replications"] = summary["replications"].astype("Int64")  # none for staff
        for column, value in reversed(list(zip(groups, key, strict=True))):
            summary.insert(0, column, value)
        frames.append(summary)
    return pd.concat(frames, ignore_index=True)


def _by_group(results: pd.DataFrame, groups: list[str]) -> Iterator[tuple[tuple, pd.DataFrame]]:
    """The results of each variant or grid point (all of them if nothing else varies)."""
    if not groups:
        yield (), results
        return
    for key, table in results.groupby(groups, sort=True, dropna=False):
        yield tuple(key), table
