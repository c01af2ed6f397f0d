"""Time ``simdivert report`` on a run folder of the default scenario, phase by phase.

Run from the repository root::

    python benchmarks/bench_report.py [--folder DIR] [--reps 5]

Without ``--folder`` it first runs the default scenario as ``simdivert run --events``
does (20 replications, event log kept) into a temporary folder. Each timed repetition
then reads the folder, draws and saves every figure (PNG and SVG) and writes the page,
exactly as :func:`simdivert.reporting.report.write_report` does, in this process and on
one process per core, alternately; the per-phase times are of drawing in process.
Imports (about a second, matplotlib and pandas) happen once, before
timing; a ``simdivert report`` command pays them on top.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from simdivert.cli.app import app
from simdivert.outputs.readers import read_output_folder
from simdivert.reporting import plots
from simdivert.reporting.html import FigureHtml, render_html
from simdivert.reporting.report import (
    comparison_figures,
    report_workers,
    run_figures,
    sweep_figures,
    write_report,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="an existing run folder (with events)")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions (default 5)")
    return parser.parse_args(argv)


def default_run(target: Path) -> Path:
    """The default scenario with its event log, as ``simdivert run --events`` writes it."""
    folder = target / "west_midlands"
    with contextlib.redirect_stdout(io.StringIO()):  # the run's table is not the point here
        app(["run", "--events", "--out", str(folder)], standalone_mode=False)
    return folder


def phases(folder: Path) -> dict[str, float]:
    """Seconds per phase of one report, drawn into a scratch folder."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    output = read_output_folder(folder)
    specs = run_figures(output) + comparison_figures(output) + sweep_figures(output)
    times["read files (incl. event log)"] = time.perf_counter() - start
    figures = []
    with tempfile.TemporaryDirectory() as scratch:
        for spec in specs:
            start = time.perf_counter()
            figure = spec.build()
            times[f"draw {spec.stem}"] = time.perf_counter() - start
            start = time.perf_counter()
            paths = plots.save_figure(figure, Path(scratch), spec.stem)
            times[f"save {spec.stem} (png+svg)"] = time.perf_counter() - start
            png = paths["png"].read_bytes()
            figures.append(FigureHtml(spec.stem, spec.heading, spec.caption, png, spec.section, ""))
        start = time.perf_counter()
        render_html(output, figures)
        times["page (html, base64)"] = time.perf_counter() - start
    return times


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or default_run(Path(scratch))
        write_report(folder, workers=1)  # untimed: first-call set-up (font cache, imports)
        workers = report_workers(len(run_figures(read_output_folder(folder))))
        totals: dict[int, list[float]] = {1: [], workers: []}
        for _ in range(args.reps):  # in process and in parallel, alternately
            for n in totals:
                start = time.perf_counter()
                write_report(folder, workers=n)
                totals[n].append(time.perf_counter() - start)
        by_phase: dict[str, list[float]] = defaultdict(list)
        for _ in range(args.reps):
            for name, seconds in phases(folder).items():
                by_phase[name].append(seconds)
        size = (folder / "report.html").stat().st_size
    print(f"report of {folder.name}: {args.reps} timed repetitions after one untimed")
    for n, values in totals.items():
        print(
            f"  {f'write_report, whole, {n} worker(s)':<44} median "
            f"{statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f})"
        )
    ratio = statistics.median(totals[1]) / statistics.median(totals[workers])
    print(f"  {'in process / in parallel':<44} {ratio:6.2f}x")
    for name, values in by_phase.items():
        print(f"  {name:<44} median {statistics.median(values):6.2f} s")
    print(f"  report.html size: {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
