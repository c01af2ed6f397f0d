"""What follows the police outcome: later offending, the courts, and money in price years.

These settings describe what the pathway changes downstream (reoffending, prosecutions,
sentences, prison places) and how money figures published in different years are put
in one year's prices. The mechanisms are in :mod:`simdivert.model.offending`,
:mod:`simdivert.model.courts` and :mod:`simdivert.model.costs`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    NonNegativeFloat,
    PositiveFloat,
    model_validator,
)

from simdivert.scenario.prices import GDP_DEFLATOR, PRICE_YEARS, convert
from simdivert.scenario.strict import Probability, StrictModel


def _known_price_year(year: str) -> str:
    if year not in GDP_DEFLATOR:
        raise ValueError(
            f"unknown price year (the deflator table has {PRICE_YEARS[0]} to "
            f"{PRICE_YEARS[-1]}, written like 2022/23)"
        )
    return year


PriceYear = Annotated[str, AfterValidator(_known_price_year)]


class PricedAmount(StrictModel):
    """A money figure and the financial year whose prices it is in (None: the scenario's
    ``costs.price_year``)."""

    amount: NonNegativeFloat
    price_year: PriceYear | None = None


def _bare_number(value: Any) -> Any:
    """A bare number is an amount in the scenario's price year."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"amount": value}
    return value


# A number, or a table ``{ amount = 168, price_year = "2010/11" }``.
Money = Annotated[PricedAmount, BeforeValidator(_bare_number)]


def money_in(value: PricedAmount, price_year: str) -> float:
    """A money figure in ``price_year`` prices."""
    if value.price_year is None:
        return value.amount
    return convert(value.amount, value.price_year, price_year)


class PerAgeBand(StrictModel):
    """A non-negative factor for each age band."""

    under_18: NonNegativeFloat
    age_18_to_24: NonNegativeFloat
    age_25_to_34: NonNegativeFloat
    age_35_plus: NonNegativeFloat

    def values(self) -> list[float]:
        return [self.under_18, self.age_18_to_24, self.age_25_to_34, self.age_35_plus]


class OffendingSettings(StrictModel):
    """Time from a find to the person's next recorded offence of any kind.

    The hazard is ``rate_per_year x age band ratio x frailty x the multiplier of the
    find's outcome``: a formal outcome (charge, caution, penalty notice), an informal one
    (a warning, a community resolution, no further action, or no record), completing
    diversion, or disengaging from it. Frailty is gamma with mean 1 and shape
    ``frailty_shape``: a small shape puts most reoffending on a few people, so the share
    who reoffend grows less than in proportion to the rate.
    """

    rate_per_year: NonNegativeFloat
    age_band_ratio: PerAgeBand
    frailty_shape: PositiveFloat
    after_formal_outcome: NonNegativeFloat
    after_informal_outcome: NonNegativeFloat
    after_completion: NonNegativeFloat
    after_disengagement: NonNegativeFloat


class CourtSettings(StrictModel):
    """What a charge leads to: prosecution, conviction and sentence, and what they cost."""

    prosecuted_share_of_charges: Probability
    convicted_share: Probability
    fined_share_of_convictions: Probability
    custody_share_of_convictions: Probability
    custody_weeks_mean: NonNegativeFloat
    custody_served_share: Probability
    crown_court_share: Probability
    magistrates_cost_per_case: Money
    crown_court_cost_per_case: Money
    prison_cost_per_place_year: Money

    @model_validator(mode="after")
    def _sentences_fit(self) -> CourtSettings:
        total = self.fined_share_of_convictions + self.custody_share_of_convictions
        if total > 1.0 + 1e-9:
            raise ValueError(
                "fined_share_of_convictions + custody_share_of_convictions must be at most 1 "
                f"(they sum to {total:.6g})"
            )
        return self
