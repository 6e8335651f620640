"""`scalping`: short-term mean reversion on the features (for 1m-15m candles).

Rules, on the 27 features (aurumbotx.features), evaluated at each candle's close:

* enter long when the market is oversold and stretched below its band, on real volume:
  ``rsi_14 < rsi_entry`` and ``close < bb_lower`` and ``volume_ratio >= volume_ratio_min``;
* exit when the bounce is done: ``rsi_14 > rsi_exit`` or ``close > bb_middle``;
* protective orders from the entry fill: stop-loss ``stop_loss_pct`` % below, take-profit
  ``take_profit_pct`` % above (the stop wins when one candle touches both).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.features import WARMUP_CANDLES
from aurumbotx.strategies.base import LiveSignals, Parameter, Strategy
from aurumbotx.strategies.live import ScalpingSignals
from aurumbotx.strategies.rules import features_and_close, rule_signals


class ScalpingStrategy(Strategy):
    """RSI + Bollinger mean reversion with a tight stop and target."""

    name = "scalping"
    description = "Buy oversold dips below the lower Bollinger band; exit on the bounce."
    parameters = {  # noqa: RUF012 - class-level declaration read by the base class
        "rsi_entry": Parameter(30.0, "enter below this RSI(14)", minimum=1, maximum=99),
        "rsi_exit": Parameter(55.0, "exit above this RSI(14)", minimum=1, maximum=99),
        "volume_ratio_min": Parameter(1.0, "volume / its 20-candle mean at entry", minimum=0),
        "stop_loss_pct": Parameter(1.0, "stop-loss, % below the entry fill", minimum=0, maximum=50),
        "take_profit_pct": Parameter(1.5, "take-profit, % above the entry fill", minimum=0),
    }

    def validate(self) -> None:
        """The exit RSI must be above the entry RSI."""
        if self.params["rsi_exit"] <= self.params["rsi_entry"]:
            raise InvalidInputError("scalping: rsi_exit must be above rsi_entry")

    @property
    def startup_candles(self) -> int:
        """The features' warm-up."""
        return WARMUP_CANDLES + 1

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        """Signals from RSI, Bollinger bands and volume."""
        f, close = features_and_close(candles)
        rsi = f["rsi_14"].to_numpy()
        with np.errstate(invalid="ignore"):
            enter = (
                (rsi < self.params["rsi_entry"])
                & (close < f["bb_lower"].to_numpy())
                & (f["volume_ratio"].to_numpy() >= self.params["volume_ratio_min"])
            )
            leave = (rsi > self.params["rsi_exit"]) | (close > f["bb_middle"].to_numpy())
        return rule_signals(f, ["rsi_14", "bb_lower", "bb_middle", "volume_ratio"], enter, leave)

    def live_signals(
        self, history: pd.DataFrame, on_record: Callable[[Any], None] | None = None
    ) -> LiveSignals:
        """O(1) per candle, equal to `populate`'s last row (aurumbotx.strategies.live)."""
        return ScalpingSignals(self.params, history)
