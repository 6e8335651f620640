"""Buy and hold: one pair's market change, the equal-weight mean and the basket's curve."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from aurumbotx.metrics import buy_and_hold_curve, market_change, mean_market_change


def closes(values: list[float], start: str = "2024-01-01 00:00") -> pd.Series:
    """Hourly closes from `start` (UTC)."""
    index = pd.date_range(start, periods=len(values), freq="1h", tz="UTC")
    return pd.Series(values, index=index, dtype="float64")


def test_market_change_is_last_over_first_close() -> None:
    assert market_change(closes([100.0, 80.0, 125.0])) == pytest.approx(0.25)
    assert market_change(closes([50.0, 45.0])) == pytest.approx(-0.10)
    # A missing first close is skipped, not read as zero.
    assert market_change(closes([math.nan, 40.0, 50.0])) == pytest.approx(0.25)


def test_market_change_is_undefined_without_two_positive_closes() -> None:
    assert market_change(closes([100.0])) is None
    assert market_change(closes([])) is None
    assert market_change(closes([0.0, 10.0])) is None


def test_mean_market_change_weighs_pairs_equally_and_skips_undefined() -> None:
    assert mean_market_change([0.25, None, -0.10]) == pytest.approx(0.075)
    assert mean_market_change([None, None]) is None
    assert mean_market_change([]) is None


def test_buy_and_hold_curve_splits_the_capital_equally() -> None:
    btc = closes([100.0, 110.0, 125.0])
    eth = closes([50.0, 45.0], start="2024-01-01 01:00")  # starts one candle later
    curve = buy_and_hold_curve({"BTC/USDT": btc, "ETH/USDT": eth}, 1000.0)
    # 00:00 ETH's half is still cash: (1.0 + 1.0) / 2; 01:00 (1.1 + 1.0) / 2;
    # 02:00 (1.25 + 0.9) / 2 -> 1075 = 1000 x (1 + mean(0.25, -0.10)).
    assert curve.tolist() == pytest.approx([1000.0, 1050.0, 1075.0])
    assert list(curve.index) == list(btc.index)
    assert curve.iloc[-1] == pytest.approx(1000.0 * (1 + 0.075))


def test_buy_and_hold_curve_of_nothing_is_empty() -> None:
    assert buy_and_hold_curve({}, 1000.0).empty
    assert buy_and_hold_curve({"X/USDT": closes([5.0])}, 1000.0).empty
