"""The command line: ``simdivert run``, ``validate``, ``compare``, ``staff``, ``sweep``,
``sensitivity``, ``report``, ``warmup``, ``calibrate``, ``import police-uk`` and ``app``
(the web page). Every command that runs replications on request runs them on an executor
(:mod:`simdivert.experiments.executors`): local processes (``--workers``) or a Dask cluster
(``--dask``).

User mistakes (a bad scenario, an existing output folder) print one line naming the
file, the key and the problem, and exit with status 2; they never show a traceback.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table

from simdivert import __version__
from simdivert.cli import forecast
from simdivert.cli.conventions import (
    ConventionalGroup,
    JsonOption,
    Output,
    QuietOption,
    docs_text,
    records,
)
from simdivert.cli.progress import ReplicationProgressBar, StaffingProgressBar, SweepProgressBar
from simdivert.clock import utc_now
from simdivert.errors import (
    OVERRIDE_SOURCE,
    SAMPLES_SOURCE,
    VARY_SOURCE,
    ScenarioError,
    UserError,
)
from simdivert.numbers import format_interval, format_value
from simdivert.outputs.folders import check_new_dir, default_run_dir
from simdivert.outputs.manifest import Provenance
from simdivert.outputs.writers import (
    DOCS_BEGIN,
    replace_marked_section,
    write_calibration,
    write_comparison,
    write_docs,
    write_run,
    write_sensitivity,
    write_staffing_plan,
)
from simdivert.scenario.files import (
    DEFAULT_SCENARIO,
    builtin_scenarios,
    describe_file,
    load_scenario,
    load_scenario_and_bases,
    parse_override,
    resolve_scenario_path,
)

if TYPE_CHECKING:  # at run time each command imports what it needs, when it runs: the
    # experiments load SimPy and pandas, which --help and validate do not need
    import pandas as pd

    from simdivert.cli.fit import FitOptions
    from simdivert.experiments.precision import PrecisionTarget
    from simdivert.experiments.sensitivity import SensitivityResults
    from simdivert.experiments.warmup import Warmup
    from simdivert.scenario.schema import Scenario

app = typer.Typer(
    cls=ConventionalGroup,
    help="Simulate police drug-diversion pathways: demand, provider capacity, waits and "
    "police time.",
    no_args_is_help=True,
    rich_markup_mode=None,  # help text is plain: "[targets]" is shown, not read as markup
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
WorkersOption = Annotated[
    int | None, typer.Option(help="Worker processes on this machine (default: all cores).")
]
DaskOption = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="ADDRESS",
        help="Run on an existing Dask scheduler (e.g. tcp://127.0.0.1:8786) instead of local "
        "processes; same results.",
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Run even if the estimate says the run is too big for this machine, or with "
        "more --workers than cores.",
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario value: dotted.key=value (repeatable)."),
]


def _show_version(value: bool) -> None:
    if value:
        console.print(f"simdivert {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Simulate police drug-diversion pathways: demand, provider capacity, waits and police
    time."""


# Library sources of values that the command line takes as options.
OPTION_SOURCES = {OVERRIDE_SOURCE: "--set", VARY_SOURCE: "--vary", SAMPLES_SOURCE: "--samples"}


def in_cli_words(error: Exception) -> str:
    """An error's message with the command line's flags where the library names a setting
    (``workers 0: ...`` -> ``--workers 0: ...``; an override's source -> ``--set``)."""
    message = str(error)
    if isinstance(error, ScenarioError):
        for library, flag in OPTION_SOURCES.items():  # further problems: "; override: key"
            message = message.replace(f"; {library}: ", f"; {flag}: ")
        source = error.source
        for library, flag in OPTION_SOURCES.items():
            if source == library or source.startswith(f"{library} "):
                return flag + message[len(library) :]
        return message
    if isinstance(error, UserError) and error.option and message.startswith(error.option):
        return "--" + message
    return message


def _print_error(error: Exception) -> None:
    """One line, however long: the message is never wrapped nor read as rich markup."""
    text = escape(in_cli_words(error))
    errors.print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)


def _warn(message: str) -> None:
    """A problem found and repaired: one line, never read as markup."""
    errors.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


def _warn_about_scenario(scenario: Scenario, name: str) -> None:
    """Say what a run did that its scenario may not have meant: it ended before its
    scheme launched (nobody referred), or a course stream's sessions ran empty."""
    if scenario.policy.diversion and scenario.launch_hours >= scenario.horizon_hours:
        _warn(
            f"{name}: the run ends before the scheme launches (policy.launch_after_days "
            f"{scenario.policy.launch_after_days:g}, run.years {scenario.run.years:g}): "
            "nobody is referred, so every referral KPI is blank"
        )
    for stream in scenario.unreachable_streams() if scenario.policy.diversion else []:
        _warn(
            f"{name}: course.sessions_per_week.{stream}: no substance goes to this stream "
            "(course.streams), so its sessions run empty"
        )


def _fail(error: Exception) -> typer.Exit:
    _print_error(error)
    return typer.Exit(code=2)


