"""Time one force-year replication of a scenario (by default the default scenario).

Run from the repository root::

    python benchmarks/bench_replication.py [--reps 10] [--scenario NAME|PATH]
        [--set key=value ...] [--json PATH]

One untimed warm-up replication (index 0) pays for imports and first-call set-up; the
timed replications then use indices 1..N, so each one draws fresh random numbers and none
can reuse another's work. Referral counts and peak memory come from separate, untimed runs
of the same replications, so that neither the event log nor tracemalloc slows the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from simdivert.clock import HOURS_PER_YEAR
from simdivert.errors import ScenarioError
from simdivert.model.replication import run_replication, simulate
from simdivert.scenario.files import DEFAULT_SCENARIO, load_scenario
from simdivert.scenario.schema import Scenario

try:  # Unix only; on other systems the max RSS is reported as unavailable.
    import resource
except ImportError:  # pragma: no cover
    resource = None

MIB = 1024 * 1024
WARMUP_REPLICATION = 0
PACKAGES = ("simdivert", "simpy", "numpy", "pandas")


@dataclass(frozen=True)
class Timing:
    """One timed replication: wall time, and every referral it simulated."""

    replication: int
    wall_seconds: float
    cpu_seconds: float  # this process's CPU time (time.process_time): others' load moves it less
    referrals: int

    @property
    def referrals_per_second(self) -> float:
        return self.referrals / self.wall_seconds


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reps", type=int, default=10, help="timed replications (default: %(default)s)"
    )
    parser.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help="built-in scenario name or path to a TOML file (default: %(default)s)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="scenario override, e.g. provider.drug_workers=14 (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this path")
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    return args


def simulated_years(scenario: Scenario) -> float:
    """Years the model actually simulates: the warm-up plus the measured years."""
    return scenario.horizon_hours / HOURS_PER_YEAR


def time_replication(scenario: Scenario, replication: int) -> tuple[float, float]:
    """Wall and CPU seconds for one replication as the experiment runner calls it (no event
    log)."""
    start, cpu = time.perf_counter(), time.process_time()
    run_replication(scenario, scenario.run.seed, replication)
    return time.perf_counter() - start, time.process_time() - cpu


def count_referrals(scenario: Scenario, replication: int) -> int:
    """Every referral the timed run simulated, warm-up included (untimed re-run).

    The KPI ``referrals_per_year`` × ``run.years`` would count only referrals inside the
    measured window, but the timed run also simulated the warm-up's referrals through the
    provider, so dividing by it would understate throughput. The pathway log has one row
    per referral over the whole horizon; a replication's streams depend only on (seed,
    replication), so this re-run simulates exactly the referrals the timed run did.
    """
    return simulate(scenario, scenario.run.seed, replication).pathway.size


def traced_peak_bytes(scenario: Scenario, replication: int) -> int:
    """Peak Python and NumPy heap of one replication, measured with tracemalloc (untimed).

    tracemalloc slows allocation-heavy code several-fold, hence its own run.
    """
    tracemalloc.start()
    try:
        run_replication(scenario, scenario.run.seed, replication)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def max_rss_bytes() -> int | None:
    """The process's peak resident set so far (imports and all runs), if the OS tells us."""
    if resource is None:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS: bytes; Linux: KiB


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine_facts() -> dict[str, object]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "packages": {name: _package_version(name) for name in PACKAGES},
    }


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarise(scenario: Scenario, timings: list[Timing], peak: int, rss: int | None) -> dict:
    """Median/min/max of each per-replication figure, plus the memory figures.

    Per simulated year = raw wall time / (years + warmup_days / 365). With the usual
    ``run.years = 1`` this equals raw × years / (years + warm-up years), the wall time
    attributable to the measured force-year.
    """
    walls = [t.wall_seconds for t in timings]
    cpus = [t.cpu_seconds for t in timings]
    years = simulated_years(scenario)
    return {
        "wall_seconds_per_replication": spread(walls),
        "wall_seconds_per_simulated_year": spread([w / years for w in walls]),
        "cpu_seconds_per_simulated_year": spread([c / years for c in cpus]),
        "referrals_per_replication": spread([float(t.referrals) for t in timings]),
        "referrals_per_second": spread([t.referrals_per_second for t in timings]),
        "peak_traced_mib": peak / MIB,
        "max_rss_mib": None if rss is None else rss / MIB,
    }


