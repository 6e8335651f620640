"""Our one door to TA-Lib: float64 numpy arrays in, float64 numpy arrays out.

Nothing else in AurumBotX imports ``talib``. Every function here is a thin call of one TA-Lib
function with the parameters spelled out, so that the feature table (``aurumbotx.features``)
names exactly what runs. Conventions, all TA-Lib's own:

* the output has the input's length; the first ``lookback`` values are NaN (the lookback of
  each function is in its docstring), and leading NaNs of the input shift the start;
* computation runs forward from the first value with no look-ahead: value t uses inputs <= t;
* windowed sums (SMA, SUM, STDDEV, VAR, BBANDS) are running totals carried from the first
  value (add the new value, subtract the one leaving the window), so they depend on where the
  history starts at rounding level only (about 1e-16 of the running total per step);
* recursive smoothers (EMA, MACD, RSI, ATR, ADX) are seeded on the first full window and then
  forget the seed geometrically; see docs/features.md for how fast.

TA-Lib raises a bare ``Exception`` for bad input (wrong dtype, shape, a bad period); it is
mapped here, in one place, to `InvalidInputError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import talib

from aurumbotx.domain.errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "FloatArray",
    "adx",
    "atr",
    "bbands",
    "ema",
    "macd",
    "obv",
    "rocp",
    "rolling_max",
    "rolling_min",
    "rolling_sum",
    "rsi",
    "sma",
    "stddev",
]

_MA_SIMPLE = talib.MA_Type.SMA


def _as_float64(values: npt.ArrayLike) -> FloatArray:
    """A C-contiguous float64 view of `values` (a copy only when it is not one already)."""
    return np.ascontiguousarray(values, dtype=np.float64)


def _call(function: Callable[..., Any], *args: Any) -> Any:
    """Call one TA-Lib function, mapping its bare exceptions to InvalidInputError."""
    try:
        return function(*args)
    except Exception as error:  # TA-Lib raises plain Exception for bad input or parameters
        raise InvalidInputError(f"TA-Lib {function.__name__}: {error}") from error


def sma(values: npt.ArrayLike, period: int) -> FloatArray:
    """Simple moving average (TA-Lib SMA); lookback period - 1."""
    result: FloatArray = _call(talib.SMA, _as_float64(values), period)
    return result


def ema(values: npt.ArrayLike, period: int) -> FloatArray:
    """Exponential moving average, k = 2 / (period + 1), seeded with the first SMA (TA-Lib EMA)."""
    result: FloatArray = _call(talib.EMA, _as_float64(values), period)
    return result


def macd(
    values: npt.ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD line, signal line and histogram (TA-Lib MACD); lookback slow - 1 + signal - 1."""
    line, signal_line, hist = _call(talib.MACD, _as_float64(values), fast, slow, signal)
    return line, signal_line, hist


def rsi(values: npt.ArrayLike, period: int) -> FloatArray:
    """Wilder's relative strength index in [0, 100] (TA-Lib RSI); lookback period."""
    result: FloatArray = _call(talib.RSI, _as_float64(values), period)
    return result


def bbands(
    values: npt.ArrayLike, period: int, nbdev: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bollinger upper, middle (SMA) and lower bands at +-nbdev population std (TA-Lib BBANDS)."""
    upper, middle, lower = _call(
        talib.BBANDS, _as_float64(values), period, nbdev, nbdev, _MA_SIMPLE
    )
    return upper, middle, lower


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int) -> FloatArray:
    """Wilder's average true range (TA-Lib ATR), in price units; lookback period."""
    result: FloatArray = _call(
        talib.ATR, _as_float64(high), _as_float64(low), _as_float64(close), period
    )
    return result


def adx(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int) -> FloatArray:
    """Wilder's average directional index in [0, 100] (TA-Lib ADX); lookback 2 * period - 1."""
    result: FloatArray = _call(
        talib.ADX, _as_float64(high), _as_float64(low), _as_float64(close), period
    )
    return result


def obv(close: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """On-balance volume level, starting at volume[0] (TA-Lib OBV); no lookback."""
    result: FloatArray = _call(talib.OBV, _as_float64(close), _as_float64(volume))
    return result


def stddev(values: npt.ArrayLike, period: int, nbdev: float = 1.0) -> FloatArray:
    """Rolling population standard deviation times nbdev (TA-Lib STDDEV); lookback period - 1."""
    result: FloatArray = _call(talib.STDDEV, _as_float64(values), period, nbdev)
    return result


def rolling_min(values: npt.ArrayLike, period: int) -> FloatArray:
    """Lowest of the last `period` values, current included (TA-Lib MIN); lookback period - 1."""
    result: FloatArray = _call(talib.MIN, _as_float64(values), period)
    return result


def rolling_max(values: npt.ArrayLike, period: int) -> FloatArray:
    """Highest of the last `period` values, current included (TA-Lib MAX); lookback period - 1."""
    result: FloatArray = _call(talib.MAX, _as_float64(values), period)
    return result


def rolling_sum(values: npt.ArrayLike, period: int) -> FloatArray:
    """Sum of the last `period` values, current included (TA-Lib SUM); lookback period - 1."""
    result: FloatArray = _call(talib.SUM, _as_float64(values), period)
    return result


def rocp(values: npt.ArrayLike, period: int) -> FloatArray:
    """Rate of change (x[t] - x[t-period]) / x[t-period] (TA-Lib ROCP); lookback period."""
    result: FloatArray = _call(talib.ROCP, _as_float64(values), period)
    return result
