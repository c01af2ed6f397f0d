"""The estimate made before a run (``experiments/budget.py``) against one replication as
it runs in this process: finds counted, estimated memory and CPU, then measured maximum
resident memory and CPU of ``run_replication``.

Run one case per process (maximum resident memory only grows)::

    python benchmarks/bench_budget.py                                  # west_midlands, 1 year
    python benchmarks/bench_budget.py demand.searches_per_year=263720 \\
        demand.other_finds_per_year=23000
    python benchmarks/bench_budget.py run.years=5 demand.searches_per_year=263720 \\
        demand.other_finds_per_year=23000
"""

from __future__ import annotations

import resource
import sys
import time

from simdivert.experiments import budget
from simdivert.model.replication import run_replication
from simdivert.scenario.files import load_scenario


def main(overrides: list[str]) -> None:
    scenario = load_scenario("west_midlands", ["run.years=1", *overrides])
    estimate = budget.estimate([(scenario, 1)], workers=1)
    started = time.process_time()
    run_replication(scenario, 1, 0)
    cpu = time.process_time() - started
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert estimate.wall_hours is not None
    print(
        f"finds counted {estimate.finds:,.0f}; estimate {estimate.peak_bytes / 1e6:,.0f} MB, "
        f"{estimate.wall_hours * 3600:.2f} CPU s; measured max RSS {max_rss / 1e6:,.0f} MB, "
        f"{cpu:.2f} CPU s"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
