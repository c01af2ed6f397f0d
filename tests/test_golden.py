"""Golden results: every built-in scenario reproduces its checked-in replications exactly.

A failure here means results moved. If that is a decision (a new mechanism, a fixed
bug), regenerate with ``python tests/golden/make_golden.py`` and say why in the commit.
"""

from __future__ import annotations

import pandas as pd
import pytest
from golden_runs import GOLDEN_DIR, golden_replications

from simdivert.scenario.files import builtin_scenarios


def test_every_builtin_scenario_has_golden_results():
    assert sorted(p.stem for p in GOLDEN_DIR.glob("*.csv")) == sorted(builtin_scenarios())


@pytest.mark.parametrize("name", builtin_scenarios())
def test_golden_results_are_reproduced_exactly(name):
    expected = pd.read_csv(GOLDEN_DIR / f"{name}.csv")
    actual = golden_replications(name)
    assert list(actual.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(
        actual.reset_index(drop=True), expected, check_dtype=False, check_exact=True
    )
