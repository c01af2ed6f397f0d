"""The command line: ``simdivert run``, ``simdivert validate``, ``simdivert report``.

User mistakes (a bad scenario, an existing output folder) print one line naming the
file, the key and the problem, and exit with status 2; they never show a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from simdivert.errors import UserError
from simdivert.experiment import default_workers, run_replications
from simdivert.numbers import format_interval, format_value
from simdivert.outputs import (
    check_new_dir,
    default_run_dir,
    json_writer,
    package_versions,
    utc_now,
    write_run_dir,
)
from simdivert.scenario_files import (
    DEFAULT_SCENARIO,
    builtin_scenarios,
    load_scenario,
    resolve_scenario_path,
)

app = typer.Typer(
    help="Simulate police drug-diversion pathways: demand, provider capacity, waits and "
    "police time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(width=100)
errors = Console(stderr=True, width=200)

ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help=f"Scenario file, or the name of a built-in one ({', '.join(builtin_scenarios())}).",
        show_default=DEFAULT_SCENARIO,
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario value: dotted.key=value (repeatable)."),
]


def _fail(error: Exception) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {error}", highlight=False, markup=True)
    return typer.Exit(code=2)


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """A rich table of KPI means and confidence intervals, fitting 100 columns."""
    table = Table(title=title, title_justify="left")
    table.add_column("KPI", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("95% CI", justify="right", no_wrap=True)
    table.add_column("unit")
    for row in summary.itertuples():
        table.add_row(
            row.kpi,
            format_value(row.mean),
            format_interval(row.ci_low, row.ci_high, row.mean),
            row.unit,
        )
    return table


@app.command()
def run(
    scenario: ScenarioArg = None,
    years: Annotated[float | None, typer.Option(help="Years to measure (after warm-up).")] = None,
    reps: Annotated[
        int | None, typer.Option(help="Replications [default: the scenario's, 20].")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed [default: the scenario's].")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [default: all cores].")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder [default: outputs/<scenario>-<time>].")
    ] = None,
    set_: SetOption = None,
    events: Annotated[
        bool, typer.Option("--events", help="Also write the per-person event log (Parquet).")
    ] = False,
    report: Annotated[
        bool,
        typer.Option(
            "--report", help="Also write report.html and figures/ (keeps the event log too)."
        ),
    ] = False,
) -> None:
    """Run replications of a scenario and write manifest, replications, summary."""
    overrides = list(set_ or [])
    if years is not None:
        overrides.append(f"run.years={years}")
    if reps is not None:
        overrides.append(f"run.replications={reps}")
    if seed is not None:
        overrides.append(f"run.seed={seed}")
    try:
        source = resolve_scenario_path(scenario)
        resolved = load_scenario(source, overrides)
        target = out if out is not None else default_run_dir(resolved.name)
        check_new_dir(target)
    except UserError as exc:
        raise _fail(exc) from None
    n_workers = workers if workers is not None else default_workers()
    started = utc_now()
    with console.status(f"Running {resolved.run.replications} replications of {resolved.name}…"):
        experiment = run_replications(
            resolved,
            resolved.run.replications,
            resolved.run.seed,
            n_workers,
            keep_events=events or report,
        )
    summary = experiment.summary
    manifest = {
        "scenario_name": resolved.name,
        "scenario_source": str(source),
        "overrides": overrides,
        "seed": resolved.run.seed,
        "replications": resolved.run.replications,
        "workers": n_workers,
        "command": " ".join(["simdivert", *sys.argv[1:]]),
        "started": started,
        "finished": utc_now(),
        "versions": package_versions(),
        "scenario": resolved.model_dump(mode="json"),
    }
    writers = {
        "replications.csv": lambda p: experiment.replications.to_csv(p, index=False),
        "summary.csv": lambda p: summary.to_csv(p, index=False),
        "timeseries.csv": lambda p: experiment.timeseries.to_csv(p, index=False),
    }
    if experiment.events is not None:
        writers["events.parquet"] = lambda p: experiment.events.to_parquet(p, index=False)
    writers["manifest.json"] = json_writer(manifest)
    try:
        written = write_run_dir(target, writers)
    except UserError as exc:
        raise _fail(exc) from None
    console.print(
        summary_table(
            summary,
            f"{resolved.name}: {resolved.run.replications} "
            f"replications, {resolved.run.years:g} year(s)",
        )
    )
    console.print(f"Results written to [bold]{written}[/]")
    if report:
        _write_report(written)


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files or built-in names.")],
    set_: SetOption = None,
) -> None:
    """Check scenario files without running them."""
    failed = False
    for name in files:
        try:
            scenario = load_scenario(name, list(set_ or []))
        except UserError as exc:
            errors.print(f"[bold red]error:[/] {exc}", highlight=False)
            failed = True
            continue
        console.print(f"ok: {name} ({scenario.name})", highlight=False)
    if failed:
        raise typer.Exit(code=2)


def _write_report(folder: Path) -> None:
    """Draw the report of an output folder into it (made from the folder's files alone)."""
    from simdivert.report import write_report  # matplotlib only when drawing

    try:
        with console.status(f"Drawing the report of {folder}…"):
            path = write_report(folder)
    except UserError as exc:
        raise _fail(exc) from None
    console.print(f"Report written to [bold]{path}[/]")


@app.command("report")
def report_command(
    output_dir: Annotated[
        Path, typer.Argument(help="An output folder of simdivert run (or compare, sweep).")
    ],
) -> None:
    """Write report.html (figures embedded) and figures/ into an output folder."""
    _write_report(output_dir)
