"""Return-based metrics of an equity curve: Sharpe, Sortino, CAGR, Calmar.

Crypto markets trade 365 days a year, 24 hours a day, so annualisation uses the number of
candles in a 365-day year (`aurumbotx.domain.timeframes.periods_per_year`: 8760 for 1h,
365 for 1d), never the 252 trading days of equities.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

# A spread of per-period returns below this is float noise around a flat curve, not risk.
FLAT_EPSILON = 1e-12
DAYS_PER_YEAR = 365.25  # calendar years for CAGR, leap years included


def period_returns(equity: pd.Series) -> pd.Series:
    """Per-period simple returns of an equity curve (one fewer than points)."""
    values = equity.astype("float64")
    return (values / values.shift(1) - 1.0).iloc[1:]


def period_risk_free_rate(annual_rate: float, periods_per_year: float) -> float:
    """The per-period rate that compounds to `annual_rate` over `periods_per_year` periods."""
    return float((1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0)


def _excess_returns(
    returns: ArrayLike, periods_per_year: float, risk_free_rate: float
) -> np.ndarray:
    if periods_per_year <= 0:
        raise ValueError(f"periods_per_year must be positive, got {periods_per_year}")
    values = np.asarray(returns, dtype="float64")
    nan = np.isnan(values)
    if nan.any():
        values = values[~nan]
    rate = period_risk_free_rate(risk_free_rate, periods_per_year)
    return values - rate if rate else values


def sharpe_ratio(
    returns: ArrayLike, periods_per_year: float, risk_free_rate: float = 0.0
) -> float | None:
    """Annualised Sharpe ratio of per-period returns; None when undefined (flat, < 2 returns)."""
    return sharpe_of_excess(
        _excess_returns(returns, periods_per_year, risk_free_rate), periods_per_year
    )


def sortino_ratio(
    returns: ArrayLike, periods_per_year: float, risk_free_rate: float = 0.0
) -> float | None:
    """Annualised Sortino ratio; inf without downside and a positive mean, None if undefined."""
    return sortino_of_excess(
        _excess_returns(returns, periods_per_year, risk_free_rate), periods_per_year
    )


def excess_returns(
    values: np.ndarray, periods_per_year: float, risk_free_rate: float = 0.0
) -> np.ndarray:
    """Per-period excess returns of an equity curve given as a float64 array (NaN dropped).

    The same numbers as `_excess_returns(period_returns(curve))`, in one numpy pass (a
    backtest's curve has a point per candle).
    """
    if values.size < 2:
        return np.empty(0, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = values[1:] / values[:-1] - 1.0
    return _excess_returns(returns, periods_per_year, risk_free_rate)


def sharpe_of_excess(excess: np.ndarray, periods_per_year: float) -> float | None:
    """`sharpe_ratio` from excess returns already computed."""
    if excess.size < 2:
        return None
    std = float(np.std(excess, ddof=1))
    if std <= FLAT_EPSILON:
        return None
    return float(np.mean(excess)) / std * math.sqrt(periods_per_year)


def sortino_of_excess(excess: np.ndarray, periods_per_year: float) -> float | None:
    """`sortino_ratio` from excess returns already computed."""
    if excess.size < 2:
        return None
    mean = float(np.mean(excess))
    # Downside deviation over ALL periods (target 0), not only the losing ones: a rare loss
    # must weigh less than a frequent one.
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    if downside <= FLAT_EPSILON:
        return math.inf if mean > FLAT_EPSILON else None
    return mean / downside * math.sqrt(periods_per_year)


def cagr(equity: pd.Series, initial: float | None = None) -> float | None:
    """Compound annual growth rate as a fraction; None for a zero-length curve.

    `initial` overrides the first point as the base (the starting capital), the elapsed time
    is always first to last timestamp of `equity`, in years of 365.25 days.
    """
    if len(equity) < 2:
        return None
    elapsed = pd.Timestamp(equity.index[-1]) - pd.Timestamp(equity.index[0])
    years = elapsed / pd.Timedelta(days=DAYS_PER_YEAR)
    base = float(equity.iloc[0]) if initial is None else float(initial)
    final = float(equity.iloc[-1])
    if years <= 0 or base <= 0:
        return None
    if final <= 0:
        return -1.0  # everything lost; a real power of a non-positive ratio does not exist
    return float((final / base) ** (1.0 / years) - 1.0)


def calmar_ratio(cagr: float | None, max_drawdown: float) -> float | None:
    """CAGR over |max drawdown|; no drawdown: inf if CAGR > 0, else None."""
    if cagr is None:
        return None
    if max_drawdown == 0:
        return math.inf if cagr > 0 else None
    return cagr / abs(max_drawdown)
