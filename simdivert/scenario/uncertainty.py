"""Uncertain inputs: the ``[uncertainty]`` table of a scenario, a prior per dotted key.

A scenario names the inputs nobody knows well and says how unsure it is of each::

    [uncertainty]
    "policy.adoption.mature_share" = { prior = "uniform", low = 0.45, high = 0.80 }
    "refind.rate_per_year" = { prior = "log_uniform", low = 0.04, high = 0.16 }
    "contact.answer_probability" = { prior = "beta", a = 8, b = 12 }
    "demand.find_rate_drug_searches" = { prior = "normal", mean = 0.30, sd = 0.02 }
    "engagement.max_rebookings" = { prior = "values", values = [1, 2, 3] }

Every prior maps a point of the unit interval to a value (its quantile function,
:meth:`Prior.value_at`), so that every design (a Latin hypercube of forecasts, the waves
of a fit, a Sobol sample) is drawn once in the unit cube and turned into values here,
in one way. The scenario's own value at the key is what a run without ``--uncertainty``
uses; the prior says what else it could be.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, PositiveFloat, model_validator

from simdivert.scenario.strict import StrictModel

if TYPE_CHECKING:  # numpy and scipy are imported where values are drawn
    import numpy as np

# Keys an uncertain input may not name: how a run is run is not an input of the model.
NOT_UNCERTAIN = ("name", "description", "run", "uncertainty")
# More would make every design too large to run (a Sobol sample is (d + 2) x N runs).
MAX_UNCERTAIN_INPUTS = 50
# A normal prior without bounds is cut at these quantiles, so that no draw is absurd.
NORMAL_TAIL = 1e-4


class _Prior(StrictModel):
    @abstractmethod
    def value_at(self, unit: np.ndarray) -> np.ndarray:
        """The values at quantiles ``unit`` (each in [0, 1])."""

    @abstractmethod
    def describe(self) -> str:
        """The prior in a few words, e.g. ``uniform 0.45 to 0.8``."""

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and the largest value the prior can give."""
        import numpy as np

        low, high = self.value_at(np.array([0.0, 1.0]))
        return float(low), float(high)


def _ordered(low: float, high: float) -> None:
    if not low < high:
        raise ValueError(f"low ({low:g}) must be below high ({high:g})")


class UniformPrior(_Prior):
    """Every value between ``low`` and ``high`` equally likely."""

    prior: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> UniformPrior:
        _ordered(self.low, self.high)
        return self

    def value_at(self, unit: np.ndarray) -> np.ndarray:
        return self.low + unit * (self.high - self.low)

    def describe(self) -> str:
        return f"uniform {self.low:g} to {self.high:g}"


class LogUniformPrior(_Prior):
    """Uniform on a log scale: each factor of two between ``low`` and ``high`` as likely."""

    prior: Literal["log_uniform"]
    low: PositiveFloat
    high: PositiveFloat

    @model_validator(mode="after")
    def _check(self) -> LogUniformPrior:
        _ordered(self.low, self.high)
        return self

    def value_at(self, unit: np.ndarray) -> np.ndarray:
        import numpy as np

        return np.exp(math.log(self.low) + unit * math.log(self.high / self.low))

    def describe(self) -> str:
        return f"log-uniform {self.low:g} to {self.high:g}"


class BetaPrior(_Prior):
    """Beta(``a``, ``b``) stretched onto [``low``, ``high``] (by default a share, 0 to 1)."""

    prior: Literal["beta"]
    a: PositiveFloat
    b: PositiveFloat
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _check(self) -> BetaPrior:
        _ordered(self.low, self.high)
        return self

    def value_at(self, unit: np.ndarray) -> np.ndarray:
        from scipy.stats import beta

        return self.low + beta.ppf(unit, self.a, self.b) * (self.high - self.low)

    def describe(self) -> str:
        where = "" if (self.low, self.high) == (0.0, 1.0) else f" on {self.low:g} to {self.high:g}"
        return f"beta({self.a:g}, {self.b:g}){where}"


class NormalPrior(_Prior):
    """Normal(``mean``, ``sd``), cut at ``low`` and ``high`` when given (else far in the
    tails, so that a draw is never absurd)."""

    prior: Literal["normal"]
    mean: float
    sd: PositiveFloat
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _check(self) -> NormalPrior:
        if self.low is not None and self.high is not None:
            _ordered(self.low, self.high)
        for bound, side in ((self.low, "below"), (self.high, "above")):
            if bound is not None and abs(bound - self.mean) > 8 * self.sd:
                raise ValueError(f"the bound {bound:g} lies more than 8 sd {side} the mean")
        return self

    def value_at(self, unit: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy.stats import norm

        lowest = NORMAL_TAIL if self.low is None else norm.cdf(self.low, self.mean, self.sd)
        highest = 1 - NORMAL_TAIL if self.high is None else norm.cdf(self.high, self.mean, self.sd)
        values = norm.ppf(lowest + unit * (highest - lowest), self.mean, self.sd)
        if self.low is not None or self.high is not None:  # the ends exactly, not rounded
            values = np.clip(values, self.low, self.high)
        return values

    def describe(self) -> str:
        cut = ""
        if self.low is not None or self.high is not None:
            low = "" if self.low is None else f"{self.low:g}"
            high = "" if self.high is None else f"{self.high:g}"
            cut = f", cut to {low} to {high}".replace(" to  to ", " to ")
        return f"normal, mean {self.mean:g}, sd {self.sd:g}{cut}"


class ValuesPrior(_Prior):
    """One of a list of values, each equally likely."""

    prior: Literal["values"]
    values: Annotated[list[float], Field(min_length=2, max_length=100)]

    @model_validator(mode="after")
    def _check(self) -> ValuesPrior:
        if len(set(self.values)) != len(self.values):
            raise ValueError("a value is listed twice")
        return self

    def value_at(self, unit: np.ndarray) -> np.ndarray:
        import numpy as np

        index = np.minimum((unit * len(self.values)).astype(int), len(self.values) - 1)
        return np.asarray(self.values)[index]

    @property
    def support(self) -> tuple[float, float]:
        return min(self.values), max(self.values)

    def describe(self) -> str:
        return "one of " + ", ".join(f"{v:g}" for v in self.values)


Prior = Annotated[
    UniformPrior | LogUniformPrior | BetaPrior | NormalPrior | ValuesPrior,
    Field(discriminator="prior"),
]


def key_problem(key: str, value: object) -> str | None:
    """Why ``key`` (its scenario value ``value``) cannot be an uncertain input, if it can't.

    ``value`` is the scenario's value at the key (``KeyError`` while walking: pass
    :data:`MISSING`).
    """
    if key.split(".")[0] in NOT_UNCERTAIN:
        return f"{key.split('.')[0]} settings say how to run, they are not uncertain inputs"
    if value is MISSING:
        return "no such scenario value"
    if value is None:
        return "has no value in the scenario (give it one, or drop its prior)"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "not a number in the scenario (an uncertain input must be one number)"
    return None


MISSING = object()
