"""A Sobol analysis on disk (``simdivert sensitivity --method sobol``), both ways.

::

    <out>/sobol.csv          kpi, input, S1, S1_conf, ST, ST_conf (a row per KPI and input)
    <out>/sobol_kpis.csv     a row per KPI: unit, points, mean, sd, S1_sum, noise_share,
                             note (why a KPI has no indices)
    <out>/replications.csv   a row per point and replication: cell (the point's number in
                             the design's order), the inputs' values, replication, KPIs
    <out>/manifest.json      method "sobol", the inputs and their priors, N, the points,
                             seed, replications per point, the design's imbalance (the
                             largest correlation of an input's two halves) and the
                             warning if it is too large, the resolved base scenario

Written whole or not at all, like every other result folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simdivert.outputs.folders import json_writer, write_run_dir
from simdivert.outputs.manifest import Provenance, build_manifest

if TYPE_CHECKING:
    import pandas as pd

    from simdivert.experiments.sobol import SobolResults

SOBOL = "sobol.csv"
SOBOL_KPIS = "sobol_kpis.csv"
SOBOL_METHOD = "sobol"
SOBOL_COLUMNS = ("kpi", "input", "S1", "S1_conf", "ST", "ST_conf")
SOBOL_KPI_COLUMNS = ("kpi", "points", "S1_sum", "noise_share")


def write_sobol(
    results: SobolResults,
    folder: str | Path,
    provenance: Provenance,
    *,
    source: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> Path:
    """Write a Sobol analysis's folder (see the module's docstring)."""
    plan = results.plan
    priors = plan.scenario.uncertainty
    manifest = build_manifest(
        {
            "method": SOBOL_METHOD,
            "scenario_name": plan.scenario.name,
            "scenario_source": str(source) if source is not None else "",
            "overrides": list(overrides),
            "inputs": [{"key": key, "prior": priors[key].describe()} for key in plan.inputs],
            "samples": plan.samples,
            "points": len(plan.cells),
            "seed": plan.seed,
            "replications_per_point": plan.replications,
            "kpis": list(plan.kpis),
            "imbalance": dict(zip(("correlation", "input"), plan.imbalance, strict=True)),
            "design_warning": plan.balance_warning(),
        },
        provenance,
        {"scenario": plan.scenario.model_dump(mode="json")},
    )
    tables = {
        SOBOL: results.indices,
        SOBOL_KPIS: results.kpis,
        "replications.csv": results.replications,
    }
    writers = {name: _csv(table) for name, table in tables.items()}
    writers["manifest.json"] = json_writer(manifest)
    return write_run_dir(Path(folder), writers)


def _csv(table: pd.DataFrame):
    return lambda path: table.to_csv(path, index=False)
