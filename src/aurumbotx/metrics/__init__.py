"""Performance metrics of a run: pure functions over numpy/pandas, no I/O.

`compute_metrics` returns one flat dict; the spec's PerformanceMetrics keys come first, in the
spec's order. Fractions are plain fractions (0.25, not 25) except ``roi_percentage``; money is
in the quote currency of the run; None means "undefined", never 0; ``math.inf`` is a real
answer (serialised as the string "inf" by `BacktestResult.to_json_dict`).

==========================  ========  ===========================================================
key                         unit      meaning and edge cases
==========================  ========  ===========================================================
total_trades                count     closed round trips (open positions are in ``open_trades``)
winning_trades              count     closed trades with a net profit/loss > 0
total_profit                quote     final equity - starting capital (open positions marked to
                                      market, so it may differ from the sum of closed P/L)
roi_percentage              percent   total_profit / starting_capital * 100
sharpe_ratio                ratio     mean / sample std (ddof=1) of per-period excess returns of
                                      the equity curve * sqrt(periods_per_year); the ANNUAL
                                      risk-free rate is converted to the period as
                                      (1 + rf) ** (1 / ppy) - 1; None for a flat curve or fewer
                                      than 2 returns
max_drawdown                fraction  min of (equity - running peak) / running peak, <= 0
                                      (-0.25 = 25 % below the peak); 0.0 without a drawdown
win_rate                    fraction  winning_trades / total_trades in [0, 1]; 0.0 without
                                      trades (the spec's answer, not None)
profit_factor               ratio     gross profit / gross loss; inf without a losing trade (at
                                      least one win); None without trades or all break-even
losing_trades               count     closed trades with a net profit/loss < 0 (break-even
                                      trades are neither winning nor losing)
open_trades                 count     positions still open at the end of the data
sortino_ratio               ratio     mean excess return / downside deviation * sqrt(ppy), the
                                      downside deviation being sqrt(mean(min(excess, 0) ** 2))
                                      over ALL periods; inf without downside and a positive
                                      mean; None when undefined (flat, fewer than 2 returns)
calmar_ratio                ratio     cagr / |max_drawdown|; without a drawdown inf if cagr > 0,
                                      else None; None when cagr is None
cagr                        fraction  (final / starting capital) ** (1 / years) - 1, years =
                                      (last - first timestamp of the curve) / 365.25 days;
                                      None for a single point; -1.0 if everything is lost
max_drawdown_duration_days  days      longest time below a previous peak, from the peak to the
                                      recovery (or to the last point if never recovered); 0.0
                                      without a drawdown
expectancy                  quote     mean net profit/loss per closed trade; None without trades
exposure                    fraction  share of periods with an open position, in [0, 1]
final_equity                quote     last point of the equity curve (starting capital if empty)
starting_capital            quote     as given
==========================  ========  ===========================================================

Per-period returns are simple returns between consecutive points of the equity curve; NaN
returns are dropped; a spread below `FLAT_EPSILON` counts as flat (float noise, not risk).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.metrics.drawdown import (
    drawdown_series,
    drawdown_stats,
    max_drawdown,
    max_drawdown_duration,
)
from aurumbotx.metrics.market import buy_and_hold_curve, market_change, mean_market_change
from aurumbotx.metrics.returns import (
    DAYS_PER_YEAR,
    FLAT_EPSILON,
    cagr,
    calmar_ratio,
    excess_returns,
    period_returns,
    period_risk_free_rate,
    sharpe_of_excess,
    sharpe_ratio,
    sortino_of_excess,
    sortino_ratio,
)
from aurumbotx.metrics.trades import expectancy, exposure, profit_factor, win_rate

__all__ = [
    "DAYS_PER_YEAR",
    "FLAT_EPSILON",
    "METRIC_KEYS",
    "buy_and_hold_curve",
    "cagr",
    "calmar_ratio",
    "compute_metrics",
    "drawdown_series",
    "expectancy",
    "exposure",
    "market_change",
    "max_drawdown",
    "max_drawdown_duration",
    "mean_market_change",
    "period_returns",
    "period_risk_free_rate",
    "profit_factor",
    "sharpe_ratio",
    "sortino_ratio",
    "win_rate",
]

METRIC_KEYS: tuple[str, ...] = (
    # the spec's PerformanceMetrics, in its order
    "total_trades",
    "winning_trades",
    "total_profit",
    "roi_percentage",
    "sharpe_ratio",
    "max_drawdown",
    "win_rate",
    "profit_factor",
    # ours
    "losing_trades",
    "open_trades",
    "sortino_ratio",
    "calmar_ratio",
    "cagr",
    "max_drawdown_duration_days",
    "expectancy",
    "exposure",
    "final_equity",
    "starting_capital",
)

_SECONDS_PER_DAY = 86_400.0


def compute_metrics(
    equity: pd.Series,
    trade_pnls: Sequence[float],
    *,
    starting_capital: float,
    periods_per_year: float,
    exposure: float,
    risk_free_rate: float = 0.0,
    open_trades: int = 0,
) -> dict[str, float | int | None]:
    """All metrics of one run, keyed as in `METRIC_KEYS` (units in the module docstring)."""
    if starting_capital <= 0:
        raise InvalidInputError(f"starting capital must be positive, got {starting_capital}")
    if periods_per_year <= 0:
        raise InvalidInputError(f"periods per year must be positive, got {periods_per_year}")
    if not 0.0 <= exposure <= 1.0:
        raise InvalidInputError(f"exposure is a fraction in [0, 1], got {exposure}")
    curve = equity.astype("float64")
    values = curve.to_numpy()
    pnls = np.asarray(trade_pnls, dtype=np.float64).reshape(-1)  # converted once, shared
    final_equity = float(values[-1]) if len(values) else float(starting_capital)
    total_profit = final_equity - starting_capital
    # One pass each over the curve (a point per candle): returns once for Sharpe and Sortino,
    # the running peak once for the drawdown's depth and duration.
    excess = excess_returns(values, periods_per_year, risk_free_rate)
    growth = cagr(curve, initial=starting_capital)
    drawdown, duration = drawdown_stats(curve)
    metrics: dict[str, float | int | None] = {
        "total_trades": int(pnls.size),
        "winning_trades": int(np.count_nonzero(pnls > 0)),
        "total_profit": total_profit,
        "roi_percentage": total_profit / starting_capital * 100.0,
        "sharpe_ratio": sharpe_of_excess(excess, periods_per_year),
        "max_drawdown": drawdown,
        "win_rate": win_rate(pnls),
        "profit_factor": profit_factor(pnls),
        "losing_trades": int(np.count_nonzero(pnls < 0)),
        "open_trades": int(open_trades),
        "sortino_ratio": sortino_of_excess(excess, periods_per_year),
        "calmar_ratio": calmar_ratio(growth, drawdown),
        "cagr": growth,
        "max_drawdown_duration_days": duration.total_seconds() / _SECONDS_PER_DAY,
        "expectancy": expectancy(pnls),
        "exposure": float(exposure),
        "final_equity": final_equity,
        "starting_capital": float(starting_capital),
    }
    return metrics
