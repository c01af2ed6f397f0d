"""The command line: ``simdivert run``, ``validate``, ``sweep``, ``sensitivity``.

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
from rich.markup import escape
from rich.table import Table

from simdivert.errors import UserError
from simdivert.executors import check_executor_options, default_workers, open_executor
from simdivert.experiment import run_replications
from simdivert.outputs import (
    check_new_dir,
    default_run_dir,
    json_writer,
    package_versions,
    utc_now,
    write_run_dir,
)
from simdivert.precision import MIN_REPLICATIONS, PrecisionTarget
from simdivert.progress import SweepProgressBar
from simdivert.results import KPI_UNITS
from simdivert.scenario_files import (
    DEFAULT_SCENARIO,
    builtin_scenarios,
    load_scenario,
    parse_override,
    resolve_scenario_path,
)
from simdivert.sensitivity import (
    SensitivityResults,
    parse_vary,
    plan_sensitivity,
    run_sensitivity,
)
from simdivert.sweep import default_sweep_dir, run_sweep
from simdivert.sweep_cells import plan_sweep
from simdivert.sweep_store import SweepFolder

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
WorkersOption = Annotated[
    int | None, typer.Option(help="Worker processes on this machine (default: all cores).")
]
DaskOption = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="ADDRESS",
        help="Run on an existing Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of local "
        "processes; same results.",
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario value: dotted.key=value (repeatable)."),
]


def _print_error(error: Exception) -> None:
    """One line, however long: the message is never wrapped nor read as rich markup."""
    errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)


def _fail(error: Exception) -> typer.Exit:
    _print_error(error)
    return typer.Exit(code=2)


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """A rich table of KPI means and confidence intervals, fitting 100 columns."""
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("unit")
    for row in summary.itertuples():
        table.add_row(
            row.kpi, _fmt(row.mean), f"{_fmt(row.ci_low)} – {_fmt(row.ci_high)}", row.unit
        )
    return table


def _fmt(value: float) -> str:
    if pd.isna(value):
        return "–"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


@app.command()
def run(
    scenario: ScenarioArg = None,
    years: Annotated[float | None, typer.Option(help="Years to measure (after warm-up).")] = None,
    reps: Annotated[
        int | None, typer.Option(help="Replications (default: the scenario's, 20).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: outputs/<scenario>-<time>).")
    ] = None,
    set_: SetOption = None,
    events: Annotated[
        bool, typer.Option("--events", help="Also write the per-person event log (Parquet).")
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
        check_executor_options(workers, dask)
        n_workers = workers if workers is not None else default_workers()
        started = utc_now()
        with console.status(
            f"Running {resolved.run.replications} replications of {resolved.name}…"
        ):
            experiment = run_replications(
                resolved,
                resolved.run.replications,
                resolved.run.seed,
                n_workers,
                keep_events=events,
                dask_address=dask,
            )
    except UserError as exc:
        raise _fail(exc) from None
    summary = experiment.summary
    manifest = {
        "scenario_name": resolved.name,
        "scenario_source": str(source),
        "overrides": overrides,
        "seed": resolved.run.seed,
        "replications": resolved.run.replications,
        "workers": None if dask else n_workers,
        "dask_scheduler": dask,
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
            _print_error(exc)
            failed = True
            continue
        console.print(f"ok: {name} ({scenario.name})", highlight=False)
    if failed:
        raise typer.Exit(code=2)


KPI_SHOWN_BY_DEFAULT = (
    "assessment_wait_p90_days",
    "course_wait_p90_days",
    "drug_worker_utilisation",
)
CELLS_SHOWN = 20
INTERRUPTED_EXIT_CODE = 130  # as a shell reports a command stopped by Ctrl-C


def _check_kpi(kpi: str) -> None:
    if kpi not in KPI_UNITS:
        raise UserError(f"--kpi {kpi}: not a KPI (KPIs: {', '.join(KPI_UNITS)})")


def _precision_target(
    precision: float | None, kpi: str | None, max_reps: int, replications: int
) -> PrecisionTarget | None:
    if precision is None:
        return None
    if kpi is None:
        raise UserError("--precision: say which KPI with --kpi (e.g. assessment_wait_p90_days)")
    if not 0 < precision < 1:
        raise UserError(f"--precision {precision}: must be a share of the mean between 0 and 1")
    if max_reps < max(replications, MIN_REPLICATIONS):
        raise UserError(
            f"--max-reps {max_reps}: below the sweep's first {max(replications, MIN_REPLICATIONS)} "
            "replications per cell"
        )
    return PrecisionTarget(kpi, precision, max_reps)


def cells_table(summary: pd.DataFrame, parameters: list[str], kpis: list[str]) -> Table:
    """Mean ± CI half-width of a few KPIs for the first cells of a sweep; parameters that
    are the same in every cell are left out."""
    labels = summary.drop_duplicates("cell").set_index("cell")
    varied = [p for p in parameters if labels[p].nunique() > 1]
    table = Table(title=f"{len(labels)} cells: mean ± 95% CI half-width", title_justify="left")
    for column in ["cell", *varied, *kpis]:
        table.add_column(column, justify="right")
    by_kpi = summary.set_index(["cell", "kpi"])
    for cell in labels.index[:CELLS_SHOWN]:
        shown = []
        for kpi in kpis:
            row = by_kpi.loc[(cell, kpi)]
            shown.append(f"{_fmt(row['mean'])} ± {_fmt((row['ci_high'] - row['ci_low']) / 2)}")
        table.add_row(str(cell), *(str(labels.loc[cell, p]) for p in varied), *shown)
    return table


@app.command()
def sweep(
    sweep_file: Annotated[
        Path, typer.Argument(help="Sweep file (TOML): a base scenario and what varies.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: outputs/sweep-<name>); rerun to resume."),
    ] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    fresh: Annotated[
        bool,
        typer.Option("--fresh", help="Discard the results a previous run of another sweep left."),
    ] = False,
    precision: Annotated[
        float | None,
        typer.Option(
            help="Add replications to each cell until the 95% CI half-width of --kpi is within "
            "this share of its mean (e.g. 0.05)."
        ),
    ] = None,
    kpi: Annotated[
        str | None, typer.Option(help="The KPI for --precision, and to show per cell.")
    ] = None,
    max_reps: Annotated[int, typer.Option(help="With --precision: at most this many.")] = 100,
) -> None:
    """Run a sweep: many cells (scenario variants) × replications, resumable, in parallel."""
    try:
        if kpi is not None:
            _check_kpi(kpi)
        plan = plan_sweep(sweep_file)
        target = _precision_target(precision, kpi, max_reps, plan.replications)
    except UserError as exc:
        raise _fail(exc) from None
    folder = out if out is not None else default_sweep_dir(plan)
    try:
        with (
            open_executor(workers, dask) as executor,
            SweepProgressBar(console, plan.name) as bar,
        ):
            outcome = run_sweep(
                plan,
                folder,
                executor,
                fresh=fresh,
                precision=target,
                on_start=bar.start,
                on_progress=bar.update,
                command=" ".join(["simdivert", *sys.argv[1:]]),
            )
    except UserError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        saved = len(SweepFolder(folder).finished_cells())
        errors.print(
            f"interrupted: {saved} of {len(plan.cells)} cells are saved in {folder}; "
            "run the same command to finish the rest",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=INTERRUPTED_EXIT_CODE) from None
    if outcome.cells_before:
        console.print(
            f"Resumed: {outcome.cells_before} cells were already done, {outcome.cells_run} run now."
        )
    shown = [kpi] if kpi is not None else list(KPI_SHOWN_BY_DEFAULT)
    console.print(cells_table(outcome.summary, plan.parameter_columns, shown))
    if len(plan.cells) > CELLS_SHOWN:
        console.print(f"… and {len(plan.cells) - CELLS_SHOWN} more cells: see summary.csv")
    if outcome.imprecise_cells:
        console.print(
            f"[yellow]{len(outcome.imprecise_cells)} cells reached --max-reps {max_reps} without "
            f"the precision asked for: {outcome.imprecise_cells[:10]}[/]"
        )
    console.print(
        f"{len(plan.cells)} cells, {len(outcome.results)} replications written to [bold]{folder}[/]"
    )


@app.command()
def sensitivity(
    scenario: ScenarioArg = None,
    vary: Annotated[
        list[str] | None,
        typer.Option("--vary", help="A factor and its range: dotted.key=low:high (repeatable)."),
    ] = None,
    samples: Annotated[
        int, typer.Option(help="Latin hypercube samples for the rank correlations.")
    ] = 20,
    years: Annotated[float | None, typer.Option(help="Years to measure (after warm-up).")] = None,
    reps: Annotated[
        int | None, typer.Option(help="Replications per cell (default: the scenario's).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    kpi: Annotated[
        str, typer.Option(help="The KPI to show (every KPI is written).")
    ] = "assessment_wait_p90_days",
    workers: WorkersOption = None,
    dask: DaskOption = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: outputs/sensitivity-<scenario>-<time>)."),
    ] = None,
    set_: SetOption = None,
) -> None:
    """One-at-a-time effects (tornado data) and rank correlations of inputs with KPIs."""
    overrides = list(set_ or [])
    for key, value in (("run.years", years), ("run.replications", reps), ("run.seed", seed)):
        if value is not None:
            overrides.append(f"{key}={value}")
    try:
        _check_kpi(kpi)
        source = resolve_scenario_path(scenario)
        base = load_scenario(source, overrides)
        factors = [parse_vary(text) for text in vary or []]
        plan = plan_sensitivity(
            source,
            tuple(parse_override(text) for text in overrides),
            factors,
            samples,
            base.run.replications,
            base.run.seed,
        )
        target = out if out is not None else default_run_dir(f"sensitivity-{base.name}")
        check_new_dir(target)
        started = utc_now()
        cells = len(plan.one_at_a_time) + len(plan.samples)
        with (
            open_executor(workers, dask) as executor,
            SweepProgressBar(console, f"sensitivity of {base.name}") as bar,
        ):
            bar.start(0, cells)
            results = run_sensitivity(plan, executor, bar.update)
        manifest = {
            "scenario_name": base.name,
            "scenario_source": str(source),
            "overrides": overrides,
            "factors": [vars(f) for f in factors],
            "samples": samples,
            "seed": plan.seed,
            "replications_per_cell": plan.replications,
            "executor": executor.description,
            "command": " ".join(["simdivert", *sys.argv[1:]]),
            "started": started,
            "finished": utc_now(),
            "versions": package_versions(),
            "scenario": base.model_dump(mode="json"),
        }
        written = write_run_dir(
            target,
            {
                "one_at_a_time.csv": lambda p: results.one_at_a_time.to_csv(p, index=False),
                "rank_correlations.csv": lambda p: results.rank_correlations.to_csv(p, index=False),
                "replications.csv": lambda p: results.replications.to_csv(p, index=False),
                "manifest.json": json_writer(manifest),
            },
        )
    except UserError as exc:
        raise _fail(exc) from None
    console.print(sensitivity_table(results, kpi))
    console.print(f"Results written to [bold]{written}[/]")


def sensitivity_table(results: SensitivityResults, kpi: str) -> Table:
    """The tornado for one KPI, largest swing first, with each factor's rank correlation."""
    effects = results.one_at_a_time[results.one_at_a_time["kpi"] == kpi]
    rho = results.rank_correlations[results.rank_correlations["kpi"] == kpi].set_index("factor")
    table = Table(title=f"{kpi} ({KPI_UNITS[kpi]}): one at a time, and rank correlation")
    for column in ("factor", "low – high", "at low", "at high", "swing (95% CI)", "Spearman ρ"):
        table.add_column(column, justify="left" if column == "factor" else "right")
    for row in effects.itertuples():
        table.add_row(
            row.factor,
            f"{row.low:g} – {row.high:g}",
            _fmt(row.mean_at_low),
            _fmt(row.mean_at_high),
            f"{_fmt(row.swing)} ({_fmt(row.swing_ci_low)} – {_fmt(row.swing_ci_high)})",
            f"{rho.loc[row.factor, 'spearman_rho']:+.2f}",
        )
    return table
