"""Duration distributions named in scenario files, sampled in bulk with numpy.

A scenario writes a duration as an inline table, e.g.
``assessment_minutes = { dist = "lognormal", mean = 60, sd = 15 }``.
Each class validates its own parameters and draws ``n`` values at once.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, PositiveFloat, model_validator

from simdivert.scenario.strict import StrictModel

if TYPE_CHECKING:  # numpy is imported where arrays are made: validating a scenario never needs it
    import numpy as np

NonNegativeFloat = Annotated[float, Field(ge=0)]


class _Distribution(StrictModel):
    @abstractmethod
    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` independent values."""


class Fixed(_Distribution):
    """Always the same value."""

    dist: Literal["fixed"]
    value: NonNegativeFloat

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        import numpy as np

        return np.full(n, self.value)


class Exponential(_Distribution):
    """Memoryless; the service time of an M/M/c queue."""

    dist: Literal["exponential"]
    mean: PositiveFloat

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)


class Lognormal(_Distribution):
    """Right-skewed, parameterised by its own mean and standard deviation."""

    dist: Literal["lognormal"]
    mean: PositiveFloat
    sd: PositiveFloat

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        import numpy as np

        sigma2 = np.log1p((self.sd / self.mean) ** 2)
        mu = np.log(self.mean) - sigma2 / 2
        return rng.lognormal(mu, np.sqrt(sigma2), n)


class Gamma(_Distribution):
    """Parameterised by its mean and standard deviation."""

    dist: Literal["gamma"]
    mean: PositiveFloat
    sd: PositiveFloat

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = (self.mean / self.sd) ** 2
        return rng.gamma(shape, self.mean / shape, n)


class Uniform(_Distribution):
    """Any value between low and high, equally likely."""

    dist: Literal["uniform"]
    low: NonNegativeFloat
    high: NonNegativeFloat

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


Distribution = Annotated[
    Fixed | Exponential | Lognormal | Gamma | Uniform, Field(discriminator="dist")
]
