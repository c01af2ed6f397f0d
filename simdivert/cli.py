"""The command line: ``simdivert run``, ``validate``, ``warmup``, ``calibrate``.

User mistakes (a bad scenario, an existing output folder) print one line naming the
file, the key and the problem, and exit with status 2; they never show a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from simdivert.calibration import (
    DOCS_BEGIN,
    checks_table,
    format_value,
    load_targets,
    markdown_table,
    replace_marked_section,
    run_calibration,
    write_docs,
)
from simdivert.errors import ScenarioError, UserError
from simdivert.experiment import default_workers, run_replications
from simdivert.outputs import (
    check_new_dir,
    default_run_dir,
    json_writer,
    package_versions,
    utc_now,
    write_run_dir,
)
from simdivert.scenario import Scenario
from simdivert.scenario_files import (
    DEFAULT_SCENARIO,
    builtin_scenarios,
    load_scenario,
    resolve_scenario_path,
)
from simdivert.warmup import Warmup, pilot_warmup, warmup_from_series

app = typer.Typer(
    help="Simulate police drug-diversion pathways: demand, provider capacity, waits and "
    "police time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(width=100)
errors = Console(stderr=True, width=200)
AUTO_WARMUP = "auto"  # --warmup auto: choose the warm-up on a pilot run

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
    warmup: Annotated[
        str | None,
        typer.Option(
            help="Warm-up before measuring: days, or 'auto' to choose it by MSER on a pilot "
            "run from empty [default: the scenario's run.warmup_days]."
        ),
    ] = None,
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
        if warmup is not None and warmup != AUTO_WARMUP:
            overrides.append(f"run.warmup_days={_warmup_days(warmup)}")
        source = resolve_scenario_path(scenario)
        resolved = load_scenario(source, overrides)
        target = out if out is not None else default_run_dir(resolved.name)
        check_new_dir(target)
    except UserError as exc:
        raise _fail(exc) from None
    n_workers = workers if workers is not None else default_workers()
    started = utc_now()
    warmup_record: dict[str, object] = {"method": "given", "days": resolved.run.warmup_days}
    if warmup == AUTO_WARMUP:
        with console.status("Pilot run from empty to choose the warm-up…"):
            pilot = pilot_warmup(resolved, resolved.run.replications, resolved.run.seed, n_workers)
        overrides.append(f"run.warmup_days={pilot.warmup.days:g}")
        resolved = load_scenario(source, overrides)
        warmup_record = pilot.as_record()
        _report_warmup(pilot.warmup, f"pilot of {pilot.warmup.replications} replications")
    with console.status(f"Running {resolved.run.replications} replications of {resolved.name}…"):
        experiment = run_replications(
            resolved, resolved.run.replications, resolved.run.seed, n_workers, keep_events=events
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
        "warmup": warmup_record,
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
            errors.print(f"[bold red]error:[/] {exc}", highlight=False)
            failed = True
            continue
        console.print(f"ok: {name} ({scenario.name})", highlight=False)
    if failed:
        raise typer.Exit(code=2)


def _warmup_days(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UserError(
            f"--warmup: expected {AUTO_WARMUP!r} or a number of days (got {text!r})"
        ) from None


def _report_warmup(warmup: Warmup, source: str) -> None:
    """Print the warm-up chosen, per stage, and warn about stages that had not settled."""
    stages = ", ".join(f"{stage} {weeks}" for stage, weeks in warmup.stage_weeks.items())
    console.print(
        f"Warm-up: {warmup.weeks} weeks ({warmup.days:g} days) by {warmup.method} over "
        f"{warmup.series_weeks} weeks of a {source} from empty; weeks per stage: {stages}",
        highlight=False,
    )
    for stage in warmup.unsettled_stages:
        errors.print(
            f"[bold yellow]warning:[/] the {stage} queue was still changing half-way through "
            "the series, so the warm-up may be too short: check timeseries.csv, or run longer",
            highlight=False,
        )


@app.command("warmup")
def warmup_of_run(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by simdivert run.")],
) -> None:
    """Report the warm-up MSER picks from a finished run's weekly queue series."""
    try:
        timeseries, horizon_hours = _read_run_series(run_dir)
        warmup = warmup_from_series(timeseries, horizon_hours)
    except UserError as exc:
        raise _fail(exc) from None
    _report_warmup(warmup, f"run of {warmup.replications} replications")