def _command() -> str:
    """The command as typed, for the manifest."""
    return " ".join(["simdivert", *sys.argv[1:]])


def _run_overrides(
    set_: list[str] | None, years: float | None, reps: int | None, seed: int | None
) -> list[str]:
    """The --set overrides plus those the run options stand for."""
    if years is not None and not years > 0:  # the flag's own error, not the override's
        raise typer.BadParameter(f"{years:g}: must be more than 0", param_hint="'--years'")
    overrides = list(set_ or [])
    for key, value in (("run.years", years), ("run.replications", reps), ("run.seed", seed)):
        if value is not None:
            overrides.append(f"{key}={value}")
    return overrides


def _whole_window(kpis: pd.Series) -> pd.Series:
    """KPIs over the whole window and force; per-year ones (``_y2``) and per-area ones
    (``area_coventry_...``) stay in the CSV files and the report."""
    from simdivert.kpis import is_per_year_variant, split_area

    return ~kpis.map(lambda name: is_per_year_variant(name) or split_area(name) is not None)


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """A rich table of KPI means and confidence intervals, fitting 100 columns."""
    table = Table(
        title=title, title_justify="left", caption="Per-year and per-area KPIs: summary.csv"
    )
    table.add_column("KPI", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("95% CI", justify="right", no_wrap=True)
    uncertain = "pi_low" in summary.columns  # a forecast with uncertainty
    if uncertain:
        table.add_column("90% PI", justify="right", no_wrap=True)
    table.add_column("unit")
    for row in summary[_whole_window(summary["kpi"])].itertuples():
        intervals = [format_interval(row.ci_low, row.ci_high, row.mean)]
        if uncertain:
            intervals.append(format_interval(row.pi_low, row.pi_high, row.mean))
        table.add_row(row.kpi, format_value(row.mean), *intervals, row.unit)
    return table


@app.command()
def run(
    scenario: ScenarioArg = None,
    years: Annotated[float | None, typer.Option(help="Years to measure (after warm-up).")] = None,
    reps: Annotated[
        int | None, typer.Option(help="Replications (default: the scenario's, 20).", min=1)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    force: ForceOption = False,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: outputs/<scenario>-<time>).")
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
    warmup: Annotated[
        str | None,
        typer.Option(
            help="Warm-up before measuring: days, or 'auto' to choose it by MSER on repeat "
            "finds in a pilot run from empty (default: the scenario's run.warmup_days)."
        ),
    ] = None,
    uncertainty: forecast.UncertaintyOption = False,
    sets: forecast.SetsOption = None,
    fit: forecast.FitOption = None,
    json_: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run replications of a scenario and write manifest, replications, summary.

    With --uncertainty, a forecast: --sets parameter sets x --reps replications each, all
    on the same random numbers; summary.csv adds the 90% prediction interval.
    """
    from simdivert.experiments.executors import open_executor
    from simdivert.experiments.replications import run_experiments
    from simdivert.experiments.warmup import pilot_warmup

    output = Output(console, json_, quiet)
    overrides = _run_overrides(set_, years, reps, seed)
    try:
        forecast.check_options(uncertainty, sets, fit)
        if warmup is not None and warmup != AUTO_WARMUP:
            overrides.append(f"run.warmup_days={_warmup_days(warmup)}")
        source = resolve_scenario_path(scenario)
        resolved = load_scenario(source, overrides)
        target = out if out is not None else default_run_dir(resolved.name)
        check_new_dir(target)
        chosen = None
        if uncertainty:
            chosen = forecast.parameter_sets(resolved, source, overrides, sets, fit)
        warmup_record: dict[str, object] | None = None
        if warmup == AUTO_WARMUP:
            with (
                open_executor(workers, dask, force) as executor,
                ReplicationProgressBar(console, "pilot to choose the warm-up") as executor.progress,
            ):
                pilot = pilot_warmup(
                    resolved, resolved.run.replications, resolved.run.seed, executor
                )
            overrides.append(f"run.warmup_days={pilot.warmup.days:g}")
            resolved = load_scenario(source, overrides)
            warmup_record = pilot.as_record()
            _report_warmup(
                pilot.warmup,
                f"pilot of {pilot.warmup.replications} replications from empty, without the scheme",
            )
        with (
            open_executor(workers, dask, force) as executor,
            ReplicationProgressBar(console, f"{resolved.name}") as executor.progress,
        ):
            if chosen is not None:
                (experiment,) = forecast.run_arms(
                    [resolved], [source], chosen, executor, events or report, force
                )
            else:
                (experiment,) = run_experiments(
                    [resolved],
                    resolved.run.replications,
                    resolved.run.seed,
                    executor,
                    events or report,
                    force=force,
                )
    except UserError as exc:
        raise _fail(exc) from None
    try:
        written = write_run(
            experiment,
            target,
            source=source,
            overrides=overrides,
            command=_command(),
            warmup=warmup_record,
        )
    except UserError as exc:
        raise _fail(exc) from None
    _warn_about_scenario(resolved, resolved.name)
    summary = experiment.summary
    each = "" if experiment.parameter_sets is None else f" x {len(experiment.parameter_sets)} sets"
    console.print(
        summary_table(
            summary,
            f"{resolved.name}: {resolved.run.replications} "
            f"replications{each}, {resolved.run.years:g} year(s)",
        )
    )
    console.print(f"Results written to [bold]{written}[/]")
    report_path = _write_report(written) if report else None
    output.result(
        {"folder": str(written), "report": _text(report_path), "summary": records(summary)}
    )


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files or built-in names.")],
    set_: SetOption = None,
) -> None:
    """Check scenario files without running them; name the base each one extends."""
    failed = False
    for name in files:
        try:
            scenario, read = load_scenario_and_bases(name, list(set_ or []))
        except UserError as exc:
            _print_error(exc)
            failed = True
            continue
        bases = "".join(f", extends {describe_file(path)}" for path in read[1:])
        console.print(
            escape(f"ok: {name} ({scenario.name}){bases}"), highlight=False, soft_wrap=True
        )
    if failed:
        raise typer.Exit(code=2)


def league_table(comparison: pd.DataFrame, names: list[str]) -> Table:
    """The schemes side by side: each one's mean and its paired difference from the base
    (the first name) with the 95% CI."""
    from simdivert.reporting.league import (
        difference_text,
        league_rows,
        mean_text,
        unit_heading,
    )

    uncertain = "diff_pi_low" in comparison.columns  # compared with uncertainty
    table = Table(
        title=f"League table: each scheme against {names[0]} (paired, 95% CI"
        + ("; 90% PI over the same parameter sets)" if uncertain else ")"),
        title_justify="left",
        caption="All KPIs: comparison.csv",
    )
    table.add_column("KPI", overflow="fold")
    for name in names:
        table.add_column(name, justify="right", overflow="fold")
    for row in league_rows(comparison, names):
        cells = []
        for name in names:
            cell = row.cells.get(name)
            if cell is None:
                cells.append("–")
                continue
            difference = difference_text(cell, row.unit)
            cells.append(
                escape(mean_text(cell, row.unit) + (f"\n{difference}" if difference else ""))
            )
        table.add_row(escape(f"{row.label} ({unit_heading(row.unit)})"), *cells)
    return table


def _timing(scenario) -> tuple[float, float, float, object]:
    run = scenario.run
    return (run.years, run.warmup_days, scenario.policy.launch_after_days, run.start_date)


@app.command()
def compare(
    base: Annotated[str, typer.Argument(help="The base scenario (file or built-in name).")],
    others: Annotated[list[str], typer.Argument(help="Scenarios to compare with the base.")],
    years: Annotated[float | None, typer.Option(help="Years to measure (after warm-up).")] = None,
    reps: Annotated[
        int | None, typer.Option(help="Replications (default: the base scenario's).", min=1)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the base scenario's).")] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    force: ForceOption = False,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: outputs/compare-<time>).")
    ] = None,
    set_: SetOption = None,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.html and figures/.")
    ] = False,
    uncertainty: forecast.UncertaintyOption = False,
    sets: forecast.SetsOption = None,
    fit: forecast.FitOption = None,
    json_: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run scenarios on the same random numbers and report paired differences from the base.

    Every scenario runs the base's replications with the base's seed, so the same
    encounters and people recur wherever the rules allow and differences are not noise.
    With --uncertainty every scenario also runs the same parameter sets (the base's).
    """

    from simdivert.experiments.executors import open_executor
    from simdivert.experiments.replications import paired_comparison, run_experiments

    output = Output(console, json_, quiet)
    overrides = _run_overrides(set_, years, reps, seed)
    try:
        forecast.check_options(uncertainty, sets, fit)
        sources = [resolve_scenario_path(name) for name in (base, *others)]
        scenarios = [load_scenario(source, overrides) for source in sources]
        target = out if out is not None else default_run_dir("compare")
        check_new_dir(target)
        chosen = None
        if uncertainty:
            chosen = forecast.parameter_sets(scenarios[0], sources[0], overrides, sets, fit)
    except UserError as exc:
        raise _fail(exc) from None
    from simdivert.api import unique_names

    names = unique_names(scenarios)
    for name, scenario in zip(names[1:], scenarios[1:], strict=True):
        if _timing(scenario) != _timing(scenarios[0]):
            errors.print(
                f"[yellow]warning:[/] {name} runs over a different horizon or launch from "
                f"{names[0]}: the years compared are not the same"
            )
    replications, seed_used = scenarios[0].run.replications, scenarios[0].run.seed
    try:
        with (
            open_executor(workers, dask, force) as executor,
            ReplicationProgressBar(console, f"{len(names)} scenarios") as executor.progress,
        ):
            if chosen is not None:
                experiments = forecast.run_arms(scenarios, sources, chosen, executor, False, force)
            else:
                experiments = run_experiments(
                    scenarios, replications, seed_used, executor, force=force
                )
    except UserError as exc:
        raise _fail(exc) from None
    comparison = paired_comparison(experiments, names)
    try:
        written = write_comparison(
            experiments,
            names,
            comparison,
            target,
            sources=sources,
            overrides=overrides,
            command=_command(),
        )
    except UserError as exc:
        raise _fail(exc) from None
    for name, scenario in zip(names, scenarios, strict=True):
        _warn_about_scenario(scenario, name)
    console.print(league_table(comparison, names))
    console.print(f"Results written to [bold]{written}[/]")
    report_path = _write_report(written) if report else None
    output.result(
        {
            "folder": str(written),
            "report": _text(report_path),
            "base": names[0],
            "comparison": records(comparison),
        }
    )


@app.command()
def staff(
    scenario: ScenarioArg = None,
    target: Annotated[
        list[str] | None,
        typer.Option(
            help="A target, e.g. assessment_wait_p90_days<=10 (repeatable). Default: the "
            "scenario's [targets] for the P90 assessment and course waits."
        ),
    ] = None,
    quantile: Annotated[
        float,
        typer.Option(
            help="Share of replications that must meet each target (0.9: at least 9 in 10 "
            "replications have their P90 wait within it).",
            min=0.5,
            max=0.999,
        ),
    ] = 0.9,
    period: Annotated[str, typer.Option(help="Plan per 'year' or 'quarter'.")] = "year",
    reps: Annotated[int, typer.Option(help="Replications per candidate.", min=2)] = 10,
    check_reps: Annotated[
        int | None,
        typer.Option(help="Fresh replications to check the plan on (default: --reps).", min=2),
    ] = None,
    cut_after_surge: Annotated[
        bool,
        typer.Option(
            "--cut-after-surge", help="Allow fewer staff in the period right after a surge."
        ),
    ] = False,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    force: ForceOption = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: outputs/staff-<scenario>-<time>)."),
    ] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.html and figures/.")
    ] = False,
    set_: SetOption = None,
    json_: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Find the fewest drug workers, facilitators and sessions a week that meet the targets."""
    from simdivert.experiments.executors import open_executor
    from simdivert.experiments.staffing import (
        PERIOD_HOURS,
        parse_target,
        plan_as_toml,
        plan_staffing,
        scenario_targets,
    )

    output = Output(console, json_, quiet)
    try:
        if period not in PERIOD_HOURS:
            raise UserError(f"--period {period!r}: expected one of {', '.join(PERIOD_HOURS)}")
        targets = [parse_target(text) for text in target or []]
        source = resolve_scenario_path(scenario)
        resolved = load_scenario(source, list(set_ or []))
        if not targets:
            targets = scenario_targets(resolved)
            console.print(
                escape("Targets (the scenario's [targets]): " + ", ".join(str(t) for t in targets)),
                highlight=False,
            )
        destination = out if out is not None else default_run_dir(f"staff-{resolved.name}")
        check_new_dir(destination)
        started = utc_now()
        with (
            open_executor(workers, dask, force) as executor,
            StaffingProgressBar(console, f"staffing {resolved.name}") as bar,
        ):
            found = plan_staffing(
                resolved,
                targets,
                quantile,
                period,
                reps,
                seed,
                executor,
                cut_after_surge=cut_after_surge,
                check_replications=check_reps,
                progress=bar.update,
                force=force,
            )
            where = executor.where()
    except UserError as exc:
        raise _fail(exc) from None
    try:
        written = write_staffing_plan(
            found.table,
            plan_as_toml(resolved, found.plan, found.periods),
            resolved,
            destination,
            Provenance(started, where=where, command=_command()),
            search={
                "targets": [str(t) for t in targets],
                "quantile": quantile,
                "period": period,
                "replications": reps,
                "check_replications": check_reps or reps,
                "cut_after_surge": cut_after_surge,
                "seed": resolved.run.seed if seed is None else seed,
                "candidates_simulated": found.runs,
            },
            spread=found.spread,
            check=found.check,
            costs=found.costs,
            source=source,
            overrides=list(set_ or []),
        )
    except UserError as exc:
        raise _fail(exc) from None
    console.print(staffing_table(found.table, resolved.name))
    console.print(staffing_check_table(found.check, found.costs))
    missed = found.check[~found.check["meets"]]
    for row in missed.itertuples():
        console.print(
            f"[yellow]On fresh replications {row.period} misses {row.kpi}<={row.bound:g}: "
            f"{format_value(row.kpi_quantile)} in {row.share_missed:.0%} of replications "
            "over it (more --reps, or a higher --quantile, gives a plan with more margin)[/]"
        )
    console.print(
        f"Plan written to [bold]{written}[/] (run it: simdivert run "
        f"{written / 'staffing_plan.toml'})"
    )
    report_path = _write_report(written) if report else None
    output.result(
        {
            "folder": str(written),
            "plan_file": str(written / "staffing_plan.toml"),
            "report": _text(report_path),
            "plan": records(found.table),
            "check": records(found.check),
        }
    )


def _tested_words(kpi: object) -> str:
    """``course_wait_so_far_p90_days_cannabis`` -> ``course P90 cannabis``."""
    if not isinstance(kpi, str):
        return ""
    return kpi.replace("_wait_so_far_p90_days", " P90").replace("_", " ")


def _quantile_words(quantile: float) -> str:
    return f"P{quantile * 100:g} of reps"


def staffing_table(table: pd.DataFrame, name: str) -> Table:
    """The plan per period and role, with the statistic tested and what one fewer gives."""
    import pandas as pd

    tested = _quantile_words(float(table["quantile"].iloc[0])) if len(table) else "quantile"
    view = Table(
        title=f"Staffing plan for {name}",
        title_justify="left",
        caption=f"{tested}: the statistic tested against the target, the replications' "
        "quantile of each P90 wait so far; one fewer: with one fewer worker or half a "
        "session fewer a week",
    )
    columns = ("period", "role", "staff", "KPI", "target", tested, "reps over", "one fewer")
    for column in columns:
        view.add_column(column, justify="right" if column == "staff" else "left")
    for row in table.itertuples():
        fewer = (
            "–"
            if pd.isna(row.one_fewer_kpi_quantile)
            else (
                f"{format_value(row.one_fewer_kpi_quantile)} "
                + ("meets" if row.one_fewer_meets_targets else "fails")
            )
        )
        view.add_row(
            row.period + (" (surge)" if row.surge else ""),
            row.role.replace("sessions_per_week_", "sessions "),
            f"{row.headcount:g}",
            _tested_words(row.kpi),
            "–" if pd.isna(row.bound) else f"{row.bound:g}",
            "–" if pd.isna(row.kpi_quantile) else format_value(row.kpi_quantile),
            "–" if pd.isna(row.share_missed) else f"{row.share_missed:.0%}",
            fewer,
        )
    return view


def staffing_check_table(check: pd.DataFrame, costs: pd.DataFrame) -> Table:
    """The plan on fresh replications per period and target, and its cost a year."""
    tested = _quantile_words(float(check["quantile"].iloc[0])) if len(check) else "quantile"
    view = Table(
        title="Checked on fresh replications (not searched on)",
        title_justify="left",
    )
    for column in ("period", "KPI", "target", tested, "reps over", "meets", "cost a year"):
        view.add_column(column)
    cost = dict(zip(costs["period"], costs["cost_per_year"], strict=True))
    for row in check.itertuples():
        view.add_row(
            row.period,
            _tested_words(row.kpi),
            f"{row.bound:g}",
            format_value(row.kpi_quantile),
            f"{row.share_missed:.0%}",
            "yes" if row.meets else "[red]no[/]",
            f"£{cost[row.period]:,.0f}",
        )
    return view


def _write_report(folder: Path) -> Path:
    """Draw the report of an output folder into it (made from the folder's files alone)."""
    from simdivert.reporting.report import write_report  # matplotlib only when drawing

    try:
        with console.status(f"Drawing the report of {folder}…"):
            path = write_report(folder)
    except UserError as exc:
        raise _fail(exc) from None
    console.print(f"Report written to [bold]{path}[/]")
    return path


@app.command("app")
def app_command(
    port: Annotated[int, typer.Option(help="Port to serve the page on.", min=1, max=65535)] = 8501,
    host: Annotated[
        str, typer.Option(help="Address to serve on (0.0.0.0: every network interface).")
    ] = "127.0.0.1",
) -> None:
    """Serve the web page for commissioners: choose a scheme, move the levers, run."""
    from simdivert.app.server import serve

    console.print(f"The page is at [bold]http://{host}:{port}[/] (Ctrl-C stops it)")
    raise typer.Exit(code=serve(host, port))


@app.command("report")
def report_command(
    output_dir: Annotated[
        Path, typer.Argument(help="An output folder of simdivert run (or compare, sweep).")
    ],
) -> None:
    """Write report.html (figures embedded) and figures/ into an output folder."""
    _write_report(output_dir)


KPI_SHOWN_BY_DEFAULT = (
    "assessment_wait_p90_days",
    "course_wait_p90_days",
    "drug_worker_utilisation",
)
CELLS_SHOWN = 20
INTERRUPTED_EXIT_CODE = 130  # as a shell reports a command stopped by Ctrl-C


def _check_kpi(kpi: str) -> None:
    from simdivert.kpis import CATALOGUE, is_kpi

    if not is_kpi(kpi):
        raise UserError(
            f"--kpi {kpi}: not a KPI (KPIs: {', '.join(CATALOGUE)}; counts per year also "
            "per year of the run, e.g. charges_per_year_y2)"
        )


def _precision_target(
    precision: float | None, kpi: str | None, max_reps: int, replications: int
) -> PrecisionTarget | None:
    from simdivert.experiments.precision import MIN_REPLICATIONS, PrecisionTarget

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
            if (cell, kpi) not in by_kpi.index:  # a per-year KPI of a year the cell lacks
                shown.append("–")
                continue
            row = by_kpi.loc[(cell, kpi)]
            half_width = (row["ci_high"] - row["ci_low"]) / 2
            shown.append(f"{format_value(row['mean'])} ± {format_value(half_width)}")
        table.add_row(str(cell), *(str(labels.loc[cell, p]) for p in varied), *shown)
    return table


# The per-force table's columns and their headers.
FORCE_TABLE_COLUMNS = {
    "drug_workers_in_post": "drug workers",
    "referrals_per_year": "referrals/yr",
    "police_hours_per_year": "police h/yr",
    "drug_worker_utilisation": "utilisation",
    "assessment_wait_p90_days": "P90 wait, d",
}


def national_tables(national: pd.DataFrame, forces: pd.DataFrame) -> Group:
    """A national rollout: the country's totals (mean and 95% CI), then the first forces."""
    groups = [c for c in national.columns if c not in NATIONAL_SUMMARY_COLUMNS]
    totals = Table(
        title=f"National totals, {national['forces'].iloc[0]} forces", title_justify="left"
    )
    for column in [*groups, "kpi", "mean", "95% CI", "unit"]:
        totals.add_column(column, justify="left" if column in ("kpi", "unit") else "right")
    for row in national.itertuples(index=False):
        interval = (
            format_interval(row.ci_low, row.ci_high, row.mean) if row.ci_low != row.ci_high else ""
        )
        totals.add_row(
            *(str(getattr(row, g)) for g in groups),
            row.kpi,
            format_value(row.mean),
            interval,
            row.unit,
        )
    shown = [k for k in FORCE_TABLE_COLUMNS if k in forces.columns]
    per_force = Table(title="Per force (means)", title_justify="left")
    columns = ["force", *groups, *shown]
    for column in columns:
        header = FORCE_TABLE_COLUMNS.get(column, column)
        per_force.add_column(header, justify="left" if column == "force" else "right")
    for _, row in forces.head(CELLS_SHOWN).iterrows():
        per_force.add_row(
            *(str(row[c]) if c in ("force", *groups) else format_value(row[c]) for c in columns)
        )
    return Group(totals, per_force)


NATIONAL_SUMMARY_COLUMNS = ("kpi", "mean", "ci_low", "ci_high", "unit", "forces", "replications")


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
    force: ForceOption = False,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.html and figures/ when done.")
    ] = False,
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
    json_: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run a sweep: many cells (scenario variants) × replications, resumable, in parallel."""
    from simdivert.experiments.executors import open_executor
    from simdivert.experiments.sweep_cells import plan_sweep
    from simdivert.outputs.sweep_folder import SweepFolder
    from simdivert.outputs.sweep_writer import default_sweep_dir, run_sweep

    output = Output(console, json_, quiet)
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
            open_executor(workers, dask, force) as executor,
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
                force=force,
                on_note=_warn,
            )
    except UserError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        saved = SweepFolder(folder).saved_cells()
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
    if outcome.national is not None and outcome.forces is not None:
        console.print(national_tables(outcome.national, outcome.forces))
    else:
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
    report_path = _write_report(folder) if report else None
    output.result(
        {
            "folder": str(folder),
            "report": _text(report_path),
            "cells": len(plan.cells),
            "imprecise_cells": list(outcome.imprecise_cells),
            "summary": records(outcome.summary),
        }
    )


class SensitivityMethod(StrEnum):
    ranges = "ranges"
    sobol = "sobol"


@app.command()
def sensitivity(
    scenario: ScenarioArg = None,
    method: Annotated[
        SensitivityMethod,
        typer.Option(
            metavar="ranges|sobol",
            help="ranges: one at a time and rank correlations over the --vary ranges; sobol: "
            "Sobol indices of the headline KPIs over the scenario's [uncertainty] priors.",
        ),
    ] = SensitivityMethod.ranges,
    vary: Annotated[
        list[str] | None,
        typer.Option("--vary", help="A factor and its range: dotted.key=low:high (repeatable)."),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            help="Latin hypercube samples for the rank correlations (default 20); with "
            "--method sobol the base sample N, a power of 2 (default: 8 per input, 128 for "
            "15): (inputs + 2) x N points."
        ),
    ] = None,
    years: Annotated[float | None, typer.Option(help="Years to measure (after warm-up).")] = None,
    reps: Annotated[
        int | None,
        typer.Option(
            help="Replications per cell (default: the scenario's; with --method sobol, per "
            "point, default 1).",
            min=1,
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    kpi: Annotated[
        str,
        typer.Option(
            help="The KPI to show (every KPI is written; with --method sobol, its indices too)."
        ),
    ] = "assessment_wait_p90_days",
    workers: WorkersOption = None,
    dask: DaskOption = None,
    force: ForceOption = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output folder (default: outputs/sensitivity-<scenario>-<time>, or "
            "sobol-<scenario>-<time>)."
        ),
    ] = None,
    set_: SetOption = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="Also write report.html with a tornado chart per KPI (or the Sobol indices).",
        ),
    ] = False,
    json_: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Which inputs move which KPIs: one-at-a-time effects (tornado data) and rank
    correlations over --vary ranges, or Sobol indices over the scenario's priors."""
    from simdivert.experiments.executors import open_executor
    from simdivert.experiments.sensitivity import parse_vary, plan_sensitivity, run_sensitivity

    output = Output(console, json_, quiet)
    overrides = _run_overrides(set_, years, reps, seed)
    if method is SensitivityMethod.sobol:  # cli/sobol_command.py
        from simdivert.cli.sobol_command import run_sobol_command, show_sobol

        try:
            if vary:
                raise UserError(
                    "--vary: not with --method sobol, whose inputs and their priors "
                    "are the scenario's [uncertainty] table"
                )
            _check_kpi(kpi)
            indices, folder = run_sobol_command(
                scenario,
                overrides,
                samples,
                reps,
                kpi,
                (workers, dask, force),
                out,
                _command(),
                console,
                _warn,
            )
        except UserError as exc:
            raise _fail(exc) from None
        show_sobol(indices, kpi, folder, console)
        report_path = _write_report(folder) if report else None
        output.result(
            {
                "folder": str(folder),
                "report": _text(report_path),
                "sobol": records(indices.indices),
                "kpis": records(indices.kpis),
            }
        )
        return
    try:
        _check_kpi(kpi)
        source = resolve_scenario_path(scenario)
        base = load_scenario(source, overrides)
        factors = [parse_vary(text) for text in vary or []]
        samples = samples if samples is not None else LATIN_HYPERCUBE_SAMPLES
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
            open_executor(workers, dask, force) as executor,
            SweepProgressBar(console, f"sensitivity of {base.name}") as bar,
        ):
            bar.start(0, cells)
            results = run_sensitivity(plan, executor, bar.update, force)
            where = executor.where()
        written = write_sensitivity(
            results,
            base,
            factors,
            target,
            Provenance(started, where=where, command=_command()),
            samples=samples,
            seed=plan.seed,
            replications_per_cell=plan.replications,
            source=source,
            overrides=overrides,
        )
    except UserError as exc:
        raise _fail(exc) from None
    if kpi in set(results.one_at_a_time["kpi"]):
        console.print(sensitivity_table(results, kpi))
    else:
        console.print(f"[yellow]{kpi} is not a KPI of these runs (a year they do not have?)[/]")
    console.print(f"Results written to [bold]{written}[/]")
    report_path = _write_report(written) if report else None
    output.result(
        {
            "folder": str(written),
            "report": _text(report_path),
            "one_at_a_time": records(results.one_at_a_time),
            "rank_correlations": records(results.rank_correlations),
        }
    )


