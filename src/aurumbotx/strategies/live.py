"""Incremental live signals of the built-in strategies, and the window rule for the others.

A live bot needs the signal of each new closed candle. `populate` over the whole history gives
it, but costs O(history) per candle. The sources here keep the state of the strategy's
indicators instead and decide each candle in O(1), from the same values `populate` computes:

* `sma_cross`: TA-Lib's SMA running totals, carried from the first candle of the history,
  as TA-Lib carries them: bit for bit `populate`'s averages.
* `swing` and `scalping`: `StreamingFeatures` (docs/features.md, "Live updates"). SMA, RSI,
  ADX and the volume features are bit for bit TA-Lib's; the EMAs, MACD and the Bollinger
  bands may differ in the last bits (measured at most 5.1e-13 relative). A rule that compares
  one of those closer than `GUARD` x close cannot be decided from streamed values: the source
  raises `UndecidedSignal` and the bot answers that candle with `populate` over its history.

So each source's signal equals `populate`'s last row at every candle (tests in
tests/unit/strategies/test_live_sources.py, on real candles).

Strategies without a source (user strategies) run `populate` over the last
`populate_window(startup_candles)` candles only: max(1,000, 20 x startup_candles). A strategy
whose indicators need only `startup_candles` of history (windowed ones) gets exactly its
whole-history signals; seeded ones (EMA, RSI, ...) forget their seed geometrically, and 20
times their startup leaves about 1e-9 of it for an EMA whose startup is its period.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np
import pandas as pd

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import DataError
from aurumbotx.domain.trading import Signal
from aurumbotx.features.definitions import FEATURE_COLUMNS
from aurumbotx.features.streaming import StreamingFeatures

GUARD = 1e-8  # relative to the close: 20,000 x the largest streamed-vs-TA-Lib difference seen
POPULATE_WINDOW_MIN = 1_000
POPULATE_WINDOW_FACTOR = 20

_INF = math.inf


class UndecidedSignal(Exception):
    """A rule too close to call from streamed values: `populate` must decide this candle."""


def populate_window(startup_candles: int) -> int:
    """Candles a strategy without a live source gets at each live candle."""
    return max(POPULATE_WINDOW_MIN, POPULATE_WINDOW_FACTOR * startup_candles)


def check_candle(high: float, low: float, close: float, volume: float) -> None:
    """DataError for the values compute_features refuses (it would fail in `populate` too)."""
    if not (0.0 < high < _INF and 0.0 < low < _INF and 0.0 < close < _INF):
        raise DataError(f"high, low and close must be finite and > 0, got {high}, {low}, {close}")
    if not 0.0 <= volume < _INF:
        raise DataError(f"volume must be finite and >= 0, got {volume}")


def make_signal(enter: bool, leave: bool, data: dict[str, Any]) -> Signal | None:
    """The bot's Signal for a row (None when it says nothing), finite values kept as data."""
    if not (enter or leave):
        return None
    kept = {
        key: value
        for key, value in data.items()
        if isinstance(value, bool) or (isinstance(value, float) and math.isfinite(value))
    }
    return Signal(enter=enter, exit=leave, data=kept)


def _history_columns(history: pd.DataFrame, *names: str) -> list[list[float]]:
    return [history[name].to_numpy(np.float64).tolist() for name in names]


class _Sma:
    """TA-Lib SMA: the running total of the last `period` values, carried from the first."""

    __slots__ = ("_total", "_window", "period")

    def __init__(self, period: int) -> None:
        self.period = period
        self._window: deque[float] = deque()
        self._total = 0.0

    def update(self, value: float) -> float:
        """The mean of the last `period` values, NaN until there are that many."""
        total = self._total + value
        window = self._window
        window.append(value)
        if len(window) < self.period:
            self._total = total
            return math.nan
        self._total = total - window.popleft()
        return total / self.period


class SmaCrossSignals:
    """`sma_cross` one candle at a time: two running averages and the previous difference."""

    def __init__(self, fast: int, slow: int, history: pd.DataFrame) -> None:
        self._fast = _Sma(fast)
        self._slow = _Sma(slow)
        self._previous = math.nan
        (closes,) = _history_columns(history, "close")
        for close in closes:
            self._step(close)

    def _step(self, close: float) -> tuple[bool, bool, float, float]:
        fast, slow = self._fast.update(close), self._slow.update(close)
        diff, previous = fast - slow, self._previous
        self._previous = diff
        return diff > 0 and previous <= 0, diff < 0 and previous >= 0, fast, slow

    def on_candle(self, candle: Candle) -> Signal | None:
        """The crossing at the close of `candle`, as `populate`'s last row says it."""
        if not math.isfinite(candle.close):
            raise DataError(f"{candle.pair}: close must be finite, got {candle.close}")
        up, down, fast, slow = self._step(candle.close)
        data = {"enter_long": up, "exit_long": down, "sma_fast": fast, "sma_slow": slow}
        return make_signal(up, down, data)


