"""The daily loss limit counts the whole UTC day, from the equity at 00:00 (hand-computed)."""

from decimal import Decimal

import numpy as np
import pandas as pd

from aurumbotx.backtest.runner import BacktestConfig, run_backtest
from aurumbotx.risk.manager import RiskLimits
from aurumbotx.strategies.base import Strategy

D = Decimal


class BuyFirstCandle(Strategy):
    """Enters at the first close and never exits: the position rides the test's prices."""

    name = "buy_first"

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        enter = np.zeros(len(candles), dtype=bool)
        enter[0] = True
        return pd.DataFrame(
            {"enter_long": enter, "exit_long": np.zeros(len(candles), dtype=bool)},
            index=candles.index,
        )


def candles(closes: list[float], freq: str) -> pd.DataFrame:
    opens = [100.0, *closes[:-1]]
    index = pd.date_range("2024-01-01", periods=len(closes), freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, closes),
            "low": np.minimum(opens, closes),
            "close": closes,
            "volume": 1.0,
        },
        index=index,
    )


def run(frame: pd.DataFrame, timeframe: str) -> dict[str, str]:
    config = BacktestConfig(
        capital=D(1000), fee_rate=D(0), risk=RiskLimits(daily_loss_limit_pct=D(5))
    )
    result = run_backtest(BuyFirstCandle(), {"BTC/USDT": frame}, timeframe, config)
    assert result.trades[0].amount == D(10)  # 1000 / 100, bought at the open of candle 1
    return dict(result.run_info.get("halted", {}))


def test_daily_candles_halt_on_a_loss_against_the_previous_close() -> None:
    # Equity 1000 at the close of day 2; day 3 closes at 94 x 10 = 940: 6 % lost in the day.
    halted = run(candles([100, 100, 94, 94, 94], "1D"), "1d")
    assert halted["time"] == "2024-01-03T23:59:59.999000+00:00"
    assert "day start 1000.00" in halted["reason"]


def test_daily_candles_with_smaller_losses_do_not_halt() -> None:
    # 4 % a day, three days running: each day is measured from the day before's close.
    assert run(candles([100, 100, 96, 92.16, 88.4736], "1D"), "1d") == {}


def test_hourly_candles_count_the_days_first_candle() -> None:
    closes = [100.0] * 24 + [97.0, 95.5, 94.9, 94.9]
    # 00:00 on day 2 starts at 1000; 970 and 955 are within 5 %; 949 <= 950 halts at 02:59.
    halted = run(candles(closes, "1h"), "1h")
    assert halted["time"] == "2024-01-02T02:59:59.999000+00:00"
    assert "equity 949.00, day start 1000.00" in halted["reason"]