LATIN_HYPERCUBE_SAMPLES = 20  # --samples of --method ranges


def sensitivity_table(results: SensitivityResults, kpi: str) -> Table:
    """The tornado for one KPI, largest swing first, with each factor's rank correlation."""
    from simdivert.kpis import kpi_unit

    effects = results.one_at_a_time[results.one_at_a_time["kpi"] == kpi]
    rho = results.rank_correlations[results.rank_correlations["kpi"] == kpi].set_index("factor")
    table = Table(title=f"{kpi} ({kpi_unit(kpi)}): one at a time, and rank correlation")
    for column in ("factor", "low – high", "at low", "at high", "swing (95% CI)", "Spearman ρ"):
        table.add_column(column, justify="left" if column == "factor" else "right")
    for row in effects.itertuples():
        table.add_row(
            row.factor,
            f"{row.low:g} – {row.high:g}",
            format_value(row.mean_at_low),
            format_value(row.mean_at_high),
            f"{format_value(row.swing)} "
            f"({format_interval(row.swing_ci_low, row.swing_ci_high, row.swing)})",
            f"{rho.loc[row.factor, 'spearman_rho']:+.2f}",
        )
    return table


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
    from simdivert.experiments.warmup import warmup_from_events

    try:
        from simdivert.outputs.readers import read_run_events

        events, launch_hours = read_run_events(run_dir)
        warmup = warmup_from_events(events, launch_hours)
    except UserError as exc:
        raise _fail(exc) from None
    _report_warmup(warmup, f"run of {warmup.replications} replications, up to the launch")


