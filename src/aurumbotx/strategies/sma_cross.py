"""`sma_cross`: the reference strategy for parity checks with other backtesters.

Simple moving averages of the close, `fast` and `slow` candles long. Buy when the fast average
crosses strictly above the slow one (fast[t] > slow[t] and fast[t-1] <= slow[t-1]); sell the whole
position when it crosses strictly below (fast[t] < slow[t] and fast[t-1] >= slow[t-1]).
Long-only and all-in: with the default risk limits an entry spends the whole cash,
amount = cash / (price x (1 + fee)). No stop-loss, no take-profit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.indicators import sma
from aurumbotx.strategies.base import LiveSignals, Parameter, Strategy
from aurumbotx.strategies.live import SmaCrossSignals


def crossings(fast: np.ndarray, slow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(crossed strictly above, crossed strictly below) for each index; False where undefined."""
    diff = fast - slow
    prev = np.empty_like(diff)
    prev[0] = np.nan
    prev[1:] = diff[:-1]
    with np.errstate(invalid="ignore"):
        up = (diff > 0) & (prev <= 0)
        down = (diff < 0) & (prev >= 0)
    return up, down


class SmaCrossStrategy(Strategy):
    """Fast/slow simple moving average crossover, long-only, all-in."""

    name = "sma_cross"
    description = "Buy when SMA(fast) crosses above SMA(slow), sell when it crosses below."
    parameters = {  # noqa: RUF012 - class-level declaration read by the base class
        "fast": Parameter(10, "fast SMA length (candles)", minimum=1),
        "slow": Parameter(50, "slow SMA length (candles)", minimum=2),
    }

    def validate(self) -> None:
        """fast must be shorter than slow."""
        if self.params["fast"] >= self.params["slow"]:
            raise InvalidInputError(
                f"sma_cross: fast ({self.params['fast']}) must be < slow ({self.params['slow']})"
            )

    @property
    def startup_candles(self) -> int:
        """The slow average needs `slow` candles, the crossing one more."""
        return int(self.params["slow"]) + 1

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        """Crossings of the two averages."""
        close = candles["close"].to_numpy(np.float64)
        fast = sma(close, int(self.params["fast"]))
        slow = sma(close, int(self.params["slow"]))
        up, down = crossings(fast, slow)
        return pd.DataFrame(
            {"enter_long": up, "exit_long": down, "sma_fast": fast, "sma_slow": slow},
            index=candles.index,
        )

    def live_signals(
        self, history: pd.DataFrame, on_record: Callable[[Any], None] | None = None
    ) -> LiveSignals:
        """O(1) per candle, equal to `populate`'s last row (aurumbotx.strategies.live)."""
        return SmaCrossSignals(int(self.params["fast"]), int(self.params["slow"]), history)
