"""simdivert against the floor, against Ciw, and at national scale, side by side in one run.

Run from the repository root (Ciw comes with the ``bench`` extra)::

    pip install -e '.[bench]'
    python benchmarks/compare.py [--reps 10] [--ciw-reps 3] [--workers 2]
        [--skip-national] [--markdown PATH] [--json PATH]

1. simdivert: one replication of the default scenario as the experiment runner calls it
   (``run_replication``, no event log): 56 warm-up days, a pre-policy year and two
   policy years; reported per simulated force-year (the replication over its 3.15 years).
2. The floor: the same finds, referrals and pathway in bare SimPy (``bare_simpy.py``).
3. Ciw: the equivalent queueing network (``ciw_network.py``), per referral.
4. National scale: 43 forces of mixed sizes, 5 years each (a pre-policy year and four
   policy years), one replication each, on ``--workers`` processes (``national.py``),
   with peak memory.

1 and 2 are interleaved (replication r of each in turn, alternating which goes first,
after one untimed warm-up of each), so a noisy machine slows them alike; 3 follows.
The targets are those of the project's issue 7.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import bare_simpy
import ciw_network
from bench_replication import machine_facts, simulated_years
from national import SIZE_MIX, YEARS, run_national, total_size

from simdivert.model.replication import run_replication, simulate
from simdivert.scenario.files import load_scenario
from simdivert.scenario.schema import Scenario

MIB = 1024 * 1024
TARGETS = {
    "force_year_seconds": 0.25,
    "model_over_floor": 1.5,
    "ciw_over_model_per_referral": 3.0,
    "national_seconds": 60.0,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10, help="timed replications of 1-2")
    parser.add_argument("--ciw-reps", type=int, default=3, help="timed Ciw replications")
    parser.add_argument("--workers", type=int, default=2, help="processes, national run")
    parser.add_argument("--skip-national", action="store_true", help="leave out step 4")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.reps < 1 or args.ciw_reps < 1 or args.ciw_reps > args.reps:
        parser.error("need 1 <= --ciw-reps <= --reps")
    return args


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def side_by_side(scenario: Scenario, reps: int, ciw_reps: int) -> dict[str, list[float]]:
    """Wall seconds per replication of simdivert, the floor and Ciw.

    simdivert and the floor alternate which goes first; Ciw runs after them (it leaves
    a large heap behind, which would slow whatever ran next). Each run starts after a
    garbage collection.
    """
    seed = scenario.run.seed
    run_replication(scenario, seed, 0)
    bare_simpy.simulate(scenario, 0)
    walls: dict[str, list[float]] = {"model": [], "floor": [], "ciw": []}
    referrals: dict[str, list[float]] = {"model": [], "floor": [], "ciw": []}
    finds: dict[str, list[float]] = {"model": [], "floor": []}

    def model(r: int) -> None:
        gc.collect()
        walls["model"].append(timed(lambda: run_replication(scenario, seed, r)))

    def floor(r: int) -> None:
        gc.collect()
        start = time.perf_counter()
        figures = bare_simpy.simulate(scenario, r)
        walls["floor"].append(time.perf_counter() - start)
        referrals["floor"].append(figures["referrals"])
        finds["floor"].append(figures["finds"])

    for r in range(1, reps + 1):
        for run in (model, floor) if r % 2 else (floor, model):
            run(r)
    for r in range(1, ciw_reps + 1):
        gc.collect()
        start = time.perf_counter()
        referrals["ciw"].append(ciw_network.simulate(scenario, r)["referrals"])
        walls["ciw"].append(time.perf_counter() - start)
    # Counts from untimed re-runs (same streams, so the same finds and referrals).
    for r in range(1, reps + 1):
        logs = simulate(scenario, seed, r)
        referrals["model"].append(float(logs.pathway.size))
        finds["model"].append(float(logs.finds.find.size))
    return {
        **{f"{k}_seconds": v for k, v in walls.items()},
        **{f"{k}_referrals": v for k, v in referrals.items()},
        **{f"{k}_finds": v for k, v in finds.items()},
    }


def summarise(scenario: Scenario, runs: dict[str, list[float]]) -> dict[str, float]:
    median = statistics.median
    per_referral = {
        k: median(w / n for w, n in zip(runs[f"{k}_seconds"], runs[f"{k}_referrals"], strict=True))
        for k in ("model", "floor", "ciw")
    }
    years = simulated_years(scenario)
    return {
        "model_seconds": median(runs["model_seconds"]),
        "force_year_seconds": median(runs["model_seconds"]) / years,
        "floor_seconds": median(runs["floor_seconds"]),
        "ciw_seconds": median(runs["ciw_seconds"]),
        "simulated_years": years,
        "model_finds": median(runs["model_finds"]),
        "floor_finds": median(runs["floor_finds"]),
        "model_referrals": median(runs["model_referrals"]),
        "floor_referrals": median(runs["floor_referrals"]),
        "ciw_referrals": median(runs["ciw_referrals"]),
        "model_us_per_referral": per_referral["model"] * 1e6,
        "floor_us_per_referral": per_referral["floor"] * 1e6,
        "ciw_us_per_referral": per_referral["ciw"] * 1e6,
        # Paired, replication by replication, then the median: drift affects both alike.
        "model_over_floor": median(
            m / f for m, f in zip(runs["model_seconds"], runs["floor_seconds"], strict=True)
        ),
        # The fastest of each: the least disturbed by other work on the machine.
        "model_over_floor_fastest": min(runs["model_seconds"]) / min(runs["floor_seconds"]),
        "ciw_over_model_per_referral": per_referral["ciw"] / per_referral["model"],
    }


def national(scenario: Scenario, workers: int) -> dict[str, float]:
    run = run_national(scenario, workers)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux: KiB
    return {
        "national_seconds": run.wall_seconds,
        "national_workers": run.workers,
        "national_forces": run.forces,
        "national_slowest_force_seconds": max(run.force_seconds),
        "national_cpu_seconds_all_forces": sum(run.force_seconds),
        "national_referrals_per_year": run.referrals_per_year,
        "national_worker_max_rss_mib": children / MIB,
    }


def verdict(value: float, key: str, at_least: bool = False) -> str:
    target = TARGETS[key]
    return "yes" if (value >= target if at_least else value <= target) else "**no**"


def table(figures: dict[str, float], reps: int, ciw_reps: int) -> str:
    """The results as a markdown table."""
    f = figures
    rows = [
        (
            "simdivert, default scenario: wall s per simulated force-year "
            f"(median of {reps}; {f['model_seconds']:.3f} s per replication of "
            f"{f['simulated_years']:.2f} years: {f['model_finds']:,.0f} finds, "
            f"{f['model_referrals']:,.0f} referrals)",
            f"{f['force_year_seconds']:.3f} s",
            "≤ 0.25 s",
            verdict(f["force_year_seconds"], "force_year_seconds"),
        ),
        (
            "floor, bare SimPy, same pathway and volumes: wall s per replication "
            f"({f['floor_finds']:,.0f} finds, {f['floor_referrals']:,.0f} referrals)",
            f"{f['floor_seconds']:.3f} s",
            "",
            "",
        ),
        (
            "simdivert ÷ floor, paired by replication, median (fastest ÷ fastest: "
            f"{f['model_over_floor_fastest']:.2f}×)",
            f"{f['model_over_floor']:.2f}×",
            "≤ 1.5×",
            verdict(f["model_over_floor"], "model_over_floor"),
        ),
        (
            f"Ciw, equivalent network: wall s per replication (median of {ciw_reps}; "
            f"{f['ciw_referrals']:,.0f} referrals)",
            f"{f['ciw_seconds']:.3f} s",
            "",
            "",
        ),
        (
            "µs per referral: simdivert / floor / Ciw",
            f"{f['model_us_per_referral']:.1f} / {f['floor_us_per_referral']:.1f} / "
            f"{f['ciw_us_per_referral']:.1f}",
            "",
            "",
        ),
        (
            "Ciw ÷ simdivert, time per referral",
            f"{f['ciw_over_model_per_referral']:.1f}×",
            "≥ 3×",
            verdict(f["ciw_over_model_per_referral"], "ciw_over_model_per_referral", True),
        ),
    ]
    if "national_seconds" in f:
        rows += [
            (
                f"national: {f['national_forces']} forces ({total_size():g} × the default "
                f"in all), {YEARS:g} years each after 56 warm-up days, 1 replication each, "
                f"on {f['national_workers']} "
                f"workers: wall s ({f['national_referrals_per_year']:,.0f} referrals a year; "
                f"slowest force {f['national_slowest_force_seconds']:.1f} s; "
                f"{f['national_cpu_seconds_all_forces']:.1f} s summed over forces)",
                f"{f['national_seconds']:.1f} s",
                "≤ 60 s",
                verdict(f["national_seconds"], "national_seconds"),
            ),
            (
                "national: peak memory, largest worker process (max RSS; the parent "
                f"benchmark process: {f['benchmark_max_rss_mib']:.0f} MiB)",
                f"{f['national_worker_max_rss_mib']:.0f} MiB",
                "",
                "",
            ),
        ]
    lines = ["| measure | measured | target | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", *sys.argv])
    scenario = load_scenario()
    facts = machine_facts()
    facts["packages"]["ciw"] = ciw_network.ciw.__version__
    runs = side_by_side(scenario, args.reps, args.ciw_reps)
    figures = summarise(scenario, runs)
    if not args.skip_national:
        figures |= national(scenario, args.workers)
    figures["benchmark_max_rss_mib"] = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MIB
    )
    markdown = table(figures, args.reps, args.ciw_reps)
    packages = ", ".join(f"{k} {v}" for k, v in facts["packages"].items())
    print(f"command : {command}")
    print(f"python  : {facts['python']}; {facts['platform']}; {facts['cpu_count']} cpus")
    print(f"packages: {packages}")
    print(f"national size mix (forces × factor): {SIZE_MIX}")
    print()
    print(markdown)
    if args.markdown:
        args.markdown.write_text(markdown)
    if args.json:
        payload = {"command": command, "machine": facts, "figures": figures, "runs": runs}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