_COLUMN = {name: i for i, name in enumerate(FEATURE_COLUMNS)}


class FeatureSignals:
    """Base of the feature strategies' sources: streamed features, one candle at a time."""

    def __init__(self, history: pd.DataFrame) -> None:
        # All but the last candle in bulk, the last one by hand: its row is the rules' memory.
        self._features = StreamingFeatures.from_history(
            history.iloc[:-1], timeframe=history.attrs.get("timeframe") or "1m"
        )
        self._last_history_row = [math.nan] * len(FEATURE_COLUMNS)
        if len(history):
            (high, low, close, volume) = (
                float(history[name].iloc[-1]) for name in ("high", "low", "close", "volume")
            )
            self._last_history_row = self._features.advance(high, low, close, volume)
        self._on_history(history)

    def _on_history(self, history: pd.DataFrame) -> None:
        """Carry what the rules need from the history (beyond the features)."""

    def _row(self, candle: Candle) -> list[float]:
        check_candle(candle.high, candle.low, candle.close, candle.volume)
        return self._features.advance(candle.high, candle.low, candle.close, candle.volume)


def _guard(close: float, *gaps: float) -> None:
    """UndecidedSignal when a compared pair of values is closer than the guard."""
    limit = GUARD * close
    for gap in gaps:
        if -limit < gap < limit:
            raise UndecidedSignal(f"compared values {gap:.3g} apart at close {close}")


class SwingSignals(FeatureSignals):
    """`swing`'s rules on streamed features (see aurumbotx.strategies.swing)."""

    _NAMES = ("ema_20", "ema_50", "sma_200", "macd_hist", "rsi_14", "market_condition_strength")

    def __init__(self, params: dict[str, Any], history: pd.DataFrame) -> None:
        self._rsi_min, self._rsi_max = float(params["rsi_min"]), float(params["rsi_max"])
        self._adx_min = float(params["adx_min"])
        self._index = [_COLUMN[name] for name in self._NAMES]
        self._previous_hist = math.nan
        super().__init__(history)

    def _on_history(self, history: pd.DataFrame) -> None:
        # The next candle's turn is read from the histogram of the last history candle.
        self._previous_hist = self._last_history_row[_COLUMN["macd_hist"]]

    def on_candle(self, candle: Candle) -> Signal | None:
        """The swing decision at the close of `candle`."""
        row = self._row(candle)
        ema20, ema50, sma200, hist, rsi, adx = (row[i] for i in self._index)
        previous, self._previous_hist = self._previous_hist, hist
        close = candle.close
        # EMAs and MACD are the streamed values that may differ from TA-Lib's in the last bits.
        _guard(close, ema20 - ema50, close - ema50, close - ema20, hist, previous)
        trend = ema20 > ema50 and close > sma200
        strong = adx >= self._adx_min
        turn_up = previous <= 0 and hist > 0
        turn_down = previous >= 0 and hist < 0
        calm = self._rsi_min < rsi < self._rsi_max
        enter = trend and strong and turn_up and calm
        leave = (close < ema50 or (turn_down and close < ema20)) and not enter
        data: dict[str, Any] = dict(
            zip(self._NAMES, (ema20, ema50, sma200, hist, rsi, adx), strict=True)
        )
        data |= {"enter_long": enter, "exit_long": leave}
        return make_signal(enter, leave, data)


class ScalpingSignals(FeatureSignals):
    """`scalping`'s rules on streamed features (see aurumbotx.strategies.scalping)."""

    _NAMES = ("rsi_14", "bb_lower", "bb_middle", "volume_ratio")

    def __init__(self, params: dict[str, Any], history: pd.DataFrame) -> None:
        self._rsi_entry, self._rsi_exit = float(params["rsi_entry"]), float(params["rsi_exit"])
        self._volume_ratio_min = float(params["volume_ratio_min"])
        self._index = [_COLUMN[name] for name in self._NAMES]
        super().__init__(history)

    def on_candle(self, candle: Candle) -> Signal | None:
        """The scalping decision at the close of `candle`."""
        row = self._row(candle)
        rsi, lower, middle, volume_ratio = (row[i] for i in self._index)
        close = candle.close
        # The Bollinger deviation is the one streamed value off TA-Lib's in the last bits.
        _guard(close, close - lower)
        enter = rsi < self._rsi_entry and close < lower and volume_ratio >= self._volume_ratio_min
        leave = (rsi > self._rsi_exit or close > middle) and not enter
        data: dict[str, Any] = dict(
            zip(self._NAMES, (rsi, lower, middle, volume_ratio), strict=True)
        )
        data |= {"enter_long": enter, "exit_long": leave}
        return make_signal(enter, leave, data)
