"""`swing`: trend-following swing trades on the features (for 1h-4h candles).

Rules, on the 27 features (aurumbotx.features), evaluated at each candle's close:

* enter long when a pull-back inside an up-trend turns up: the trend is up
  (``ema_20 > ema_50`` and ``close > sma_200``) and strong enough
  (``market_condition_strength >= adx_min``, i.e. ADX(14)/100), MACD's histogram crosses
  above zero on this candle, and ``rsi_min < rsi_14 < rsi_max`` (not already overbought);
* exit when the trend breaks: ``close < ema_50``, or the histogram crosses below zero while
  ``close < ema_20``;
* protective orders from the entry fill: stop-loss ``stop_loss_pct`` % below, take-profit
  ``take_profit_pct`` % above.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.features import WARMUP_CANDLES
from aurumbotx.strategies.base import LiveSignals, Parameter, Strategy
from aurumbotx.strategies.live import SwingSignals
from aurumbotx.strategies.rules import features_and_close, rule_signals


class SwingTradingStrategy(Strategy):
    """Trend following: MACD turns inside an EMA/SMA up-trend, with a wide stop and target."""

    name = "swing"
    description = "Buy MACD upturns inside an up-trend; exit when the trend breaks."
    parameters = {  # noqa: RUF012 - class-level declaration read by the base class
        "rsi_min": Parameter(40.0, "RSI(14) must be above this at entry", minimum=0, maximum=100),
        "rsi_max": Parameter(70.0, "RSI(14) must be below this at entry", minimum=0, maximum=100),
        "adx_min": Parameter(0.20, "minimum ADX(14)/100 at entry", minimum=0, maximum=1),
        "stop_loss_pct": Parameter(5.0, "stop-loss, % below the entry fill", minimum=0, maximum=90),
        "take_profit_pct": Parameter(12.0, "take-profit, % above the entry fill", minimum=0),
    }

    def validate(self) -> None:
        """rsi_min must be below rsi_max."""
        if self.params["rsi_min"] >= self.params["rsi_max"]:
            raise InvalidInputError("swing: rsi_min must be below rsi_max")

    @property
    def startup_candles(self) -> int:
        """The features' warm-up."""
        return WARMUP_CANDLES + 1

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        """Signals from EMAs, SMA 200, MACD histogram, RSI and ADX."""
        f, close = features_and_close(candles)
        hist = f["macd_hist"].to_numpy()
        prev = np.empty_like(hist)
        prev[0] = np.nan
        prev[1:] = hist[:-1]
        ema20, ema50 = f["ema_20"].to_numpy(), f["ema_50"].to_numpy()
        rsi = f["rsi_14"].to_numpy()
        with np.errstate(invalid="ignore"):
            trend = (ema20 > ema50) & (close > f["sma_200"].to_numpy())
            strong = f["market_condition_strength"].to_numpy() >= self.params["adx_min"]
            turn_up = (prev <= 0) & (hist > 0)
            turn_down = (prev >= 0) & (hist < 0)
            calm = (rsi > self.params["rsi_min"]) & (rsi < self.params["rsi_max"])
            enter = trend & strong & turn_up & calm
            leave = (close < ema50) | (turn_down & (close < ema20))
        columns = ["ema_20", "ema_50", "sma_200", "macd_hist", "rsi_14"]
        return rule_signals(f, [*columns, "market_condition_strength"], enter, leave)

    def live_signals(
        self, history: pd.DataFrame, on_record: Callable[[Any], None] | None = None
    ) -> LiveSignals:
        """O(1) per candle, equal to `populate`'s last row (aurumbotx.strategies.live)."""
        return SwingSignals(self.params, history)
