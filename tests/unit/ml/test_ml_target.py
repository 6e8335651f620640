"""The target: hand-computed values, NaN rows, clipping, and what the thresholds mean."""

import math

import numpy as np
import pandas as pd
import pytest

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.ml.target import (
    TargetSpec,
    forward_log_return,
    make_target,
    target_values,
    trailing_volatility,
)


def closes_from_log_returns(returns: list[float], first: float = 100.0) -> np.ndarray:
    return first * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))


def test_alternating_moves_give_half_with_scale_two() -> None:
    # Log returns +a, -a, +a, ...: every 2-return window has mean 0 and population std a, so
    # the next move (+-a) over sigma * sqrt(1) is +-1 sigma, and 1 sigma / scale 2 = +-0.5.
    a = 0.01
    close = closes_from_log_returns([a, -a] * 5)
    got = target_values(close, TargetSpec(horizon=1, vol_window=2, scale=2.0))
    assert np.isnan(got[:2]).all()  # r[0] undefined: sigma needs rows 1..2
    assert np.isnan(got[-1])  # no candle after the last
    # Row t's move is r[t+1], with r[1] = +a, r[2] = -a: r[3] = +a, r[4] = -a, ...
    np.testing.assert_allclose(got[2:-1], [0.5, -0.5] * 4, rtol=1e-12)


def test_hand_computed_two_candle_horizon() -> None:
    close = np.array([100.0, 102.0, 101.0, 104.0, 103.0, 107.0, 105.0])
    spec = TargetSpec(horizon=2, vol_window=3, scale=2.0)
    got = target_values(close, spec)
    r = [math.log(close[i] / close[i - 1]) for i in range(1, 7)]
    # Row 3: sigma over r[1..3] (the returns into rows 1, 2, 3), forward move ln(c5 / c3).
    window = r[0:3]
    mean = sum(window) / 3
    sigma = math.sqrt(sum((x - mean) ** 2 for x in window) / 3)
    expected_3 = math.log(107.0 / 104.0) / (sigma * math.sqrt(2)) / 2
    assert got[3] == pytest.approx(expected_3, rel=1e-12)
    window = r[1:4]
    mean = sum(window) / 3
    sigma = math.sqrt(sum((x - mean) ** 2 for x in window) / 3)
    expected_4 = max(-1.0, min(1.0, math.log(105.0 / 103.0) / (sigma * math.sqrt(2)) / 2))
    assert got[4] == pytest.approx(expected_4, rel=1e-12)
    assert np.isnan(got[[0, 1, 2, 5, 6]]).all()


def test_large_moves_are_clipped_and_flat_windows_are_nan() -> None:
    a = 0.01
    close = closes_from_log_returns([a, -a] * 5)
    got = target_values(close, TargetSpec(horizon=1, vol_window=2, scale=0.5))
    np.testing.assert_array_equal(got[2:-1], [1.0, -1.0] * 4)
    flat = np.array([100.0] * 6 + [101.0, 102.0])
    got_flat = target_values(flat, TargetSpec(horizon=1, vol_window=3, scale=2.0))
    assert np.isnan(got_flat[3:6]).all()  # sigma = 0: no scale


def test_threshold_06_means_12_sigma_with_scale_two() -> None:
    # A forward move of exactly 1.2 sigma * sqrt(H) lands on the spec's 0.6 threshold.
    a, horizon = 0.01, 4
    close = list(closes_from_log_returns([a, -a] * 4))
    close.append(close[-1] * math.exp(1.2 * a * math.sqrt(horizon)))
    close += [close[-1]] * (horizon - 1)
    got = target_values(np.array(close), TargetSpec(horizon=horizon, vol_window=8, scale=2.0))
    assert got[8] == pytest.approx(0.6, rel=1e-9)


def test_helpers_and_series_form() -> None:
    close = np.array([1.0, 2.0, 4.0, 8.0])
    np.testing.assert_allclose(forward_log_return(close, 2)[:2], [math.log(4)] * 2)
    assert np.isnan(forward_log_return(close, 2)[2:]).all()
    assert np.isnan(forward_log_return(close, 9)).all()
    np.testing.assert_allclose(trailing_volatility(close, 2)[2:], [0.0, 0.0], atol=1e-15)
    index = pd.date_range("2024-01-01", periods=4, freq="1h", tz="UTC")
    series = make_target(pd.DataFrame({"close": close}, index=index), TargetSpec(1, 2, 2.0))
    assert series.name == "target"
    assert series.index.equals(index)


@pytest.mark.parametrize(
    "kwargs",
    [{"horizon": 0}, {"vol_window": 1}, {"scale": 0.0}, {"scale": float("nan")}, {"horizon": 1.5}],
)
def test_bad_specs_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        TargetSpec(**kwargs)  # type: ignore[arg-type]


def test_spec_round_trips_through_a_dict() -> None:
    spec = TargetSpec(horizon=12, vol_window=100, scale=1.5)
    assert TargetSpec.from_dict(spec.to_dict()) == spec
