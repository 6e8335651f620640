"""Buy and hold: what the market itself did over a trading window, the yardstick of a strategy.

The market change of one pair is its last close / its first close - 1 over the window (before
fees, as freqtrade's `market_change`). Several pairs are weighted equally: the starting capital
is split into equal shares, each bought at its pair's first close and held to the end; a pair
whose candles start later keeps its share in cash until then. The final value of that basket
is the starting capital x (1 + the mean of the pairs' market changes), so the curve and the
number agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd


def market_change(closes: pd.Series) -> float | None:
    """Last close / first close - 1 (a fraction); None without two positive closes."""
    values = closes.dropna().to_numpy(dtype="float64")
    if len(values) < 2 or values[0] <= 0:
        return None
    return float(values[-1] / values[0] - 1.0)


def mean_market_change(changes: Iterable[float | None]) -> float | None:
    """Equal-weight mean of the defined market changes; None when none is defined."""
    defined = [change for change in changes if change is not None]
    return sum(defined) / len(defined) if defined else None


def buy_and_hold_curve(closes: Mapping[str, pd.Series], starting_capital: float) -> pd.Series:
    """Value of `starting_capital` split equally over the pairs and held (no fees)."""
    growth = {
        pair: series.dropna() / float(series.dropna().iloc[0])
        for pair, series in closes.items()
        if market_change(series) is not None
    }
    if not growth:
        return pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype="float64")
    # Before a pair's first candle its share is cash (growth 1); after it, its last close.
    frame = pd.DataFrame(growth).sort_index().ffill().fillna(1.0)
    return frame.mean(axis=1) * float(starting_capital)
