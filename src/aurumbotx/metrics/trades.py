"""Trade-based metrics over the net profit/loss of closed round trips (quote currency).

A trade with a profit/loss above 0 wins, below 0 loses, exactly 0 is break-even: it counts
in the total but neither as a win nor as a loss.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike


def _pnl_array(pnls: ArrayLike) -> np.ndarray:
    return np.asarray(pnls, dtype="float64").reshape(-1)


def profit_factor(pnls: ArrayLike) -> float | None:
    """Gross profit / gross loss; inf without a losing trade, None without wins and losses."""
    values = _pnl_array(pnls)
    gross_profit = float(values[values > 0].sum())
    gross_loss = float(-values[values < 0].sum())
    if gross_loss == 0:
        return math.inf if gross_profit > 0 else None
    return gross_profit / gross_loss


def win_rate(pnls: ArrayLike) -> float:
    """Winning trades / all trades as a fraction in [0, 1]; 0.0 without trades (the spec's)."""
    values = _pnl_array(pnls)
    if values.size == 0:
        return 0.0
    return float(np.count_nonzero(values > 0)) / values.size


def expectancy(pnls: ArrayLike) -> float | None:
    """Mean net profit per trade in the quote currency; None without trades."""
    values = _pnl_array(pnls)
    if values.size == 0:
        return None
    return float(values.mean())


def exposure(in_position: ArrayLike) -> float:
    """Fraction of periods with an open position, from booleans or position sizes (NaN = flat)."""
    values = np.asarray(in_position, dtype="float64").reshape(-1)
    if values.size == 0:
        return 0.0
    return float(np.count_nonzero(np.nan_to_num(values, nan=0.0))) / values.size
