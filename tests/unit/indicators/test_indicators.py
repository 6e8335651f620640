"""The TA-Lib layer: hand-computed values, lookbacks, and TA-Lib's errors mapped to ours."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aurumbotx import indicators as ind
from aurumbotx.domain.errors import InvalidInputError

NAN = math.nan
RAMP = np.arange(1.0, 11.0)  # 1, 2, ..., 10


def assert_same(got: np.ndarray, want: list[float]) -> None:
    """Equal values and equal NaN positions, exactly."""
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, np.asarray(want, dtype=np.float64))


def test_sma_is_the_window_mean() -> None:
    assert_same(ind.sma(RAMP[:5], 3), [NAN, NAN, 2.0, 3.0, 4.0])


def test_ema_is_seeded_with_the_first_window_mean() -> None:
    # k = 2 / (3 + 1) = 0.5; seed mean(1, 2, 3) = 2; then 2 + (4 - 2) / 2 = 3, 3 + (8 - 3) / 2.
    assert_same(ind.ema([1.0, 2.0, 3.0, 4.0, 8.0], 3), [NAN, NAN, 2.0, 3.0, 5.5])


def test_macd_lookback_and_value_on_a_ramp() -> None:
    # On a straight line an SMA-seeded EMA lags by exactly (period - 1) / 2 from its seed on:
    # macd = (close - 5.5) - (close - 12.5) = 7, the signal EMA of a constant 7 is 7.
    line, signal, hist = ind.macd(np.arange(100.0, 160.0), 12, 26, 9)
    assert np.isnan(line[:33]).all()
    assert not np.isnan(line[33:]).any()
    np.testing.assert_allclose(line[33:], 7.0, rtol=0, atol=1e-11)
    np.testing.assert_allclose(signal[33:], 7.0, rtol=0, atol=1e-11)
    np.testing.assert_allclose(hist[33:], 0.0, rtol=0, atol=1e-11)


def test_rsi_extremes_and_wilder_value() -> None:
    assert_same(ind.rsi(RAMP, 3)[3:], [100.0] * 7)
    assert_same(ind.rsi(RAMP[::-1].copy(), 3)[3:], [0.0] * 7)
    # changes +1, -1, +2: gains 3 / 3 = 1, losses 1 / 3; next change -2: gain 1 * 2 / 3,
    # loss (1/3 * 2 + 2) / 3 = 8/9; RSI = 100 * (2/3) / (2/3 + 8/9) = 300 / 7.
    values = ind.rsi([10.0, 11.0, 10.0, 12.0, 10.0], 3)
    assert np.isnan(values[:3]).all()
    assert values[3] == pytest.approx(75.0, rel=1e-15)
    assert values[4] == pytest.approx(300.0 / 7.0, rel=1e-15)


def test_bbands_and_stddev_use_the_population_std() -> None:
    upper, middle, lower = ind.bbands([1.0, 2.0, 3.0, 4.0], 4, 2.0)
    std = math.sqrt(1.25)  # population std of 1, 2, 3, 4
    assert middle[3] == 2.5
    assert upper[3] == pytest.approx(2.5 + 2 * std, rel=1e-15)
    assert lower[3] == pytest.approx(2.5 - 2 * std, rel=1e-15)
    assert ind.stddev([1.0, 2.0, 3.0, 4.0], 4)[3] == pytest.approx(std, rel=1e-15)
    assert np.isnan(ind.stddev([1.0, 2.0, 3.0, 4.0], 4)[:3]).all()


def test_atr_and_adx_on_a_steady_climb() -> None:
    close = np.arange(100.0, 140.0)
    high, low = close + 1.0, close - 1.0
    # every true range is 2 (high - low = |high - previous close| = 2)
    atr = ind.atr(high, low, close, 14)
    assert np.isnan(atr[:14]).all()
    assert_same(atr[14:], [2.0] * 26)
    # only +DM, never -DM: every DX is 100, so the ADX is 100
    adx = ind.adx(high, low, close, 14)
    assert np.isnan(adx[:27]).all()
    assert_same(adx[27:], [100.0] * 13)


def test_obv_adds_up_and_down_volume() -> None:
    close = [10.0, 11.0, 10.0, 10.0, 12.0]
    volume = [5.0, 20.0, 30.0, 40.0, 50.0]
    assert_same(ind.obv(close, volume), [5.0, 25.0, -5.0, -5.0, 45.0])


def test_rolling_windows_include_the_current_value() -> None:
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0]
    assert_same(ind.rolling_min(values, 3), [NAN, NAN, 1.0, 1.0, 1.0, 1.0])
    assert_same(ind.rolling_max(values, 3), [NAN, NAN, 4.0, 4.0, 5.0, 9.0])
    assert_same(ind.rolling_sum(values, 3), [NAN, NAN, 8.0, 6.0, 10.0, 15.0])


def test_rocp_is_a_fraction() -> None:
    assert_same(ind.rocp([100.0, 110.0, 99.0], 1), [NAN, 0.1, -0.1])
    assert_same(ind.rocp([100.0, 110.0, 125.0], 2), [NAN, NAN, 0.25])


def test_integer_input_is_taken_as_float64() -> None:
    assert_same(ind.sma(np.arange(1, 6), 3), [NAN, NAN, 2.0, 3.0, 4.0])


def test_short_and_empty_input_give_nan_and_empty() -> None:
    assert_same(ind.sma([1.0, 2.0], 3), [NAN, NAN])
    assert ind.ema(np.array([], dtype=np.float64), 3).shape == (0,)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: ind.sma(RAMP, 0), "SMA"),
        (lambda: ind.sma(np.ones((3, 3)), 2), "dimensions"),
        (lambda: ind.atr(RAMP, RAMP[:5], RAMP, 3), "lengths"),
    ],
)
def test_talib_errors_become_invalid_input(call: object, fragment: str) -> None:
    with pytest.raises(InvalidInputError, match=fragment) as caught:
        call()  # type: ignore[operator]
    assert str(caught.value).startswith("TA-Lib ")