@app.command()
def calibrate(
    targets: Annotated[
        Path | None,
        typer.Option(help="Targets file (TOML) (default: the built-in table)."),
    ] = None,
    reps: Annotated[
        int | None,
        typer.Option(
            help="Replications (default: each scenario's; with --fit, per point: 1).", min=1
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: each scenario's).")] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    force: ForceOption = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output folder (default: outputs/calibration-<time>; with --fit, "
            "outputs/fit-<scenario>, rerun to resume)."
        ),
    ] = None,
    write_docs_: Annotated[
        bool,
        typer.Option("--write-docs", help="Also put the table into the docs file (see --docs)."),
    ] = False,
    docs: Annotated[
        Path, typer.Option(help="Docs file whose calibrate-marked section --write-docs replaces.")
    ] = Path("docs/VALIDATION.md"),
    fit: Annotated[
        bool,
        typer.Option(
            "--fit",
            help="History-match the scenario's uncertain inputs to all its targets at once "
            "(waves of runs, an emulator per target); resumable: rerun to go on.",
        ),
    ] = False,
    scenario: Annotated[
        str | None,
        typer.Option(
            metavar="SCENARIO",
            help="With --fit: the scenario to fit (a file or a built-in name).",
            show_default=DEFAULT_SCENARIO,
        ),
    ] = None,
    points: Annotated[int, typer.Option(help="With --fit: runs per wave.")] = 120,
    waves: Annotated[int, typer.Option(help="With --fit: at most this many waves.")] = 4,
    cutoff: Annotated[float, typer.Option(help="With --fit: the implausibility cut.")] = 3.0,
    cut_rank: Annotated[
        int, typer.Option(help="With --fit: cut the largest (1) or second largest (2).")
    ] = 1,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="With --fit: discard a different fit's folder.")
    ] = False,
    json_: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check scenarios against published figures; exit 1 if any check fails. With --fit,
    calibrate a scenario to them all at once (default folder outputs/fit-<scenario>)."""
    from simdivert.experiments.calibration import load_targets, run_calibration
    from simdivert.experiments.executors import open_executor

    output = Output(console, json_, quiet)
    if fit:
        from simdivert.cli.fit import FitOptions

        _calibrate_fit(
            FitOptions(
                scenario,
                targets,
                points,
                waves,
                reps,
                seed,
                cutoff,
                cut_rank,
                out,
                fresh,
                write_docs_,
                docs,
            ),
            workers,
            dask,
            force,
            output,
        )
        return
    try:
        table = load_targets(targets)
        target_dir = out if out is not None else default_run_dir("calibration")
        check_new_dir(target_dir)
        if write_docs_:  # fail before the runs, not after
            replace_marked_section(docs_text(docs), "", str(docs))
    except UserError as exc:
        raise _fail(exc) from None
    started = utc_now()
    try:
        with (
            open_executor(workers, dask, force) as executor,
            ReplicationProgressBar(
                console, f"{len({t.scenario for t in table})} scenario(s)"
            ) as executor.progress,
        ):
            checks, runs = run_calibration(table, reps, seed, executor)
            where = executor.where()
        written, markdown = write_calibration(
            checks,
            runs,
            target_dir,
            Provenance(started, where=where, command=_command()),
            targets=str(targets) if targets is not None else "built-in",
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
    output.result(
        {
            "folder": str(written),
            "checks": [
                {
                    "scenario": c.target.scenario,
                    "kpi": c.target.kpi,
                    "range": c.target.range_text().replace("`", ""),
                    "mean": c.mean,
                    "ci_low": c.ci_low,
                    "ci_high": c.ci_high,
                    "passed": c.passed,
                }
                for c in checks
            ],
        }
    )
    if failed:
        errors.print(
            f"[bold red]{len(failed)} of {len(checks)} checks failed:[/] "
            + "; ".join(f"{c.target.scenario} {c.target.kpi}" for c in failed),
            highlight=False,
        )
        raise typer.Exit(code=1)


def _calibrate_fit(options: FitOptions, workers, dask, force, output) -> None:
    from simdivert.cli.fit import run_fit_command, show_fit

    try:
        outcome, folder = run_fit_command(options, workers, dask, force, console)
    except UserError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        errors.print(
            "interrupted: the runs that finished are saved; run the same command to go on",
            highlight=False,
        )
        raise typer.Exit(code=INTERRUPTED_EXIT_CODE) from None
    show_fit(outcome, folder, options, console, output)


def _checks_table(checks) -> Table:
    from simdivert.numbers import format_with_unit

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
            format_with_unit(c.mean, unit),
            f"{format_with_unit(c.ci_low, unit)} – {format_with_unit(c.ci_high, unit)}",
            "yes" if c.passed else "[bold red]no[/]",
        )
    return table


import_app = typer.Typer(
    help="Build a scenario from published data.", no_args_is_help=True, add_completion=False
)
app.add_typer(import_app, name="import")


@import_app.command("police-uk")
def import_police_uk(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="police.uk stop-and-search CSV files, or folders of them (the monthly "
            "archive: the force's files are picked out by name)."
        ),
    ],
    force: Annotated[str, typer.Option(help="The force, as police.uk names it (West Midlands).")],
    out: Annotated[Path, typer.Option(help="The scenario file to write (TOML).")],
    scheme: Annotated[
        str,
        typer.Option(help="The scheme's rules to extend: a built-in scenario or a file."),
    ] = DEFAULT_SCENARIO,
    scale_staffing: Annotated[
        bool,
        typer.Option(
            help="Scale the scheme's drug workers, facilitators, sessions and other finds to "
            "this force's finds."
        ),
    ] = True,
) -> None:
    """Derive a force's demand from its police.uk stop and searches: a scenario file."""
    from simdivert.importers.police_uk import ASSUMPTION
    from simdivert.importers.scenario_toml import import_police_uk as run_import

    try:
        outcome = run_import(inputs, force, scheme, out, scale_staffing)
    except UserError as exc:
        raise _fail(exc) from None
    console.print("[bold]Data quality[/]")
    for line in outcome.quality:
        console.print(f"  {escape(line)}", highlight=False)
    assumed = sum(1 for d in outcome.derived if d.kind == ASSUMPTION)
    console.print(
        f"{len(outcome.derived) - assumed} values derived from the data, {assumed} scaled to "
        f"them \\[assumption]; scenario {outcome.scenario.name} written to "
        f"[bold]{escape(str(out))}[/]",
        highlight=False,
    )
