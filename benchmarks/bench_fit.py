"""A full fit of the default scenario (``simdivert calibrate --fit``) on 2 local workers:
wall time, where it goes, and the machine's load.

Run from the repository root::

    python benchmarks/bench_fit.py [--out DIR] [--workers 2] [--points 120] [--waves 4]
        [--json PATH]

The fit is the command's default: every uncertain input of ``west_midlands`` (15),
every target row of it (fitted and tests), the scenario's whole horizon (a pre-policy
year and five policy years after an 8-week warm-up: the targets need months 8 to 54
and policy year 5), 1 replication per point and arm (the scenario and, paired on common
random numbers, the status quo), at most ``--waves`` waves of ``--points`` points.
``--out`` defaults to a fresh temporary folder (a folder holding this fit already
would resume it and time nothing). The time is split as the fit's manifest records it:
running the designed replications (``run_cells`` on the pool, cell files written as
they finish) against everything else (fitting the emulators, drawing the next wave by
rejection from prior points, resolving each cell's scenario, reading the cells back).
Load averages are read before and after: on a shared machine, read the wall time
against them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import simdivert as sd


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="fit folder (default: a new temporary one)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--points", type=int, default=120)
    parser.add_argument("--waves", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this path")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-fit-")) / "fit"
    load_before = os.getloadavg()
    started = time.perf_counter()
    with sd.local(args.workers) as executor:
        outcome = sd.fit(
            "west_midlands",
            out,
            points=args.points,
            waves=args.waves,
            executor=executor,
            command="python " + " ".join(["benchmarks/bench_fit.py", *(argv or [])]),
        )
    wall = time.perf_counter() - started
    load_after = os.getloadavg()
    manifest = json.loads((out / "manifest.json").read_text())
    seconds = manifest["seconds"]
    result = {
        "folder": str(out),
        "workers": args.workers,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "wall_seconds": round(wall, 1),
        "simulation_seconds": round(seconds["simulation"], 1),
        "emulators_and_design_seconds": round(seconds["emulators_and_design"], 1),
        "figures_and_import_seconds": round(wall - seconds["total"], 1),
        "waves": [
            {k: w[k] for k in ("wave", "points", "prior_share_left", "runs_non_implausible")}
            for w in manifest["waves"]
        ],
        "replications": int(manifest["cells_run"]) * manifest["replications"],
        "parameter_sets": len(outcome.parameter_sets),
        "stopped": outcome.stopped,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
    }
    print(json.dumps(result, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
