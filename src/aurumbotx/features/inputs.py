"""Check a candle frame and hand out the float64 arrays the features are computed from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aurumbotx.domain.candles import CANDLE_COLUMNS
from aurumbotx.domain.errors import DataError, InvalidInputError
from aurumbotx.indicators import FloatArray

_PRICE_COLUMNS = ("high", "low", "close")


@dataclass(frozen=True, slots=True)
class FeatureInput:
    """The columns the features use, C-contiguous float64, checked finite and in range."""

    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    has_zero_volume: bool


def feature_input(candles: pd.DataFrame) -> FeatureInput:
    """Validate a candle frame (domain/candles.py) and return its arrays; DataError otherwise.

    Checked: a DataFrame (else InvalidInputError); the five OHLCV columns present once and
    numeric; a UTC DatetimeIndex, strictly increasing; high, low and close finite and > 0;
    volume finite and >= 0. ``open`` is checked for presence and type only (no feature uses it).
    """
    if not isinstance(candles, pd.DataFrame):
        raise InvalidInputError(f"features need a candle DataFrame, got {type(candles).__name__}")
    columns = _ohlcv_columns(candles)
    _check_index(candles.index)
    arrays = {name: _float64(columns[name]) for name in (*_PRICE_COLUMNS, "volume")}
    if len(candles) == 0:
        return FeatureInput(**arrays, has_zero_volume=False)
    for name in _PRICE_COLUMNS:
        values = arrays[name]
        # min() is NaN when a NaN is present, so one comparison catches NaN, 0 and negatives.
        if not (values.min() > 0.0 and values.max() < np.inf):
            _raise_bad_value(candles, name, values, positive=True)
    volume = arrays["volume"]
    smallest_volume = volume.min()
    if not (smallest_volume >= 0.0 and volume.max() < np.inf):
        _raise_bad_value(candles, "volume", volume, positive=False)
    return FeatureInput(**arrays, has_zero_volume=bool(smallest_volume == 0.0))


def _ohlcv_columns(candles: pd.DataFrame) -> dict[str, pd.Series]:
    """The OHLCV columns by name: each present exactly once, with a real numeric dtype."""
    names = candles.columns
    missing = [name for name in CANDLE_COLUMNS if name not in names]
    if missing:
        raise DataError(
            f"candle frame lacks column(s) {', '.join(missing)}; "
            f"expected {', '.join(CANDLE_COLUMNS)}"
        )
    columns = {}
    for name in CANDLE_COLUMNS:
        column = candles[name]
        if isinstance(column, pd.DataFrame):
            raise DataError(f"candle frame has column {name!r} more than once")
        dtype = column.dtype
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        if not numeric or pd.api.types.is_complex_dtype(dtype):
            raise DataError(f"candle column {name!r} must hold numbers (float64), not {dtype}")
        columns[name] = column
    return columns


def _check_index(index: pd.Index) -> None:
    """A tz-aware UTC DatetimeIndex of open times, strictly increasing."""
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(
            "candle frame index must be a UTC DatetimeIndex of candle open times, "
            f"got {type(index).__name__}"
        )
    if index.tz is None or str(index.tz) != "UTC":
        raise DataError(f"candle frame index must be in UTC, got timezone {index.tz}")
    # A monotonic check also settles uniqueness in pandas' engine; both are cached on the index.
    if index.is_monotonic_increasing and index.is_unique:
        return
    ticks = index.asi8
    row = int(np.flatnonzero(ticks[1:] <= ticks[:-1])[0]) + 1
    problem = "repeats" if ticks[row] == ticks[row - 1] else "goes back to"
    raise DataError(
        f"candle frame index must be strictly increasing: row {row} {problem} {index[row]} "
        f"after {index[row - 1]}"
    )


def _float64(column: pd.Series) -> FloatArray:
    """A column as a C-contiguous float64 array (no copy when it already is one)."""
    if isinstance(column.dtype, np.dtype):
        return np.ascontiguousarray(column.to_numpy(), dtype=np.float64)
    # Extension dtypes (Float64, Int64, ...) carry pd.NA: make it NaN so the checks catch it.
    return np.ascontiguousarray(column.to_numpy(dtype=np.float64, na_value=np.nan))


def _raise_bad_value(
    candles: pd.DataFrame, name: str, values: FloatArray, *, positive: bool
) -> None:
    """Raise DataError naming the first row whose value is not finite or out of range."""
    finite = np.isfinite(values)
    good = finite & (values > 0.0) if positive else finite & (values >= 0.0)
    row = int(np.flatnonzero(~good)[0])
    rule = "finite and > 0" if positive else "finite and >= 0"
    raise DataError(
        f"candle column {name!r} must be {rule}: {float(values[row])!r} at row {row} "
        f"({candles.index[row]})"
    )
