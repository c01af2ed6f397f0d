"""Cohorts a scenario follows: the people referred in a window after the launch, and
what has happened to them by a later day (:func:`simdivert.model.results.cohort_counts`).

Part of the scenario schema (:mod:`simdivert.scenario.schema`), kept apart so that each
module stays one size to read. A cohort's KPIs are named from it
(``cohort_<name>_<state>``, :data:`simdivert.kpis.COHORT_STATES`), so a pilot's published
figures ("423 completed in the first eight months") are compared by name.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, NonNegativeFloat, model_validator

from simdivert.scenario.strict import StrictModel

CohortName = Annotated[str, Field(pattern=r"^[a-z0-9_]+$", min_length=1)]


class CohortSettings(StrictModel):
    """People referred from ``from_day`` to ``to_day`` (days after the launch, the end
    excluded), followed to ``followed_to_day``."""

    name: CohortName
    from_day: NonNegativeFloat = 0.0
    to_day: NonNegativeFloat
    followed_to_day: NonNegativeFloat

    @model_validator(mode="after")
    def _in_order(self) -> CohortSettings:
        if self.to_day <= self.from_day:
            raise ValueError(f"to_day ({self.to_day:g}) must be after from_day ({self.from_day:g})")
        if self.followed_to_day < self.to_day:
            raise ValueError(
                f"followed_to_day ({self.followed_to_day:g}) must not be before "
                f"to_day ({self.to_day:g})"
            )
        return self
