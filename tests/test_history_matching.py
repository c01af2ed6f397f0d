"""History matching on toy functions: the emulator, implausibility, waves, stopping."""

from __future__ import annotations

import numpy as np
import pytest

from simdivert.errors import UserError
from simdivert.experiments.history_matching import (
    Emulator,
    Observation,
    Settings,
    history_match,
    implausibility,
    ranked,
)


def smooth(unit: np.ndarray) -> np.ndarray:
    return 3 * unit[:, 0] + np.sin(4 * unit[:, 1])


def test_the_emulator_reproduces_a_known_function():
    rng = np.random.default_rng(1)
    train = rng.random((40, 2))
    emulator = Emulator(train, smooth(train), seed=0)
    test = rng.random((200, 2))
    expected, variance = emulator.predict(test)
    spread = np.ptp(smooth(test))
    assert np.max(np.abs(expected - smooth(test))) < 0.03 * spread
    assert np.sqrt(variance).max() < 0.03 * spread  # and it knows it is close
    far = Emulator(train[:5], smooth(train[:5]), seed=0).predict(test)[1]
    assert far.mean() > variance.mean() * 10  # fewer runs: less sure


def test_implausibility_is_the_distance_in_standard_deviations():
    two_sided = Observation("a", 4.0, 6.0, observation_sd=0.3, discrepancy_sd=0.4)
    assert implausibility(two_sided, np.array([5.0, 7.5]), 0.0) == pytest.approx([0.0, 5.0])
    over = Observation("b", 10.0, None, observation_sd=1.0, discrepancy_sd=0.0)
    assert implausibility(over, np.array([12.0, 7.0]), 8.0) == pytest.approx([0.0, 1.0])
    under = Observation("c", None, 1.0, observation_sd=0.1, discrepancy_sd=0.0)
    assert implausibility(under, np.array([0.5, 1.3]), 0.0) == pytest.approx([0.0, 3.0])
    assert ranked(np.array([[1.0, 5.0, 2.0]]), 2) == pytest.approx([2.0])


def toy_wave(noise_sd: float = 0.05):
    """f(u) = 10 u0 (u1 does nothing), with noise; counts every point run."""
    runs: list[int] = []

    def run_wave(number: int, unit: np.ndarray) -> np.ndarray:
        runs.append(len(unit))
        rng = np.random.default_rng(number)
        return (10 * unit[:, :1]) + rng.normal(0, noise_sd, (len(unit), 1))

    return run_wave, runs


def test_implausibility_rules_out_a_known_bad_region():
    observation = Observation("f", 2.0, 3.0, observation_sd=0.1, discrepancy_sd=0.05)
    run_wave, runs = toy_wave()
    first = np.random.default_rng(0).random((30, 2))
    fit = history_match([observation], first, run_wave, Settings(30, 3, seed=5))
    later = np.concatenate([wave.unit for wave in fit.waves[1:]])
    assert len(later) and runs[0] == 30
    assert later[:, 0].min() > 0.1 and later[:, 0].max() < 0.4  # f = 2.5 ± 1.5: u0 0.1–0.4
    assert np.ptp(later[:, 1]) > 0.8  # the input that does nothing is left free
    kept = fit.waves[-1].unit[fit.final_kept()]
    assert len(kept) > 10
    assert np.all(np.abs(10 * kept[:, 0] - 2.5) < 3 * np.sqrt(0.1**2 + 0.05**2 + 0.05**2) + 0.1)
    assert fit.waves[1].kept_share == pytest.approx(0.068, abs=0.02)  # 2.5 ± 0.34: u0 ± 0.034


def test_waves_stop_when_nothing_is_left_and_when_converged():
    impossible = Observation("f", 50.0, 60.0, observation_sd=0.5, discrepancy_sd=0.0)
    run_wave, runs = toy_wave()
    first = np.random.default_rng(0).random((20, 2))
    fit = history_match([impossible], first, run_wave, Settings(20, 4, seed=1))
    assert len(fit.waves) == 1 and "rule out every prior point" in fit.stopped
    assert not fit.final_kept().any()
    anything = Observation("f", 0.0, 10.0, observation_sd=5.0, discrepancy_sd=0.0)
    fit = history_match([anything], first, toy_wave()[0], Settings(20, 4, seed=1))
    assert len(fit.waves) == 2 and "converged" in fit.stopped


def test_the_same_seed_gives_the_same_waves():
    observation = Observation("f", 2.0, 3.0, observation_sd=0.1, discrepancy_sd=0.05)
    first = np.random.default_rng(0).random((12, 2))
    fits = [
        history_match([observation], first, toy_wave()[0], Settings(12, 2, seed=9)) for _ in "ab"
    ]
    assert np.array_equal(fits[0].waves[1].unit, fits[1].waves[1].unit)
    other = history_match([observation], first, toy_wave()[0], Settings(12, 2, seed=10))
    assert not np.array_equal(fits[0].waves[1].unit, other.waves[1].unit)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(points_per_wave=3), "points 3: a wave needs at least 4"),
        (Settings(max_waves=0), "waves 0: at least 1"),
        (Settings(cutoff=0), "cutoff 0: must be above 0"),
        (Settings(cut_rank=2), "cut-rank 2: 1 (largest) or 2 (second largest), and no more"),
    ],
)
def test_settings_no_fit_could_use_are_one_line_errors(settings, message):
    observation = Observation("f", 2.0, 3.0, 0.1, 0.0)
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        history_match([observation], np.zeros((4, 2)), toy_wave()[0], settings)
