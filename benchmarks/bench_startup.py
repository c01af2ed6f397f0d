"""CPU time of short ``simdivert`` commands, where imports are most of the cost.

Run from the repository root::

    python benchmarks/bench_startup.py [--runs 5] [--baseline DIR] [--json PATH]

Each command runs as ``python -m simdivert ...`` in a child process with ``PYTHONPATH``
set to the checkout measured (this one, and ``--baseline``'s if given, e.g. a second
worktree at an older commit, alternating so both see the same machine load). Its CPU
time is user + system from ``resource.getrusage(RUSAGE_CHILDREN)`` around the child:
CPU, not wall, because the machines are shared and wall time waits for other work.
Commands: ``--help``; ``validate west_midlands``; a one-replication run
(``run --reps 1 --years 0.2 --workers 1``, into a scratch folder). The table shows the
median of ``--runs`` runs, then ``python -X importtime`` of each checkout's ``run``:
the ten slowest top-level packages (cumulative, wall microseconds, one run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = 10  # packages shown per command in the import summary
COMMANDS = {
    "--help": ["--help"],
    "validate west_midlands": ["validate", "west_midlands"],
    "run (1 rep, 0.2 years)": [
        "run",
        "west_midlands",
        "--reps",
        "1",
        "--years",
        "0.2",
        "--workers",
        "1",
    ],
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    parser.add_argument("--baseline", type=Path, help="another checkout to measure alongside")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def child_env(checkout: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(checkout)}


def cpu_seconds(checkout: Path, args: list[str], scratch: Path) -> float:
    """User + system CPU of one ``python -m simdivert`` child (its own children included)."""
    if args[0] == "run":
        args = [*args, "--out", str(Path(tempfile.mkdtemp(dir=scratch)) / "run")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "simdivert", *args],
        env=child_env(checkout),
        cwd=scratch,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_cost(checkout: Path, args: list[str], scratch: Path) -> list[tuple[str, int]]:
    """Microseconds spent importing each top-level package (the sum of its modules' own
    times, so a package is not counted again inside whatever imported it), slowest first."""
    if args[0] == "run":
        args = [*args, "--out", str(Path(tempfile.mkdtemp(dir=scratch)) / "run")]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "simdivert", *args],
        env=child_env(checkout),
        cwd=scratch,
        capture_output=True,
        text=True,
        check=True,
    )
    totals: dict[str, int] = {}
    for line in result.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line, or a line the command itself wrote
        package = fields[2].strip().split(".")[0]
        totals[package] = totals.get(package, 0) + int(fields[0])
    return sorted(totals.items(), key=lambda item: -item[1])


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    checkouts = {"this checkout": ROOT}
    if args.baseline is not None:
        checkouts = {"baseline": args.baseline.resolve(), **checkouts}
    times: dict[str, dict[str, list[float]]] = {c: {k: [] for k in COMMANDS} for c in checkouts}
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        for label, command in COMMANDS.items():
            for _ in range(args.runs):
                for name, checkout in checkouts.items():  # alternate: same load for both
                    times[name][label].append(cpu_seconds(checkout, command, scratch))
        imports = {
            name: {
                label: import_cost(checkout, command, scratch)
                for label, command in COMMANDS.items()
            }
            for name, checkout in checkouts.items()
        }
    medians = {c: {k: statistics.median(v) for k, v in t.items()} for c, t in times.items()}

    print(f"CPU seconds (user + sys), median of {args.runs} runs; Python {sys.version.split()[0]}")
    header = ["command", *(f"{name} ({path})" for name, path in checkouts.items())]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label in COMMANDS:
        cells = [f"{medians[name][label]:.2f}" for name in checkouts]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(f"\n-X importtime (one run, wall ms): the {TOP} packages slowest to import, and all")
    for label in COMMANDS:
        for name in checkouts:
            rows = imports[name][label]
            shown = ", ".join(f"{package} {micros / 1000:.0f}" for package, micros in rows[:TOP])
            total = sum(micros for _, micros in rows) / 1000
            print(f"{label}, {name}: {total:.0f} ms; {shown}")
    if args.json is not None:
        record = {"runs": args.runs, "checkouts": {k: str(v) for k, v in checkouts.items()}}
        args.json.write_text(json.dumps({**record, "times": times, "imports": imports}, indent=2))


if __name__ == "__main__":
    main()