def _read_run_series(run_dir: Path) -> tuple[pd.DataFrame, float]:
    """A run folder's timeseries.csv, and the horizon of the run from its manifest."""
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text())
        timeseries = pd.read_csv(run_dir / "timeseries.csv")
    except FileNotFoundError as exc:
        raise UserError(f"{exc.filename}: no such file (is {run_dir} a run folder?)") from None
    except (json.JSONDecodeError, pd.errors.ParserError) as exc:
        raise UserError(f"{run_dir}: cannot read the run folder: {exc}") from None
    try:
        scenario = Scenario.model_validate(manifest["scenario"])
    except (KeyError, ValueError) as exc:
        raise ScenarioError(
            str(run_dir / "manifest.json"), "scenario", f"not a valid scenario: {exc}"
        ) from None
    return timeseries, scenario.horizon_hours


@app.command()
def calibrate(
    targets: Annotated[
        Path | None,
        typer.Option(help="Targets file (TOML) [default: the built-in table]."),
    ] = None,
    reps: Annotated[
        int | None, typer.Option(help="Replications [default: each scenario's].")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed [default: each scenario's].")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [default: all cores].")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder [default: outputs/calibration-<time>].")
    ] = None,
    write_docs_: Annotated[
        bool,
        typer.Option("--write-docs", help="Also put the table into the docs file (see --docs)."),
    ] = False,
    docs: Annotated[
        Path, typer.Option(help="Docs file whose calibrate-marked section --write-docs replaces.")
    ] = Path("docs/VALIDATION.md"),
) -> None:
    """Check scenarios against published figures; exit 1 if any check fails."""
    try:
        table = load_targets(targets)
        target_dir = out if out is not None else default_run_dir("calibration")
        check_new_dir(target_dir)
        if write_docs_:  # fail before the runs, not after
            replace_marked_section(_read_text(docs), "", str(docs))
    except UserError as exc:
        raise _fail(exc) from None
    n_workers = workers if workers is not None else default_workers()
    started = utc_now()
    try:
        with console.status(f"Running {len({t.scenario for t in table})} scenario(s)…"):
            checks, runs = run_calibration(table, reps, seed, n_workers)
    except UserError as exc:
        raise _fail(exc) from None
    versions = package_versions()
    markdown = markdown_table(checks, runs, versions["simdivert"], started[:10])
    manifest = {
        "targets": str(targets) if targets is not None else "built-in",
        "runs": [vars(run) for run in runs],
        "workers": n_workers,
        "command": " ".join(["simdivert", *sys.argv[1:]]),
        "started": started,
        "finished": utc_now(),
        "versions": versions,
        "passed": sum(c.passed for c in checks),
        "checks": len(checks),
    }
    try:
        written = write_run_dir(
            target_dir,
            {
                "calibration.csv": lambda p: checks_table(checks).to_csv(p, index=False),
                "calibration.md": lambda p: p.write_text(markdown),
                "manifest.json": json_writer(manifest),
            },
        )
        if write_docs_:
            write_docs(docs, markdown)
    except UserError as exc:
        raise _fail(exc) from None
    console.print(_checks_table(checks))
    console.print(f"Results written to [bold]{written}[/]")
    if write_docs_:
        console.print(f"Table written to [bold]{docs}[/] (between {DOCS_BEGIN} markers)")
    failed = [c for c in checks if not c.passed]
    if failed:
        errors.print(
            f"[bold red]{len(failed)} of {len(checks)} checks failed:[/] "
            + "; ".join(f"{c.target.scenario} {c.target.kpi}" for c in failed),
            highlight=False,
        )
        raise typer.Exit(code=1)


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None


def _checks_table(checks) -> Table:
    table = Table(title="Calibration checks", title_justify="left")
    for column in ("scenario", "KPI", "range checked", "mean", "95% CI", "pass"):
        table.add_column(
            column,
            justify="right" if column in ("mean", "95% CI") else "left",
            overflow="fold",
        )
    for c in checks:
        unit = c.target.unit
        table.add_row(
            c.target.scenario,
            c.target.kpi,
            c.target.range_text().replace("`", ""),
            format_value(c.mean, unit),
            f"{format_value(c.ci_low, unit)} – {format_value(c.ci_high, unit)}",
            "yes" if c.passed else "[bold red]no[/]",
        )
    return table
