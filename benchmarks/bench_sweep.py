"""Sweep throughput on 1 and 2 local workers, the Dask path's per-task overhead, and a
large sweep of the default scenario, measured side by side in one run.

Run from the repository root::

    python benchmarks/bench_sweep.py [--rounds 2] [--large-cells 100] [--large-reps 10]
        [--skip-large] [--json PATH]

Every sweep here states its horizon: one policy year of the default scenario
(``run.years = 1``, ``policy.launch_after_days = 0``: the scheme live from the end of
the 56-day warm-up), not the built-in three years with a pre-policy year.

1. Throughput: the same sweep (8 cells × 8 one-policy-year replications) through
   ``run_sweep`` into a fresh folder, as ``simdivert sweep`` runs it, on 1 and on 2
   local worker processes, alternating, ``--rounds`` times each. Worker start-up
   and writing the cell files are included. Before and after, the machine's own
   2-process speed-up on pure Python arithmetic (no simdivert): on a shared machine the
   ceiling the sweep's speed-up should be read against.
2. Per-task overhead: 200 tiny replications (one simulated policy week) in this process, on a
   local pool of one worker process and on a Dask ``LocalCluster`` of one worker process
   (one thread), both warmed up first. Overhead per task = (executor wall − in-process
   wall) / tasks: what sending a task and its result costs on each path.
3. Large: ``simdivert sweep`` (a subprocess, all cores) on a 100-cell × 10-replication
   sweep of the default scenario, one policy year per replication.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from simdivert.experiments.executors import (
    DaskExecutor,
    Executor,
    InProcessExecutor,
    LocalPoolExecutor,
    ReplicationTask,
    default_workers,
)
from simdivert.experiments.sweep_cells import plan_sweep
from simdivert.outputs.sweep_writer import run_sweep
from simdivert.scenario.files import load_scenario

ONE_POLICY_YEAR = '[set]\n"run.years" = 1.0\n"policy.launch_after_days" = 0\n'
THROUGHPUT_SWEEP = f"""
replications = 8
seed = 11
{ONE_POLICY_YEAR}
[grid]
"provider.drug_workers" = [4, 5, 6, 7]
"engagement.patience_days" = [40.0, 80.0]
"""
TINY_TASKS = 200
BURN_ITERATIONS = 10_000_000  # about half a second of pure Python
TINY_SCENARIO = ("run.years=0.0192", "run.warmup_days=0", "policy.launch_after_days=0")  # a week


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="throughput rounds per worker count")
    parser.add_argument("--large-cells", type=int, default=100)
    parser.add_argument("--large-reps", type=int, default=10)
    parser.add_argument("--skip-large", action="store_true", help="skip the large sweep")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this path")
    return parser.parse_args(argv)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (pool workers, once joined)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def sweep_throughput(folder: Path, workers: int, round_number: int) -> tuple[float, float]:
    """Replications per wall second, and CPU seconds per replication, for the throughput
    sweep on ``workers`` processes. If 2 workers use about the CPU per replication that 1
    does but gain little wall time, the CPUs were busy with other work, not overhead."""
    source = folder / "throughput.toml"
    source.write_text(THROUGHPUT_SWEEP)
    plan = plan_sweep(source)
    executor = InProcessExecutor() if workers == 1 else LocalPoolExecutor(workers)
    start, cpu_start = time.perf_counter(), cpu_seconds()
    with executor:
        outcome = run_sweep(plan, folder / f"out-{workers}-{round_number}", executor)
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    return len(outcome.results) / wall, cpu / len(outcome.results)


def _burn(iterations: int) -> int:
    total = 0
    for i in range(iterations):
        total += i * i
    return total


def machine_ceiling() -> float:
    """The speed-up 2 processes get on pure CPU work right now, with no simdivert at all:
    what the machine allows, on a shared one less than 2."""
    start = time.perf_counter()
    _burn(BURN_ITERATIONS)
    _burn(BURN_ITERATIONS)
    serial = time.perf_counter() - start
    with ProcessPoolExecutor(2) as pool:
        start = time.perf_counter()
        list(pool.map(_burn, [BURN_ITERATIONS] * 2))
        parallel = time.perf_counter() - start
    return serial / parallel


def tiny_wall_seconds(executor: Executor, tasks: list[ReplicationTask]) -> float:
    for task in tasks[:10]:  # warm up: worker processes started, modules imported
        executor.submit(task, None)
    for _ in executor.completed():
        pass
    start = time.perf_counter()
    for task in tasks:
        executor.submit(task, None)
    for _ in executor.completed():
        pass
    return time.perf_counter() - start


def task_overhead() -> dict[str, float]:
    """Seconds per tiny task in this process, on a 1-process pool and on 1 Dask worker."""
    from distributed import LocalCluster

    scenario = load_scenario(None, list(TINY_SCENARIO))
    tasks = [ReplicationTask(scenario, 5, r) for r in range(TINY_TASKS)]
    with InProcessExecutor() as here:
        in_process = tiny_wall_seconds(here, tasks)
    with LocalPoolExecutor(1) as pool:
        local = tiny_wall_seconds(pool, tasks)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        DaskExecutor(cluster.scheduler_address) as dask,
    ):
        on_dask = tiny_wall_seconds(dask, tasks)
    return {
        "task_seconds_in_process": in_process / TINY_TASKS,
        "task_seconds_local_pool": local / TINY_TASKS,
        "task_seconds_dask": on_dask / TINY_TASKS,
        "overhead_seconds_local_pool": (local - in_process) / TINY_TASKS,
        "overhead_seconds_dask": (on_dask - in_process) / TINY_TASKS,
    }


def large_sweep(folder: Path, cells: int, reps: int) -> dict[str, float]:
    """Wall seconds of ``simdivert sweep`` on ``cells`` cells × ``reps`` one-policy-year reps."""
    workers = [4, 5, 6, 7, 8]
    demand_levels = -(-cells // len(workers))
    searches = [22000 + 500 * i for i in range(demand_levels)]
    source = folder / "large.toml"
    source.write_text(
        f"replications = {reps}\n{ONE_POLICY_YEAR}[grid]\n"
        f'"demand.searches_per_year" = {searches}\n"provider.drug_workers" = {workers}\n'
    )
    command = [sys.executable, "-m", "simdivert", "sweep", str(source), "--out", "large"]
    start = time.perf_counter()
    subprocess.run(command, cwd=folder, check=True, capture_output=True)
    wall = time.perf_counter() - start
    replications = demand_levels * len(workers) * reps
    return {
        "cells": demand_levels * len(workers),
        "replications": replications,
        "wall_seconds": wall,
        "replications_per_second": replications / wall,
        "command": shlex.join(["simdivert", *command[3:]]),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results: dict[str, object] = {
        "command": shlex.join([sys.executable, *sys.argv]),
        "usable_cpus": default_workers(),
        "load_average_at_start": os.getloadavg(),
    }
    print(f"usable cpus {default_workers()}; load average at start {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rates: dict[int, list[float]] = {1: [], 2: []}
        cpu: dict[int, list[float]] = {1: [], 2: []}
        ceilings = [machine_ceiling()]
        for round_number in range(args.rounds):
            for workers in (1, 2):
                rate, cpu_per_replication = sweep_throughput(folder, workers, round_number)
                rates[workers].append(rate)
                cpu[workers].append(cpu_per_replication)
        ceilings.append(machine_ceiling())
        one, two = statistics.median(rates[1]), statistics.median(rates[2])
        results["throughput"] = {
            "machine_two_process_speedup_before_after": ceilings,
            "replications_per_second_1_worker": rates[1],
            "replications_per_second_2_workers": rates[2],
            "cpu_seconds_per_replication_1_worker": cpu[1],
            "cpu_seconds_per_replication_2_workers": cpu[2],
            "speedup_median": two / one,
        }
        print("sweep throughput (8 cells × 8 one-policy-year replications, run_sweep to a folder)")
        for workers, label in ((1, "1 worker "), (2, "2 workers")):
            print(
                f"  {label}: {', '.join(f'{r:.2f}' for r in rates[workers])} replications/s; "
                f"{', '.join(f'{c:.3f}' for c in cpu[workers])} CPU s/replication"
            )
        print(f"  speed-up (medians): {two / one:.2f}×")
        print(
            "  the machine's own 2-process speed-up on pure CPU work, before and after: "
            + ", ".join(f"{c:.2f}×" for c in ceilings)
        )

        overhead = task_overhead()
        results["overhead"] = overhead
        print(f"per-task overhead ({TINY_TASKS} one-policy-week replications, 1 worker each)")
        print(f"  in this process : {overhead['task_seconds_in_process'] * 1000:.2f} ms/task")
        for path in ("local_pool", "dask"):
            print(
                f"  {path:<16}: {overhead[f'task_seconds_{path}'] * 1000:.2f} ms/task, overhead "
                f"{overhead[f'overhead_seconds_{path}'] * 1000:.2f} ms/task"
            )

        if not args.skip_large:
            large = large_sweep(folder, args.large_cells, args.large_reps)
            results["large"] = large
            print(f"large sweep: {large['command']}")
            print(
                f"  {large['cells']} cells × {args.large_reps} replications in "
                f"{large['wall_seconds']:.1f} s ({large['replications_per_second']:.1f} reps/s)"
            )
    results["load_average_at_end"] = os.getloadavg()
    print(f"load average at end {os.getloadavg()[0]:.2f} (other work on the machine slows both)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
