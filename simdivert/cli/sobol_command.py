"""``simdivert sensitivity --method sobol``: plan the design over the scenario's priors,
say what it will cost, run it with a progress bar, write its folder; and the terminal
table of one KPI's indices (:mod:`simdivert.experiments.sobol`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from simdivert.cli.progress import SweepProgressBar
from simdivert.clock import utc_now
from simdivert.outputs.folders import check_new_dir, default_run_dir
from simdivert.outputs.manifest import Provenance
from simdivert.scenario.files import load_scenario, parse_override, resolve_scenario_path

if TYPE_CHECKING:
    from simdivert.experiments.sobol import SobolResults


def run_sobol_command(
    scenario: str | None,
    overrides: list[str],
    samples: int | None,
    reps: int | None,
    kpi: str,
    executor_options: tuple[int | None, str | None, bool],  # --workers, --dask, --force
    out: Path | None,
    command: str,
    console: Console,
    warn: Callable[[str], None],
) -> tuple[SobolResults, Path]:
    """Run the analysis and write its folder; a UserError before any run if the input
    is wrong or the design too big for this machine (unless forced)."""
    from simdivert.experiments.executors import open_executor
    from simdivert.experiments.sobol import plan_sobol, run_sobol
    from simdivert.kpis import SENSITIVITY_KPIS
    from simdivert.outputs.sobol_files import write_sobol

    source = resolve_scenario_path(scenario)
    base = load_scenario(source, overrides)
    plan = plan_sobol(
        source,
        tuple(parse_override(text) for text in overrides),
        samples,
        reps if reps is not None else 1,
        base.run.seed,
        (*SENSITIVITY_KPIS, kpi),
    )
    warning = plan.balance_warning()
    if warning is not None:
        warn(warning)
    target = out if out is not None else default_run_dir(f"sobol-{base.name}")
    check_new_dir(target)
    started = utc_now()
    workers, dask, force = executor_options
    with open_executor(workers, dask, force) as executor:
        console.print(f"Sobol design: {plan.describe()}; {plan.cost(executor.workers).describe()}")
        with SweepProgressBar(console, f"Sobol indices of {base.name}") as bar:
            bar.start(0, len(plan.cells))
            results = run_sobol(plan, executor, bar.update, force)
        where = executor.where()
    provenance = Provenance(started, where=where, command=command)
    return results, write_sobol(results, target, provenance, source=source, overrides=overrides)


def sobol_table(results: SobolResults, kpi: str) -> Table | str:
    """Each input's prior, S1 and ST (± the 95% CI half-width) for ``kpi``, by ST; or,
    if the KPI has no indices, the line saying why."""
    from simdivert.kpis import kpi_unit
    from simdivert.numbers import index_interval, share_index

    about = results.kpis.set_index("kpi").loc[kpi]
    if isinstance(about["note"], str):
        return f"[yellow]{kpi}: no Sobol indices: {about['note']}[/]"
    rows = results.indices[results.indices["kpi"] == kpi].sort_values("ST", ascending=False)
    priors = results.plan.scenario.uncertainty
    noise = about["noise_share"]
    caption = f"S1 sum {share_index(about['S1_sum'])}" + (
        "" if math.isnan(noise) else f"; noise {noise:.0%} of the points' variance"
    )
    table = Table(
        title=f"{kpi} ({kpi_unit(kpi)}): Sobol indices over {results.plan.describe()}",
        caption=caption,
    )
    for column in ("input", "prior", "S1 (95% CI)", "ST (95% CI)"):
        table.add_column(column, justify="left" if column in ("input", "prior") else "right")
    for row in rows.itertuples():
        table.add_row(
            row.input,
            priors[row.input].describe(),
            index_interval(row.S1, row.S1_conf),
            index_interval(row.ST, row.ST_conf),
        )
    return table


def show_sobol(results: SobolResults, kpi: str, written: Path, console: Console) -> None:
    """The table of ``kpi`` and where the folder is."""
    console.print(sobol_table(results, kpi))
    console.print(f"Results written to [bold]{written}[/]")
