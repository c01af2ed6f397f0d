"""The base scheme's priors on the values an import derives, moved to the force's own.

A force's scenario extends the base scheme and so inherits its ``[uncertainty]`` table.
A prior on a value the import sets from the force's files (its find rate) or scales to
the force's size (its other finds) is about the base's value, in the base's units: left
as it is, a forecast would draw West Midlands' other finds for a force a tenth its size.
Each such prior is scaled by the force's value over the base's, so it keeps its shape
and its spread relative to the value [assumption: as unsure, relatively, as the base].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simdivert.importers.police_uk import Derived
from simdivert.scenario.schema import Scenario

SCALED_FIELDS = ("low", "high", "mean", "sd")  # a prior's fields in the value's units


def scaled_prior(prior: dict[str, Any], factor: float) -> dict[str, Any]:
    """A prior (as its table, every field given) with each value in the input's units
    times ``factor``: a beta prior's span [low, high] moves, its shape a, b stays."""
    scaled = dict(prior)
    for field in SCALED_FIELDS:
        if scaled.get(field) is not None:
            scaled[field] = round(scaled[field] * factor, 6)
    if "values" in scaled:
        scaled["values"] = [round(v * factor, 6) for v in scaled["values"]]
    return {k: v for k, v in scaled.items() if v is not None}


def moved_priors(base: Scenario, derived: Sequence[Derived]) -> list[tuple[str, dict, str]]:
    """Per derived value the base names as uncertain: its key, the prior scaled to the
    force's value, and why (for the file's comment)."""
    moved = []
    for item in derived:
        if item.key not in base.uncertainty:
            continue
        base_value = base.value_at(item.key)
        if not isinstance(base_value, int | float) or base_value == 0:
            continue
        factor = float(item.value) / float(base_value)
        prior = base.uncertainty[item.key].model_dump(exclude_none=True)
        basis = (
            f"[assumption] the base scheme's prior ({base.uncertainty[item.key].describe()}) "
            f"x {factor:.3f}, this force's value over the base's"
        )
        moved.append((item.key, scaled_prior(prior, factor), basis))
    return moved
