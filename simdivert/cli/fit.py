"""``simdivert calibrate --fit``: history matching of a scenario's uncertain inputs to
its published targets, in waves, resumable; the options are parsed in ``cli/app.py``."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from simdivert.outputs.fit_folder import FitOutcome

from simdivert.cli.conventions import Output, docs_text, records
from simdivert.cli.progress import SweepProgressBar
from simdivert.numbers import format_with_unit
from simdivert.outputs.folders import safe_folder_name
from simdivert.outputs.writers import FIT_DOCS_MARKERS, replace_marked_section, write_docs


@dataclass(frozen=True)
class FitOptions:
    """What the command line asked of the fit."""

    scenario: str | None
    targets: Path | None
    points: int
    waves: int
    replications: int | None
    seed: int | None
    cutoff: float
    cut_rank: int
    out: Path | None
    fresh: bool
    write_docs: bool
    docs: Path


class FitProgressBar(SweepProgressBar):
    """A line per wave: its runs (cells) saved before and now, replications run."""

    def wave(self, number: int, cells_done: int, cells_total: int) -> None:
        self._title = f"wave {number}"
        self.start(cells_done, cells_total)


def default_fit_dir(scenario: str) -> Path:
    """``outputs/fit-<scenario>``: fixed, so that rerunning the same command resumes."""
    return Path("outputs") / f"fit-{safe_folder_name(scenario)}"


def run_fit_command(
    options: FitOptions, workers: int | None, dask: str | None, force: bool, console: Console
) -> tuple[FitOutcome, Path]:
    """Check everything, run (or resume) the fit, write figures and, if asked, the docs
    table; returns the outcome and the folder. Raises UserError for any bad input."""
    from simdivert.clock import utc_now
    from simdivert.experiments.calibration import load_targets
    from simdivert.experiments.executors import open_executor
    from simdivert.experiments.fit_plan import plan_fit
    from simdivert.experiments.history_matching import Settings
    from simdivert.outputs.fit_folder import run_fit
    from simdivert.outputs.manifest import Provenance
    from simdivert.reporting.fit_plots import write_fit_figures
    from simdivert.scenario.files import load_scenario, resolve_scenario_path

    started = utc_now()
    path = resolve_scenario_path(options.scenario)
    scenario = load_scenario(path)
    settings = Settings(
        options.points,
        options.waves,
        options.cutoff,
        options.cut_rank,
        seed=options.seed if options.seed is not None else scenario.run.seed,
    )
    source = str(options.targets) if options.targets is not None else "built-in targets"
    reps = options.replications if options.replications is not None else 1
    plan = plan_fit(path, load_targets(options.targets), settings, reps, source)
    if options.write_docs:  # fail before the runs, not after
        replace_marked_section(docs_text(options.docs), "", str(options.docs), FIT_DOCS_MARKERS)
    folder = options.out if options.out is not None else default_fit_dir(scenario.name)
    command = " ".join(["simdivert", *sys.argv[1:]])
    with (
        open_executor(workers, dask, force) as executor,
        FitProgressBar(console, "wave 1") as bar,
    ):
        outcome = run_fit(
            plan,
            folder,
            executor,
            options.fresh,
            Provenance(started, where=executor.where(), command=command),
            on_wave=bar.wave,
            on_progress=bar.update,
            on_note=lambda note: console.print(f"[yellow]{note}[/]"),
            force=force,
        )
    write_fit_figures(outcome.folder)
    if options.write_docs:
        write_docs(options.docs, outcome.markdown, FIT_DOCS_MARKERS)
    return outcome, folder


def fit_table(checks) -> Table:
    """The per-target table: fitted rows first, then the tests, then the rest held out."""
    from simdivert.experiments.fit_plan import ROLES

    table = Table(title="History matching: per target", title_justify="left")
    for column in ("role", "KPI", "range", "prior 5–95%", "calibrated 5–95%", "pass"):
        table.add_column(column, overflow="fold")
    ordered = checks.sort_values("role", key=lambda roles: roles.map(ROLES.index), kind="stable")
    for _, c in ordered.iterrows():
        unit = c["unit"]

        def fmt(name: str, row=c, unit: str = unit) -> str:
            return format_with_unit(float(row[name]), unit)

        against = c["against"]
        kpi = f"{c['kpi']} vs {against}" if isinstance(against, str) else c["kpi"]
        table.add_row(
            c["role"],
            kpi,
            c["range"],
            f"{fmt('prior_low')} – {fmt('prior_high')}",
            f"{fmt('fitted_low')} – {fmt('fitted_high')}",
            "yes" if c["passed"] else "[bold red]no[/]",
        )
    return table


def show_fit(
    outcome: FitOutcome, folder: Path, options: FitOptions, console: Console, output: Output
) -> None:
    """The fit's tables and where they went; the JSON document with ``--json``."""
    if outcome.runs_before:
        console.print(
            f"Resumed: {outcome.runs_before} runs were already saved, {outcome.runs_now} run now."
        )
    console.print(fit_table(outcome.checks))
    console.print(
        f"Stopped: {outcome.stopped}. {len(outcome.parameter_sets)} non-implausible "
        f"parameter sets written to [bold]{folder}[/]"
    )
    if options.write_docs:
        console.print(f"Table written to [bold]{options.docs}[/] (between the fit markers)")
    output.result(
        {
            "folder": str(folder),
            "stopped": outcome.stopped,
            "parameter_sets": len(outcome.parameter_sets),
            "runs_before": outcome.runs_before,
            "runs_now": outcome.runs_now,
            "checks": records(outcome.checks),
        }
    )
