"""The scheme's offer over time and by find: officers' adoption curve, the offer's odds
ratios by counterfactual outcome, and an under-18 scheme with its own start.

Part of the scenario schema (:mod:`simdivert.scenario.schema`, which uses these in
``PolicySettings`` and ``AreaSettings``), kept apart so that each module stays one size
to read.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, field_validator

from simdivert.scenario.strict import Probability, StrictModel

if TYPE_CHECKING:  # numpy is imported where arrays are made
    import numpy as np


class TrainingWave(StrictModel):
    """A dated step in officers' adoption: from ``after_days`` (from the area's go-live)
    on, ``share_added`` more of eligible finds are offered diversion (capped at 1)."""

    after_days: NonNegativeFloat
    share_added: Annotated[float, Field(ge=-1.0, le=1.0)]


class AdoptionCurve(StrictModel):
    """The share of eligible finds officers offer diversion to, over time since go-live.

    Logistic from ``start_share`` at go-live to ``mature_share``, half way after
    ``half_way_days``, with ``spread_days`` the logistic's scale (about 2.2 spreads take
    it from a tenth to nine tenths of the way); plus dated training-wave steps. The share
    is the offer chance of a reference find (odds ratios 1, see ``policy.offer_odds_ratio``).
    """

    start_share: Probability
    mature_share: Probability | None = None  # None: the start share throughout
    half_way_days: NonNegativeFloat = 0.0
    spread_days: PositiveFloat = 30.0
    waves: list[TrainingWave] = []

    @field_validator("waves")
    @classmethod
    def _waves_in_order(cls, waves: list[TrainingWave]) -> list[TrainingWave]:
        days = [wave.after_days for wave in waves]
        if days != sorted(days):
            raise ValueError("after_days must not decrease from one wave to the next")
        return waves

    def share(self, days: np.ndarray) -> np.ndarray:
        """The share offered at ``days`` after go-live (vectorised)."""
        import numpy as np

        days = np.asarray(days, dtype=float)
        mature = self.start_share if self.mature_share is None else self.mature_share
        origin = 1.0 / (1.0 + math.exp(self.half_way_days / self.spread_days))
        rising = 1.0 / (1.0 + np.exp(-(days - self.half_way_days) / self.spread_days))
        share = self.start_share + (mature - self.start_share) * (rising - origin) / (1 - origin)
        for wave in self.waves:
            share = share + np.where(days >= wave.after_days, wave.share_added, 0.0)
        return np.clip(share, 0.0, 1.0)


class OfferOddsRatio(StrictModel):
    """Odds ratio of an offer by the outcome the find would otherwise get (the
    counterfactual); ``not_recorded``: a find recorded only because of the scheme."""

    charge: NonNegativeFloat = 1.0
    caution: NonNegativeFloat = 1.0
    cannabis_warning: NonNegativeFloat = 1.0
    penalty_notice: NonNegativeFloat = 1.0
    community_resolution: NonNegativeFloat = 1.0
    no_further_action: NonNegativeFloat = 1.0
    not_recorded: NonNegativeFloat = 1.0

    def values(self) -> np.ndarray:
        """In field order: the outcomes (as ``schema.OUTCOMES``), then not recorded."""
        import numpy as np

        return np.array([getattr(self, name) for name in type(self).model_fields])


class YouthScheme(StrictModel):
    """An under-18 scheme with its own start: live in its pilot areas (all areas if none
    named) ``go_live_after_days`` after the launch, and force-wide from
    ``force_wide_after_days`` if given. Its officers offer at ``offer_share`` from the
    start (a youth scheme is run by youth officers, not adopted finds by find)."""

    go_live_after_days: NonNegativeFloat = 0.0
    pilot_areas: list[str] = []
    force_wide_after_days: NonNegativeFloat | None = None
    offer_share: Probability


CustodyRoute = Literal["scene", "custody"]
