"""Weight grid, threshold tuning and the vectorised long-only return, hand-computed."""

import math

import numpy as np
import pytest

from aurumbotx.ml.ensemble import DEFAULT_WEIGHTS, MEMBERS
from aurumbotx.ml.tuning import (
    THRESHOLD_GRID,
    long_only_log_return,
    signal_classes,
    simplex_grid,
    tune_threshold,
    tune_weights,
)


def test_simplex_grid_has_66_points_summing_to_one() -> None:
    grid = simplex_grid(0.1)
    assert len(grid) == 66
    assert all(abs(sum(w.values()) - 1.0) < 1e-12 for w in grid)
    assert all(set(w) == set(MEMBERS) for w in grid)
    assert DEFAULT_WEIGHTS in grid
    assert len({tuple(w.values()) for w in grid}) == 66


def test_tune_weights_finds_the_member_that_is_the_target() -> None:
    rng = np.random.default_rng(1)
    target = rng.normal(size=500)
    members = {
        "random_forest": target + rng.normal(scale=1.0, size=500),
        "gradient_boosting": target.copy(),
        "xgboost": -target,
    }
    weights, mse = tune_weights(members, target)
    assert weights == {"random_forest": 0.0, "gradient_boosting": 1.0, "xgboost": 0.0}
    assert mse == pytest.approx(0.0, abs=1e-24)


def test_tune_weights_blends_two_noisy_members() -> None:
    rng = np.random.default_rng(2)
    target = rng.normal(size=20_000)
    noise_a, noise_b = rng.normal(size=20_000), rng.normal(size=20_000)
    members = {
        "random_forest": target + noise_a,
        "gradient_boosting": target + noise_b,
        "xgboost": target + 3 * rng.normal(size=20_000),
    }
    # Two equally noisy, independent members: the best mix is half of each.
    weights, _ = tune_weights(members, target)
    assert weights["random_forest"] == pytest.approx(0.5, abs=0.11)
    assert weights["gradient_boosting"] == pytest.approx(0.5, abs=0.11)
    assert weights["xgboost"] <= 0.1


def test_signal_classes() -> None:
    values = np.array([0.7, 0.6, 0.2, -0.6, -0.61, np.nan])
    np.testing.assert_array_equal(signal_classes(values, 0.6), [1, 0, 0, 0, -1, 0])
    per_row = np.array([0.5, 0.7, 0.1, 0.5, 0.7, 0.1])
    np.testing.assert_array_equal(signal_classes(values, per_row), [1, 0, 1, -1, 0, 0])


def test_long_only_return_by_hand() -> None:
    fee = 0.001
    signals = np.array([0, 1, 0, 1, -1, 0, -1, 1, 0])
    moves = np.array([0.05, 0.01, 0.02, -0.03, 0.04, 0.10, 0.2, 0.03, -0.01])
    # In position after row 1 until the SELL at row 4 (rows 1, 2, 3 earn), again after row 7.
    gross = 0.01 + 0.02 - 0.03 + 0.03 - 0.01
    expected = gross - 2 * math.log1p(fee) + math.log1p(-fee)  # 2 entries, 1 exit
    got, entries = long_only_log_return(signals, moves, fee)
    assert entries == 2
    assert got == pytest.approx(expected, rel=1e-12)
    assert long_only_log_return(np.zeros(5, dtype=np.int8), np.ones(5), fee) == (0.0, 0)


def test_threshold_tuning_prefers_the_best_return_then_the_higher_threshold() -> None:
    # A strong prediction before a rise, a weak one before a fall.
    prediction = np.array([0.9, 0.0, -0.9, 0.3, 0.0, -0.3])
    moves = np.array([0.05, 0.05, 0.0, -0.05, -0.05, 0.0])
    threshold, log_return = tune_threshold(prediction, moves, 0.001)
    # Above 0.3 only the strong signals trade (+10 %); at 0.3 and below the weak ones lose.
    assert threshold == max(THRESHOLD_GRID)
    assert log_return == pytest.approx(0.10 - math.log1p(0.001) + math.log1p(-0.001))
    # Nothing passes any threshold: no trade, return 0, the highest threshold.
    assert tune_threshold(np.zeros(6), moves, 0.001) == (max(THRESHOLD_GRID), 0.0)
    assert THRESHOLD_GRID[0] == 0.1
    assert THRESHOLD_GRID[-1] == 0.8
