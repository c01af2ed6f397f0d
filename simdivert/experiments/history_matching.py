"""History matching: which parameter sets could have produced every published figure.

The method (Vernon, Goldstein and Bower 2010; Andrianakis et al. 2015), in waves:

1. run the simulator at a design of points in the unit cube of the uncertain inputs
   (wave 1: a Latin hypercube of the priors);
2. fit an *emulator* per fitted target to the wave's runs: a linear trend on the unit
   inputs plus a Gaussian process on what it leaves (scikit-learn's
   ``GaussianProcessRegressor``, an ARD squared-exponential kernel and a white-noise
   term that absorbs the run-to-run noise); it predicts the target's output ``E[f(x)]``
   and its variance ``Var_em(x)`` anywhere, cheaply;
3. the *implausibility* of a point for a target is the distance from the published
   figure in standard deviations of everything that separates them::

       I(x) = |z - E[f(x)]| / sqrt(Var_em(x) + Var_obs + Var_discrepancy)

   with ``z`` the middle of a two-sided published range; for a one-sided figure
   ("over 8,000") the distance to the bound on the wrong side, zero on the right one;
4. a point is *non-implausible* when its largest (or, with ``cut_rank`` 2, its second
   largest) implausibility over the fitted targets is below the cut (3, Pukelsheim's
   three-sigma rule); the next wave's points are drawn by rejection from many prior
   points, keeping those every wave's emulators so far leave non-implausible.

The waves stop after ``max_waves``, or when a wave's emulators rule out little more
of the space than the wave before (from wave 2 on, the share of prior points kept
shrinks by a factor above ``converged_ratio``), or when they rule out all of it.
Nothing here knows the simulator: a wave's runs come from a callback, so a toy function
tests the method.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from simdivert.errors import UserError
from simdivert.model.random_streams import RandomStreams

CUTOFF = 3.0
DESIGN_STREAM = "design.history_matching"  # wave k's candidates: its own child stream
CANDIDATE_BATCH = 20_000
MAX_CANDIDATES = 400_000  # prior points tried per wave before taking what was found
MIN_POINTS = 4  # the fewest a wave may have


@dataclass(frozen=True)
class Observation:
    """One fitted figure: its bounds (either may be None), observation error and model
    discrepancy, both as standard deviations in the output's own units."""

    name: str
    low: float | None
    high: float | None
    observation_sd: float
    discrepancy_sd: float

    def distance(self, value: np.ndarray) -> np.ndarray:
        """|z - value| for a two-sided figure (z its middle); for a one-sided one, how far
        ``value`` lies on the wrong side of the bound (0 on the right side)."""
        if self.low is not None and self.high is not None:
            return np.abs(value - (self.low + self.high) / 2)
        if self.low is not None:
            return np.maximum(self.low - value, 0.0)
        assert self.high is not None
        return np.maximum(value - self.high, 0.0)

    @property
    def fixed_variance(self) -> float:
        return self.observation_sd**2 + self.discrepancy_sd**2


@dataclass(frozen=True)
class Settings:
    """How a fit is designed; every field changes its results (and its resume digest)."""

    points_per_wave: int = 120
    max_waves: int = 4
    cutoff: float = CUTOFF
    cut_rank: int = 1  # 1: the largest implausibility is cut; 2: the second largest
    converged_ratio: float = 0.8
    seed: int = 0

    def check(self, targets: int) -> None:
        """One-line errors for settings no fit could use."""
        if self.points_per_wave < MIN_POINTS:
            raise UserError(
                f"points {self.points_per_wave}: a wave needs at least {MIN_POINTS}",
                option="points",
            )
        if self.max_waves < 1:
            raise UserError(f"waves {self.max_waves}: at least 1", option="waves")
        if not self.cutoff > 0:
            raise UserError(f"cutoff {self.cutoff:g}: must be above 0", option="cutoff")
        if self.cut_rank not in (1, 2) or self.cut_rank > targets:
            raise UserError(
                f"cut-rank {self.cut_rank}: 1 (largest) or 2 (second largest), and no more "
                f"than the {targets} fitted target(s)",
                option="cut-rank",
            )


