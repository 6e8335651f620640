"""Resampling candles to a longer timeframe, the way the exchange builds its own candles.

A target candle's bucket is ``floor(open_time / target) * target`` (weekly buckets start on
Mondays); within a bucket open = first open, high = max, low = min, close = last close,
volume = sum. With every sub-candle present this reproduces the exchange's candle exactly
(tested against Binance's own 1h candles).

By default only COMPLETE buckets are kept (all ``target / source`` sub-candles present): a
bucket with a missing minute has a wrong open, close, high or low, and a backtest would trade
on a candle that never existed. `keep_partial=True` keeps them (e.g. for charts); the still
forming last bucket of live data is such a partial bucket.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aurumbotx.data.frames import CandleArrays, floor_to_grid
from aurumbotx.data.validation import infer_timeframe, ms_to_timeframe
from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.domain.timeframes import timeframe_to_ms


def resample_arrays(
    candles: CandleArrays, source_ms: int, target_ms: int, *, keep_partial: bool = False
) -> CandleArrays:
    """Aggregate sorted, unique candles of `source_ms` into buckets of `target_ms`."""
    if target_ms % source_ms != 0 or target_ms < source_ms:
        raise InvalidInputError(
            f"cannot resample {ms_to_timeframe(source_ms)} candles to "
            f"{ms_to_timeframe(target_ms)}: "
            "the target must be a whole multiple of the source timeframe"
        )
    if len(candles) == 0:
        return CandleArrays.empty()
    buckets = floor_to_grid(candles.ts, target_ms)
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    ends = np.r_[starts[1:], len(candles)]
    result = CandleArrays(
        ts=buckets[starts],
        open=candles.open[starts],
        high=np.maximum.reduceat(candles.high, starts),
        low=np.minimum.reduceat(candles.low, starts),
        close=candles.close[ends - 1],
        volume=np.add.reduceat(candles.volume, starts),
    )
    if keep_partial:
        return result
    complete = (ends - starts) == target_ms // source_ms
    return result.take(complete)


def resample_candles(
    frame: pd.DataFrame,
    timeframe: str,
    *,
    source_timeframe: str | None = None,
    keep_partial: bool = False,
) -> pd.DataFrame:
    """A candle frame resampled to `timeframe` (complete buckets only unless keep_partial)."""
    candles = CandleArrays.from_frame(frame)
    source = source_timeframe or frame.attrs.get("timeframe") or infer_timeframe(candles.ts)
    if len(candles) > 1 and not bool((np.diff(candles.ts) > 0).all()):
        raise InvalidInputError("cannot resample: open times are not strictly increasing")
    result = resample_arrays(
        candles, timeframe_to_ms(source), timeframe_to_ms(timeframe), keep_partial=keep_partial
    )
    attrs = {**frame.attrs, "timeframe": timeframe}
    return result.to_frame(**attrs)
