"""The command line: ``simdivert run``, ``validate``, ``compare``, ``staff``, ``warmup``,
``calibrate``.

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
from simdivert.experiment import default_workers, paired_comparison, run_replications
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
from simdivert.staffing import PERIOD_HOURS, parse_target, plan_as_toml, plan_staffing
from simdivert.warmup import Warmup, pilot_warmup, warmup_from_events

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


def _run_overrides(
    set_: list[str] | None, years: float | None, reps: int | None, seed: int | None
) -> list[str]:
    """The --set overrides plus those the run options stand for."""
    overrides = list(set_ or [])
    for key, value in (("run.years", years), ("run.replications", reps), ("run.seed", seed)):
        if value is not None:
            overrides.append(f"{key}={value}")
    return overrides


def _whole_window(kpis: pd.Series) -> pd.Series:
    """KPIs over the whole window; per-year ones (``_y2``) stay in the CSV files."""
    return ~kpis.str.contains(r"_y\d+$")


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """A rich table of KPI means and confidence intervals, fitting 100 columns."""
    table = Table(title=title, title_justify="left", caption="Per-year KPIs: summary.csv")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("unit")
    for row in summary[_whole_window(summary["kpi"])].itertuples():
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
            help="Warm-up before measuring: days, or 'auto' to choose it by MSER on repeat "
            "finds in a pilot run from empty [default: the scenario's run.warmup_days]."
        ),
    ] = None,
) -> None:
    """Run replications of a scenario and write manifest, replications, summary."""
    overrides = _run_overrides(set_, years, reps, seed)
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
        _report_warmup(
            pilot.warmup,
            f"pilot of {pilot.warmup.replications} replications from empty, without the scheme",
        )
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
        "utilisation.csv": lambda p: experiment.utilisation.to_csv(p, index=False),
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


COMPARE_HEADLINES = (
    "referrals_per_year",
    "share_completed",
    "assessment_wait_p90_days",
    "course_wait_p90_days",
    "recorded_possession_per_year_y1",
    "charges_per_year_y2",
    "cautions_per_year_y2",
    "formal_outcome_share_black_male_y2",
    "rereferral_rate",
    "police_hours_per_year_y2",
    "police_hours_saved_adjusted_per_year",
)


def comparison_table(comparison: pd.DataFrame, base: str, other: str) -> Table:
    """Headline KPIs of one scenario against the base, with the paired difference."""
    table = Table(
        title=f"{other} against {base} (paired)",
        title_justify="left",
        caption="All KPIs: comparison.csv",
    )
    table.add_column("KPI")
    table.add_column(base, justify="right")
    table.add_column(other, justify="right")
    table.add_column("difference (95% CI)", justify="right")
    rows = comparison.set_index(["kpi", "scenario"])
    for kpi in COMPARE_HEADLINES:
        if (kpi, other) not in rows.index:
            continue
        b, o = rows.loc[(kpi, base)], rows.loc[(kpi, other)]
        difference = (
            "–"
            if pd.isna(o["diff_mean"])
            else f"{_fmt(o['diff_mean'])} ({_fmt(o['diff_ci_low'])} – {_fmt(o['diff_ci_high'])})"
        )
        table.add_row(kpi, _fmt(b["mean"]), _fmt(o["mean"]), difference)
    return table


def _timing(scenario) -> tuple[float, float, float, object]:
    run = scenario.run
    return (run.years, run.warmup_days, scenario.policy.launch_after_days, run.start_date)


def _unique_names(scenarios: list) -> list[str]:
    names: list[str] = []
    for scenario in scenarios:
        name, k = scenario.name, 2
        while name in names:
            name, k = f"{scenario.name}-{k}", k + 1
        names.append(name)
    return names


@app.command()
def compare(
    base: Annotated[str, typer.Argument(help="The base scenario (file or built-in name).")],
    others: Annotated[list[str], typer.Argument(help="Scenarios to compare with the base.")],
    years: Annotated[float | None, typer.Option(help="Years to measure (after warm-up).")] = None,
    reps: Annotated[
        int | None, typer.Option(help="Replications [default: the base scenario's].")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed [default: the base scenario's].")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [default: all cores].")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder [default: outputs/compare-<time>].")
    ] = None,
    set_: SetOption = None,
) -> None:
    """Run scenarios on the same random numbers and report paired differences from the base.

    Every scenario runs the base's replications with the base's seed, so the same
    encounters and people recur wherever the rules allow and differences are not noise.
    """
    overrides = _run_overrides(set_, years, reps, seed)
    try:
        sources = [resolve_scenario_path(name) for name in (base, *others)]
        scenarios = [load_scenario(source, overrides) for source in sources]
        target = out if out is not None else default_run_dir("compare")
        check_new_dir(target)
    except UserError as exc:
        raise _fail(exc) from None
    names = _unique_names(scenarios)
    for name, scenario in zip(names[1:], scenarios[1:], strict=True):
        if _timing(scenario) != _timing(scenarios[0]):
            errors.print(
                f"[yellow]warning:[/] {name} runs over a different horizon or launch from "
                f"{names[0]}: the years compared are not the same"
            )
    replications, seed_used = scenarios[0].run.replications, scenarios[0].run.seed
    n_workers = workers if workers is not None else default_workers()
    started = utc_now()
    experiments = []
    for name, scenario in zip(names, scenarios, strict=True):
        with console.status(f"Running {replications} replications of {name}…"):
            experiments.append(run_replications(scenario, replications, seed_used, n_workers))
    comparison = paired_comparison(experiments, names)
    long_table = pd.concat(
        [e.replications.assign(scenario=n) for n, e in zip(names, experiments, strict=True)],
        ignore_index=True,
    )
    manifest = {
        "scenario_names": names,
        "scenario_sources": [str(s) for s in sources],
        "overrides": overrides,
        "seed": seed_used,
        "replications": replications,
        "workers": n_workers,
        "command": " ".join(["simdivert", *sys.argv[1:]]),
        "started": started,
        "finished": utc_now(),
        "versions": package_versions(),
        "scenarios": {n: s.model_dump(mode="json") for n, s in zip(names, scenarios, strict=True)},
    }
    written = write_run_dir(
        target,
        {
            "comparison.csv": lambda p: comparison.to_csv(p, index=False),
            "replications.csv": lambda p: long_table.to_csv(p, index=False),
            "manifest.json": json_writer(manifest),
        },
    )
    for other in names[1:]:
        console.print(comparison_table(comparison, names[0], other))
    console.print(f"Results written to [bold]{written}[/]")


@app.command()
def staff(
    scenario: ScenarioArg = None,
    target: Annotated[
        list[str] | None,
        typer.Option(help="A target, e.g. assessment_wait_p90_days<=10 (repeatable)."),
    ] = None,
    confidence: Annotated[
        float, typer.Option(help="Confidence that each target's mean is met.", min=0.5, max=0.999)
    ] = 0.95,
    period: Annotated[str, typer.Option(help="Plan per 'year' or 'quarter'.")] = "year",
    reps: Annotated[int, typer.Option(help="Replications per candidate.", min=2)] = 10,
    seed: Annotated[int | None, typer.Option(help="Seed [default: the scenario's].")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [default: all cores].")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder [default: outputs/staff-<time>].")
    ] = None,
    set_: SetOption = None,
) -> None:
    """Find the fewest drug workers, facilitators and sessions a week that meet the targets."""
    try:
        if period not in PERIOD_HOURS:
            raise UserError(f"--period {period!r}: expected one of {', '.join(PERIOD_HOURS)}")
        targets = [parse_target(text) for text in target or []]
        source = resolve_scenario_path(scenario)
        resolved = load_scenario(source, list(set_ or []))
        destination = out if out is not None else default_run_dir(f"staff-{resolved.name}")
        check_new_dir(destination)
        n_workers = workers if workers is not None else default_workers()
        started = utc_now()
        with console.status("Searching for the fewest staff that meet the targets…"):
            table, plan, periods, runs = plan_staffing(
                resolved, targets, confidence, period, reps, seed, n_workers
            )
    except UserError as exc:
        raise _fail(exc) from None
    manifest = {
        "scenario_name": resolved.name,
        "scenario_source": str(source),
        "overrides": list(set_ or []),
        "targets": [str(t) for t in targets],
        "confidence": confidence,
        "period": period,
        "replications": reps,
        "seed": resolved.run.seed if seed is None else seed,
        "candidates_simulated": runs,
        "command": " ".join(["simdivert", *sys.argv[1:]]),
        "started": started,
        "finished": utc_now(),
        "versions": package_versions(),
        "scenario": resolved.model_dump(mode="json"),
    }
    plan_toml = plan_as_toml(str(source.resolve()), plan, periods, resolved.warmup_hours)
    written = write_run_dir(
        destination,
        {
            "staffing_plan.csv": lambda p: table.to_csv(p, index=False),
            "staffing_plan.toml": lambda p: p.write_text(plan_toml),
            "manifest.json": json_writer(manifest),
        },
    )
    console.print(staffing_table(table, resolved.name))
    console.print(
        f"Plan written to [bold]{written}[/] (run it: simdivert run "
        f"{written / 'staffing_plan.toml'})"
    )


def staffing_table(table: pd.DataFrame, name: str) -> Table:
    """The plan per period and role, with the KPI reached and what one fewer gives."""
    view = Table(
        title=f"Staffing plan for {name}",
        title_justify="left",
        caption="one fewer: the KPI with one fewer worker or half a session fewer a week",
    )
    for column in ("period", "role", "staff", "KPI", "mean (95% CI)", "one fewer"):
        view.add_column(column, justify="right" if column in ("staff",) else "left")
    for row in table.itertuples():
        reached = (
            "–"
            if pd.isna(row.kpi_mean)
            else (f"{_fmt(row.kpi_mean)} ({_fmt(row.kpi_ci_low)}–{_fmt(row.kpi_ci_high)})")
        )
        fewer = (
            "–"
            if pd.isna(row.one_fewer_kpi_mean)
            else (
                f"{_fmt(row.one_fewer_kpi_mean)} "
                + ("meets" if row.one_fewer_meets_targets else "fails")
            )
        )
        view.add_row(
            row.period,
            row.role.replace("sessions_per_week_", "sessions "),
            f"{row.headcount:g}",
            row.kpi.replace("course_wait_p90_days_", "course P90 "),
            reached,
            fewer,
        )
    return view


def _warmup_days(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UserError(
            f"--warmup: expected {AUTO_WARMUP!r} or a number of days (got {text!r})"
        ) from None


def _report_warmup(warmup: Warmup, source: str) -> None:
    """Print the warm-up chosen and warn if the series had not settled."""
    console.print(
        f"Warm-up: {warmup.weeks} weeks ({warmup.days:g} days) by {warmup.method} of repeat "
        f"finds over {warmup.series_weeks} weeks of a {source} (nobody is referred before "
        "the launch: the provider starts empty at the launch, whatever the warm-up)",
        highlight=False,
    )
    if warmup.unsettled_series:
        errors.print(
            "[bold yellow]warning:[/] repeat finds a week had not settled (still changing "
            "half-way through the series, or drifting after the cut), so the warm-up may be "
            "too short: a trend (growing demand) has no steady state",
            highlight=False,
        )


@app.command("warmup")
def warmup_of_run(
    run_dir: Annotated[
        Path, typer.Argument(help="A run folder written by simdivert run --events.")
    ],
) -> None:
    """Report the warm-up MSER picks from a finished run's repeat finds before the launch."""
    try:
        events, launch_hours = _read_run_events(run_dir)
        warmup = warmup_from_events(events, launch_hours)
    except UserError as exc:
        raise _fail(exc) from None
    _report_warmup(warmup, f"run of {warmup.replications} replications, up to the launch")


def _read_run_events(run_dir: Path) -> tuple[pd.DataFrame, float]:
    """A run folder's event log, and the run's launch time from its manifest."""
    for name in ("manifest.json", "events.parquet"):
        if not (run_dir / name).is_file():
            raise UserError(
                f"{run_dir / name}: no such file (a folder written by simdivert run --events?)"
            )
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text())
        events = pd.read_parquet(
            run_dir / "events.parquet", columns=["replication", "find_hours", "repeat_find"]
        )
    except (json.JSONDecodeError, ValueError, OSError) as exc:
        raise UserError(f"{run_dir}: cannot read the run folder: {exc}") from None
    try:
        scenario = Scenario.model_validate(manifest["scenario"])
    except (KeyError, ValueError) as exc:
        raise ScenarioError(
            str(run_dir / "manifest.json"), "scenario", f"not a valid scenario: {exc}"
        ) from None
    return events, scenario.launch_hours


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
