"""What the report draws is bounded and keeps the shape: extremes, ends, best and worst trades."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from aurumbotx.backtest.downsample import decimate, thin_trades
from aurumbotx.backtest.result import TradeRecord


def test_decimate_keeps_first_last_min_and_max_and_caps_the_count() -> None:
    index = pd.date_range("2024-01-01", periods=7_001, freq="1h", tz="UTC")
    rng = np.random.default_rng(7)
    series = pd.Series(1_000.0 + rng.normal(0.0, 1.0, len(index)).cumsum(), index=index)
    series.iloc[4_321] = 10.0  # the drawdown's low
    series.iloc[17] = 5_000.0  # a peak
    for cap in (3_000, 101, 4):
        shown = decimate(series, cap)
        assert len(shown) <= cap
        assert shown.index[0] == index[0]
        assert shown.index[-1] == index[-1]
        assert shown.min() == 10.0
        assert shown.index[shown.argmin()] == index[4_321]
        assert shown.max() == 5_000.0
        assert shown.index.is_monotonic_increasing
        assert shown.equals(series.loc[shown.index])  # points are kept, never invented
    assert decimate(series.iloc[:10], 3_000).equals(series.iloc[:10])


def make_trade(entry_hour: int, pnl: float, closed: bool = True) -> TradeRecord:
    """A trade entered at `entry_hour` (hours after the epoch) with the given P/L."""
    entry = entry_hour * 3_600_000
    return TradeRecord(
        "BTC/USDT",
        "long",
        entry,
        Decimal(100),
        Decimal(1),
        Decimal(0),
        Decimal(str(pnl)),
        entry + 3_600_000 if closed else None,
        Decimal(101) if closed else None,
        "signal" if closed else None,
    )


def test_thin_trades_keeps_best_worst_and_open_within_the_cap() -> None:
    trades = [make_trade(i, float(np.sin(i))) for i in range(5_000)]
    trades[1_234] = make_trade(1_234, -500.0)
    trades[3_333] = make_trade(3_333, 900.0)
    trades.append(make_trade(5_000, -1.0, closed=False))
    kept = thin_trades(trades, 200)
    assert len(kept) <= 200
    pnls = [t.profit_loss for t in kept]
    assert Decimal(-500) in pnls
    assert Decimal(900) in pnls
    assert kept[-1].is_open
    assert [t.entry_ts for t in kept] == sorted(t.entry_ts for t in kept)
    assert all(t in trades for t in kept)  # the same records, nothing invented


def test_thin_trades_leaves_short_lists_alone() -> None:
    trades = [make_trade(i, 1.0) for i in range(10)]
    assert thin_trades(trades, 10) == trades
