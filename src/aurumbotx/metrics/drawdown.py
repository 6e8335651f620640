"""Drawdown of an equity curve: depth (a fraction <= 0) and duration (time under water)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def drawdown_series(equity: pd.Series) -> pd.Series:
    """(equity - running peak) / running peak at each point: 0 at a peak, -0.25 25 % below."""
    values = equity.astype("float64")
    peak = values.cummax()
    return (values - peak) / peak


def max_drawdown(equity: pd.Series) -> float:
    """Deepest drawdown as a fraction <= 0 (-0.25 = 25 % below the peak); 0.0 if none."""
    if len(equity) == 0:
        return 0.0
    return float(min(drawdown_series(equity).min(), 0.0))


def max_drawdown_duration(equity: pd.Series) -> pd.Timedelta:
    """Longest time below a previous peak: peak to recovery, or to the end if never recovered."""
    if not isinstance(equity.index, pd.DatetimeIndex):
        raise TypeError("max_drawdown_duration needs an equity Series with a DatetimeIndex")
    values = equity.to_numpy(dtype="float64")
    return _duration(equity.index, values, np.maximum.accumulate(values))


def drawdown_stats(equity: pd.Series) -> tuple[float, pd.Timedelta]:
    """`max_drawdown` and `max_drawdown_duration` sharing one running peak (same numbers)."""
    values = equity.to_numpy(dtype="float64")
    if values.size == 0:
        return 0.0, pd.Timedelta(0)
    if not isinstance(equity.index, pd.DatetimeIndex):
        raise TypeError("drawdown_stats needs an equity Series with a DatetimeIndex")
    peak = np.maximum.accumulate(values)
    if np.isnan(values).any():  # a NaN would carry into the peak: pandas skips it for the depth
        deepest = max_drawdown(equity)
    else:
        deepest = float(min(((values - peak) / peak).min(), 0.0))
    return deepest, _duration(equity.index, values, peak)


def _duration(index: pd.DatetimeIndex, values: np.ndarray, peak: np.ndarray) -> pd.Timedelta:
    if values.size < 2:
        return pd.Timedelta(0)
    under = values < peak
    if not under.any():
        return pd.Timedelta(0)
    flags = np.concatenate(([False], under, [False])).astype(np.int8)
    edges = np.diff(flags)
    starts = np.flatnonzero(edges == 1)  # first point under water of each spell
    ends = np.flatnonzero(edges == -1)  # first point back at a peak, or len(values)
    # The point before a spell is its peak (the first point never is under water); a spell
    # still open at the end lasts until the last timestamp. Integer times in the index's unit.
    stamps = index.asi8
    longest = int((stamps[np.minimum(ends, values.size - 1)] - stamps[starts - 1]).max())
    return pd.Timedelta(longest, unit=index.unit)
