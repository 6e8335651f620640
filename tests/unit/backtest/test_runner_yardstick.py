"""A backtest's metrics carry the market's change over the window and the fees paid."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from aurumbotx.backtest.runner import BacktestConfig, run_backtest
from aurumbotx.strategies.base import Strategy


def make_frame(closes: list[float], opens: list[float] | None = None) -> pd.DataFrame:
    """Hourly candles from 2024-01-01 00:00 UTC with the given closes (and opens)."""
    opens = opens if opens is not None else [closes[0], *closes[:-1]]
    index = pd.date_range("2024-01-01", periods=len(closes), freq="1h", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, closes) + 1,
            "low": np.minimum(opens, closes) - 1,
            "close": closes,
            "volume": 1.0,
        },
        index=index,
    )


class StubScriptedStrategy(Strategy):
    """Enter and exit on the given candle numbers."""

    name = "scripted"

    def __init__(self, enter: list[int], leave: list[int]) -> None:
        super().__init__()
        self.enter, self.leave = enter, leave

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        enter = np.zeros(len(candles), dtype=bool)
        leave = np.zeros(len(candles), dtype=bool)
        enter[[i for i in self.enter if i < len(candles)]] = True
        leave[[i for i in self.leave if i < len(candles)]] = True
        return pd.DataFrame({"enter_long": enter, "exit_long": leave}, index=candles.index)


def test_buy_and_hold_is_the_equal_weight_market_change_over_the_window() -> None:
    candles = {
        "BTC/USDT": make_frame([90.0, 100.0, 110.0, 120.0, 130.0, 125.0]),
        "ETH/USDT": make_frame([35.0, 40.0, 45.0, 55.0, 60.0, 52.0]),
    }
    window = BacktestConfig(
        start=pd.Timestamp("2024-01-01 01:00", tz="UTC").to_pydatetime(),
        end=pd.Timestamp("2024-01-01 05:00", tz="UTC").to_pydatetime(),
    )
    result = run_backtest(StubScriptedStrategy([], []), candles, "1h", window)
    # The candle before the window only warms up: BTC 125 / 100 - 1, ETH 52 / 40 - 1.
    assert result.metrics["buy_and_hold_return"] == pytest.approx((0.25 + 0.30) / 2)
    assert result.metrics["total_fees"] == 0.0
    assert result.json_metrics()["buy_and_hold_return"] == pytest.approx(0.275)


def test_total_fees_are_the_entry_and_exit_fees() -> None:
    candles = make_frame([100, 100, 110, 120, 130, 125], opens=[100, 100, 105, 118, 131, 126])
    config = BacktestConfig(capital=Decimal(1000), fee_rate=Decimal("0.001"))
    result = run_backtest(StubScriptedStrategy([1], [3]), {"BTC/USDT": candles}, "1h", config)
    amount = Decimal(1000) / (Decimal(105) * Decimal("1.001"))  # fills at the open of candle 2
    fees = amount * 105 * Decimal("0.001") + amount * 131 * Decimal("0.001")
    assert result.metrics["total_fees"] == pytest.approx(float(fees))
    assert result.metrics["buy_and_hold_return"] == pytest.approx(0.25)
