"""Candle columns as plain numpy arrays, and the conversions to and from the candle frame.

Readers, validation, the store and resampling work on `CandleArrays` (int64 epoch-millisecond
open times, float64 OHLCV) because vectorised numpy over five arrays is what makes a million
rows cheap; the public functions hand out candle frames (see `aurumbotx.domain.candles`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from aurumbotx.domain.candles import CANDLE_COLUMNS, INDEX_NAME
from aurumbotx.domain.errors import DataError

MS_PER_DAY = 86_400_000
MS_PER_WEEK = 7 * MS_PER_DAY
# Binance's weekly candles open on Mondays; the Unix epoch (1970-01-01) was a Thursday.
WEEK_GRID_OFFSET_MS = 4 * MS_PER_DAY
_NS_PER_MS = 1_000_000

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def grid_offset_ms(step_ms: int) -> int:
    """Where the candle grid of a timeframe starts relative to the epoch (weeks: Monday)."""
    return WEEK_GRID_OFFSET_MS if step_ms % MS_PER_WEEK == 0 else 0


def floor_to_grid(ts_ms: Int64Array, step_ms: int) -> Int64Array:
    """Open time of the `step_ms` candle holding each timestamp (exchange bucket rule)."""
    offset = grid_offset_ms(step_ms)
    result: Int64Array = (ts_ms - offset) // step_ms * step_ms + offset
    return result


@dataclass(slots=True)
class CandleArrays:
    """Candles as six equally long arrays: open time (epoch ms) and float64 OHLCV."""

    ts: Int64Array
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @classmethod
    def empty(cls) -> CandleArrays:
        """No candles."""
        floats = np.empty(0, dtype=np.float64)
        return cls(np.empty(0, dtype=np.int64), floats, floats, floats, floats, floats)

    @classmethod
    def from_columns(cls, ts: Any, columns: dict[str, Any]) -> CandleArrays:
        """Build from array-likes (copies only when a dtype conversion is needed)."""
        values = [np.ascontiguousarray(columns[name], dtype=np.float64) for name in CANDLE_COLUMNS]
        return cls(np.ascontiguousarray(ts, dtype=np.int64), *values)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> CandleArrays:
        """The arrays of a candle frame (its index is taken as UTC when naive)."""
        missing = [c for c in CANDLE_COLUMNS if c not in frame.columns]
        if missing:
            raise DataError(f"candle frame lacks column(s) {', '.join(missing)}")
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise DataError("candle frame index must be a DatetimeIndex of candle open times")
        index = frame.index
        if index.tz is None:
            index = index.tz_localize("UTC")
        ts = index.as_unit("ms").asi8
        return cls.from_columns(ts, {c: frame[c].to_numpy() for c in CANDLE_COLUMNS})

    def take(self, selector: npt.NDArray[Any] | slice) -> CandleArrays:
        """A subset by boolean mask, index array or slice."""
        return CandleArrays(
            self.ts[selector],
            self.open[selector],
            self.high[selector],
            self.low[selector],
            self.close[selector],
            self.volume[selector],
        )

    def columns(self) -> dict[str, FloatArray]:
        """The five float columns by name."""
        return {
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "close": self.close,
            "volume": self.volume,
        }

    def to_frame(self, **attrs: Any) -> pd.DataFrame:
        """The candle frame (nanosecond UTC index named `timestamp`); `attrs` go to df.attrs."""
        return make_frame(self.ts, self.columns(), **attrs)


def ms_to_index(ts_ms: Int64Array) -> pd.DatetimeIndex:
    """A UTC DatetimeIndex named `timestamp` from epoch milliseconds (no per-row work)."""
    # Nanosecond unit on purpose: code written for pandas < 3 reads `index.asi8` as ns.
    nanos = np.asarray(ts_ms, dtype=np.int64) * _NS_PER_MS
    index = pd.DatetimeIndex(nanos.view("datetime64[ns]")).tz_localize("UTC")
    index.name = INDEX_NAME
    return index


def make_frame(ts_ms: Int64Array, columns: dict[str, FloatArray], **attrs: Any) -> pd.DataFrame:
    """A candle frame from epoch-ms open times and the five float columns."""
    frame = pd.DataFrame(
        {name: np.asarray(columns[name], dtype=np.float64) for name in CANDLE_COLUMNS},
        index=ms_to_index(ts_ms),
        copy=False,
    )
    frame.attrs.update({k: v for k, v in attrs.items() if v is not None})
    return frame


def frame_ms(frame: pd.DataFrame) -> Int64Array:
    """Epoch-millisecond open times of a candle frame, whatever its index unit."""
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError("candle frame index must be a DatetimeIndex of candle open times")
    result: Int64Array = index.as_unit("ms").asi8
    return result


def ms_to_timestamp(ts_ms: int) -> pd.Timestamp:
    """One epoch-ms instant as a UTC Timestamp."""
    return pd.Timestamp(int(ts_ms), unit="ms", tz="UTC")


def format_ms(ts_ms: int) -> str:
    """An epoch-ms instant as 'YYYY-MM-DD HH:MM' UTC, for messages and tables."""
    return ms_to_timestamp(ts_ms).strftime("%Y-%m-%d %H:%M")