def report(
    command: str, facts: dict, scenario: Scenario, timings: list[Timing], summary: dict
) -> None:
    """Print the machine facts, one row per timed replication, then the summary table."""
    run = scenario.run
    usable = facts["usable_cpus"]
    packages = ", ".join(f"{k} {v}" for k, v in facts["packages"].items())
    print("simdivert replication benchmark")
    print(f"  command   : {command}")
    print(f"  python    : {facts['python']}")
    print(f"  platform  : {facts['platform']}")
    print(f"  cpus      : {facts['cpu_count']}" + (f" ({usable} usable)" if usable else ""))
    print(f"  packages  : {packages}")
    print(
        f"  scenario  : {scenario.name}, seed {run.seed}; {run.years:g} measured year(s) "
        f"+ {run.warmup_days:g} warm-up days = {simulated_years(scenario):.3f} simulated years"
    )
    print(
        f"  reps      : {len(timings)} timed (indices {timings[0].replication}-"
        f"{timings[-1].replication}), after 1 untimed warm-up (index {WARMUP_REPLICATION})"
    )
    print()
    print(f"  {'rep':>4} {'wall s':>8} {'CPU s':>8} {'referrals':>10} {'referrals/s':>12}")
    for t in timings:
        print(
            f"  {t.replication:>4} {t.wall_seconds:>8.3f} {t.cpu_seconds:>8.3f}"
            f" {t.referrals:>10,} {t.referrals_per_second:>12,.0f}"
        )
    print()
    rows = [
        ("wall s per replication (raw: warm-up + measured)", "wall_seconds_per_replication", 3),
        ("wall s per simulated force-year", "wall_seconds_per_simulated_year", 3),
        ("CPU s per simulated force-year", "cpu_seconds_per_simulated_year", 3),
        ("referrals per replication (incl. warm-up)", "referrals_per_replication", 0),
        ("referrals simulated per wall second", "referrals_per_second", 0),
    ]
    print(f"  {'':<50} {'median':>9} {'min':>9} {'max':>9}")
    for label, key, digits in rows:
        cells = " ".join(f"{summary[key][s]:>9,.{digits}f}" for s in ("median", "min", "max"))
        print(f"  {label:<50} {cells}")
    rss = summary["max_rss_mib"]
    print(f"  {'peak traced memory, one replication (MiB)':<50} {summary['peak_traced_mib']:>9.1f}")
    print(
        f"  {'process max RSS, whole benchmark (MiB)':<50} "
        + (f"{rss:>9.1f}" if rss is not None else f"{'n/a':>9}")
    )


def run_facts(scenario: Scenario) -> dict[str, float]:
    run = scenario.run
    return {
        "seed": run.seed,
        "years": run.years,
        "warmup_days": run.warmup_days,
        "simulated_years": simulated_years(scenario),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join([sys.executable, *sys.argv])
    try:
        scenario = load_scenario(args.scenario, args.overrides)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    time_replication(scenario, WARMUP_REPLICATION)
    indices = range(WARMUP_REPLICATION + 1, WARMUP_REPLICATION + 1 + args.reps)
    times = [time_replication(scenario, r) for r in indices]
    timings = [
        Timing(r, wall, cpu, count_referrals(scenario, r))
        for r, (wall, cpu) in zip(indices, times, strict=True)
    ]
    peak = traced_peak_bytes(scenario, indices[0])
    summary = summarise(scenario, timings, peak, max_rss_bytes())

    facts = machine_facts()
    report(command, facts, scenario, timings, summary)
    if args.json:
        payload = {
            "command": command,
            "machine": facts,
            "scenario": {"name": scenario.name, "overrides": args.overrides, **run_facts(scenario)},
            "replications": [
                {**asdict(t), "referrals_per_second": t.referrals_per_second} for t in timings
            ],
            "summary": summary,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
