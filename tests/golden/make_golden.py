"""Write the golden results: a small ``replications.csv`` per built-in scenario.

Run ``python tests/golden/make_golden.py`` only when a change of results is a decision
(say why in the commit); ``tests/test_golden.py`` checks that every run reproduces them.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from golden_runs import GOLDEN_DIR, golden_replications  # noqa: E402

from simdivert.scenario.files import builtin_scenarios  # noqa: E402


def main() -> None:
    for name in builtin_scenarios():
        table = golden_replications(name)
        table.to_csv(GOLDEN_DIR / f"{name}.csv", index=False, float_format="%.17g")
        print(f"{name}: {len(table)} replications, {table.shape[1] - 1} KPIs")


if __name__ == "__main__":
    main()
