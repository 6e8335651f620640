"""Drawdown and trade metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aurumbotx.metrics import (
    drawdown_series,
    expectancy,
    exposure,
    max_drawdown,
    max_drawdown_duration,
    profit_factor,
    win_rate,
)


def make_daily_equity(values: list[float]) -> pd.Series:
    """Equity one point per day from 2024-01-01 UTC."""
    index = pd.date_range("2024-01-01", periods=len(values), freq="1D", tz="UTC", name="timestamp")
    return pd.Series(values, index=index, dtype="float64")


# Jan 1..6: 100, 120, 90, 110, 130, 117
#   running peak 100, 120, 120, 120, 130, 130
#   drawdown      0,   0, -0.25, -1/12, 0, -0.1
RECOVERED = [100.0, 120.0, 90.0, 110.0, 130.0, 117.0]


def test_drawdown_series() -> None:
    expected = [0.0, 0.0, -0.25, -10 / 120, 0.0, -0.1]
    assert drawdown_series(make_daily_equity(RECOVERED)).to_list() == pytest.approx(expected)


def test_max_drawdown_is_a_negative_fraction() -> None:
    assert max_drawdown(make_daily_equity(RECOVERED)) == pytest.approx(-0.25)


def test_max_drawdown_without_a_drawdown() -> None:
    assert max_drawdown(make_daily_equity([100.0, 100.0, 101.0])) == 0.0
    assert max_drawdown(make_daily_equity([100.0])) == 0.0  # a single candle
    assert max_drawdown(make_daily_equity([])) == 0.0


def test_duration_from_peak_to_recovery() -> None:
    # Spell 1: peak Jan 2 (120), under water Jan 3-4, recovered Jan 5 (130 >= 120): 3 days.
    # Spell 2: peak Jan 5 (130), Jan 6 still under water, end of data: 1 day.
    # Longest: 3 days.
    assert max_drawdown_duration(make_daily_equity(RECOVERED)) == pd.Timedelta(days=3)


def test_duration_of_a_drawdown_never_recovered() -> None:
    # Spell 1: peak Jan 2 (110), Jan 3 at 100, recovered Jan 4 (110 = peak): 2 days.
    # Spell 2: peak Jan 4 (110), Jan 5-8 below it, never recovered: Jan 4 -> Jan 8 = 4 days.
    equity = make_daily_equity([100.0, 110.0, 100.0, 110.0, 90.0, 95.0, 105.0, 108.0])
    assert max_drawdown_duration(equity) == pd.Timedelta(days=4)
    # Depth: 90 / 110 - 1 = -0.181818...
    assert max_drawdown(equity) == pytest.approx(90 / 110 - 1)


def test_duration_when_the_first_candle_is_the_peak() -> None:
    # Peak Jan 1 (100), 80 on Jan 2, 90 on Jan 3, never recovered: 2 days; depth -0.2.
    equity = make_daily_equity([100.0, 80.0, 90.0])
    assert max_drawdown_duration(equity) == pd.Timedelta(days=2)
    assert max_drawdown(equity) == pytest.approx(-0.2)


def test_duration_without_a_drawdown() -> None:
    assert max_drawdown_duration(make_daily_equity([100.0, 100.0, 101.0])) == pd.Timedelta(0)
    assert max_drawdown_duration(make_daily_equity([100.0])) == pd.Timedelta(0)


def test_duration_needs_timestamps() -> None:
    with pytest.raises(TypeError, match="DatetimeIndex"):
        max_drawdown_duration(pd.Series([100.0, 90.0]))


# Closed trades: +10, -5, +20, -10, 0 (break-even)
PNLS = [10.0, -5.0, 20.0, -10.0, 0.0]


def test_profit_factor() -> None:
    # gross profit 10 + 20 = 30; gross loss 5 + 10 = 15; 30 / 15 = 2.0
    assert profit_factor(PNLS) == pytest.approx(2.0)


def test_profit_factor_edge_cases() -> None:
    assert profit_factor([]) is None  # no trades
    assert profit_factor([10.0, 5.0]) == math.inf  # no losing trade
    assert profit_factor([10.0, 0.0]) == math.inf  # a win and a break-even
    assert profit_factor([0.0, 0.0]) is None  # only break-even trades
    assert profit_factor([-5.0, -5.0]) == 0.0  # 0 / 10


def test_win_rate_is_a_fraction() -> None:
    # 2 winners (10, 20) out of 5 trades = 0.4; the break-even trade is not a win
    assert win_rate(PNLS) == pytest.approx(0.4)
    assert win_rate([1.0, 2.0]) == 1.0
    assert win_rate([]) == 0.0  # no trades: 0.0 as the spec says


def test_expectancy() -> None:
    # (10 - 5 + 20 - 10 + 0) / 5 = 15 / 5 = 3.0
    assert expectancy(PNLS) == pytest.approx(3.0)
    assert expectancy([]) is None


def test_exposure_from_booleans_and_positions() -> None:
    # In a position 3 of 4 periods = 0.75
    assert exposure(pd.Series([True, False, True, True])) == pytest.approx(0.75)
    # Position sizes: one of 4 non-zero = 0.25; NaN counts as flat
    assert exposure(np.array([0.0, 0.5, np.nan, 0.0])) == pytest.approx(0.25)
    assert exposure([]) == 0.0
