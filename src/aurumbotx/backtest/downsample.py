"""What the report DRAWS, bounded: candles, lines and trade markers (never what it computes).

A chart about 1,300 pixels wide cannot show more than a few thousand points, and each point
costs bytes in the file. Candles are merged into OHLC bars of whole multiples of the timeframe
(the high and low of a bar are the extremes of its candles); lines keep the first and last point
and the minimum and maximum of each bucket, so a drawdown's low and a peak survive; trade
markers are thinned, past `MAX_MARKED_TRADES` per pair, to the best and the worst trade of each
time bucket. The metrics, tables, JSON and trade list use every candle and every trade.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from aurumbotx.backtest.result import TradeRecord

MAX_CANDLE_BARS = 5_000  # per pair
TOTAL_CANDLE_BARS = 10_000  # over all pairs, so many pairs do not bloat the file
MIN_CANDLE_BARS = 1_000
MAX_LINE_POINTS = 3_000  # about two per pixel column of the widest chart
MAX_MARKED_TRADES = 2_000  # per pair


def downsample_candles(frame: pd.DataFrame, max_bars: int = MAX_CANDLE_BARS) -> pd.DataFrame:
    """OHLC bars of whole multiples of the candle spacing, at most about `max_bars` of them."""
    factor = bars_factor(len(frame), max_bars)
    if factor == 1:
        return frame
    rule = candle_spacing(frame) * factor
    bars = frame.resample(rule, origin="start").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last"}
    )
    return bars.dropna(subset=["close"])


def decimate(series: pd.Series, max_points: int) -> pd.Series:
    """At most about `max_points` points keeping each bucket's minimum and maximum, in order."""
    n = len(series)
    if n <= max_points:
        return series
    # Two points per bucket plus the first and the last: never more than `max_points`.
    buckets = max((max_points - 2) // 2, 1)
    bucket_of = np.arange(n) * buckets // n
    positional = pd.Series(series.to_numpy(dtype="float64"))
    grouped = positional.groupby(bucket_of)
    keep = np.unique(
        np.concatenate([grouped.idxmin().to_numpy(), grouped.idxmax().to_numpy(), [0, n - 1]])
    )
    return series.iloc[keep]


def bars_factor(n_candles: int, max_bars: int) -> int:
    """How many candles go into one drawn bar so that at most `max_bars` are drawn."""
    return max(1, math.ceil(n_candles / max_bars))


def candle_spacing(frame: pd.DataFrame) -> pd.Timedelta:
    """The usual time between two candles of `frame`."""
    if len(frame) < 2:
        return pd.Timedelta(minutes=1)
    # The median step ignores gaps in the data (exchange outages).
    return pd.Timedelta(pd.DatetimeIndex(frame.index).to_series().diff().median())


def span_label(span: pd.Timedelta) -> str:
    """'3m', '4h', '2d': a bar's span as a timeframe."""
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def thin_trades(trades: Sequence[TradeRecord], max_trades: int) -> list[TradeRecord]:
    """At most `max_trades` trades: open ones, then the best and worst of each entry-time bucket."""
    if len(trades) <= max_trades:
        return list(trades)
    still_open = [t for t in trades if t.is_open][:max_trades]
    closed = sorted((t for t in trades if not t.is_open), key=lambda t: t.entry_ts)
    buckets = max((max_trades - len(still_open)) // 2, 1)
    pnl = pd.Series([float(t.profit_loss) for t in closed])
    grouped = pnl.groupby(np.arange(len(closed)) * buckets // max(len(closed), 1))
    keep = np.unique(np.concatenate([grouped.idxmin().to_numpy(), grouped.idxmax().to_numpy()]))
    kept = [closed[i] for i in keep.tolist()]
    return sorted([*kept, *still_open], key=lambda t: t.entry_ts)