class Emulator:
    """A target's emulator: a linear trend plus a Gaussian process on the residuals."""

    def __init__(self, unit: np.ndarray, values: np.ndarray, seed: int) -> None:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
        from sklearn.linear_model import LinearRegression

        keep = np.isfinite(values)
        if keep.sum() < 3:
            raise UserError("an emulator needs at least 3 runs with a value")
        x, y = unit[keep], values[keep]
        self.trend = LinearRegression().fit(x, y)
        dimensions = x.shape[1]
        kernel = ConstantKernel(1.0, (1e-4, 1e3)) * RBF(
            np.full(dimensions, 0.5), (0.05, 50.0)
        ) + WhiteKernel(0.1, (1e-6, 2.0))
        with warnings.catch_warnings():  # a length scale at its bound: an input that
            warnings.simplefilter("ignore", ConvergenceWarning)  # hardly matters, as meant
            self.process = GaussianProcessRegressor(
                kernel, normalize_y=True, n_restarts_optimizer=1, random_state=seed
            ).fit(x, y - self.trend.predict(x))
        scale = float(np.std(y - self.trend.predict(x))) or 1.0
        self.noise_variance = float(self.process.kernel_.k2.noise_level) * scale**2

    def predict(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expected output and its variance (the run-to-run noise included) at ``unit``."""
        mean, sd = self.process.predict(unit, return_std=True)
        return self.trend.predict(unit) + mean, np.asarray(sd) ** 2


def implausibility(
    observation: Observation, expected: np.ndarray, variance: np.ndarray | float
) -> np.ndarray:
    """I = distance / sqrt(Var_emulator-or-run + Var_obs + Var_discrepancy)."""
    total = np.asarray(variance) + observation.fixed_variance
    distance = observation.distance(np.asarray(expected, dtype=float))
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(distance), distance / np.sqrt(total), np.inf)


def ranked(values: np.ndarray, rank: int) -> np.ndarray:
    """Per row (a point), the ``rank``-th largest implausibility over the columns."""
    if values.shape[1] < rank:
        return np.zeros(values.shape[0])
    return np.sort(values, axis=1)[:, -rank]


@dataclass
class Wave:
    """One wave: its points, what the runs gave, and the emulators fitted to them."""

    number: int
    unit: np.ndarray  # points x inputs, in the unit cube
    outputs: np.ndarray  # points x observations (NaN where a run gave no value)
    kept_share: float  # of prior points tried, the share the waves before left
    emulators: list[Emulator] = field(default_factory=list)

    def emulator_implausibility(
        self, observations: Sequence[Observation], unit: np.ndarray
    ) -> np.ndarray:
        """points x observations: each emulator's implausibility at ``unit``."""
        columns = []
        for observation, emulator in zip(observations, self.emulators, strict=True):
            expected, variance = emulator.predict(unit)
            columns.append(implausibility(observation, expected, variance))
        return np.column_stack(columns)

    def run_implausibility(self, observations: Sequence[Observation]) -> np.ndarray:
        """points x observations: the runs' own implausibility (no emulator: the noise
        variance its emulator estimated, observation error and discrepancy)."""
        return np.column_stack(
            [
                implausibility(o, self.outputs[:, j], e.noise_variance)
                for j, (o, e) in enumerate(zip(observations, self.emulators, strict=True))
            ]
        )


RunWave = Callable[[int, np.ndarray], np.ndarray]  # (wave number, unit points) -> outputs


@dataclass(frozen=True)
class Fit:
    """The waves run, and why they stopped."""

    waves: list[Wave]
    observations: list[Observation]
    settings: Settings
    stopped: str

    def final_kept(self) -> np.ndarray:
        """Which runs of the final wave are non-implausible by their own outputs."""
        final = self.waves[-1]
        worst = ranked(final.run_implausibility(self.observations), self.settings.cut_rank)
        return worst < self.settings.cutoff


def candidates(
    waves: Sequence[Wave],
    observations: Sequence[Observation],
    settings: Settings,
    dimensions: int,
    wave_number: int,
) -> tuple[np.ndarray, float]:
    """Wave ``wave_number``'s points: prior (uniform unit-cube) points that every earlier
    wave's emulators leave non-implausible, tried in batches; and the share kept."""
    rng = RandomStreams(settings.seed, 0).generator(f"{DESIGN_STREAM}.wave{wave_number}")
    kept: list[np.ndarray] = []
    tried = found = 0
    while tried < MAX_CANDIDATES and found < settings.points_per_wave * 4:
        batch = rng.random((CANDIDATE_BATCH, dimensions))
        tried += len(batch)
        for wave in waves:  # the cheapest test first would need ordering; all are quick
            worst = ranked(wave.emulator_implausibility(observations, batch), settings.cut_rank)
            batch = batch[worst < settings.cutoff]
            if not len(batch):
                break
        kept.append(batch)
        found += len(batch)
    pool = np.concatenate(kept) if kept else np.empty((0, dimensions))
    share = found / tried
    if len(pool) > settings.points_per_wave:
        pool = pool[np.sort(rng.choice(len(pool), settings.points_per_wave, replace=False))]
    return pool, share


def history_match(
    observations: Sequence[Observation],
    first_wave: np.ndarray,
    run_wave: RunWave,
    settings: Settings,
    on_wave: Callable[[Wave], None] | None = None,
) -> Fit:
    """Run waves from ``first_wave`` (points x inputs in the unit cube) until the
    stopping rule holds; ``run_wave(number, unit)`` gives the outputs (points x
    observations, in ``observations``' order)."""
    observations = list(observations)
    settings.check(len(observations))
    waves: list[Wave] = []
    unit, share, stopped = first_wave, 1.0, f"the {settings.max_waves} wave(s) asked for"
    for number in range(1, settings.max_waves + 1):
        outputs = np.asarray(run_wave(number, unit), dtype=float)
        wave = Wave(number, unit, outputs, share)
        wave.emulators = [
            Emulator(unit, outputs[:, j], settings.seed + number) for j in range(outputs.shape[1])
        ]
        waves.append(wave)
        if on_wave is not None:
            on_wave(wave)
        if number == settings.max_waves:
            break
        unit, new_share = candidates(waves, observations, settings, unit.shape[1], number + 1)
        if not len(unit):
            stopped = f"wave {number}'s emulators rule out every prior point tried"
            break
        if len(unit) < MIN_POINTS:  # too few to emulate: the space left is a speck
            stopped = (
                f"wave {number}'s emulators leave only {len(unit)} of the "
                f"{MAX_CANDIDATES:,} prior points tried"
            )
            break
        if number > 1 and new_share / share > settings.converged_ratio:
            stopped = (
                f"wave {number}'s emulators kept {new_share / share:.0%} of what the waves "
                f"before kept (above {settings.converged_ratio:.0%}: converged)"
            )
            break
        share = new_share
    return Fit(waves, observations, settings, stopped)


def quantile_interval(values: np.ndarray, low: float = 0.05, high: float = 0.95) -> tuple:
    """The (low, median, high) quantiles of the finite values, NaNs if none."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return (math.nan, math.nan, math.nan)
    return tuple(float(q) for q in np.quantile(finite, [low, 0.5, high]))
