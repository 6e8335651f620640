"""compute_metrics: keys, order and values of a whole run, and its edge cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.metrics import METRIC_KEYS, compute_metrics

SPEC_KEYS = (
    "total_trades",
    "winning_trades",
    "total_profit",
    "roi_percentage",
    "sharpe_ratio",
    "max_drawdown",
    "win_rate",
    "profit_factor",
)


def make_equity(values: list[float], step: pd.Timedelta) -> pd.Series:
    """Equity on a UTC DatetimeIndex, one point per `step`."""
    index = pd.date_range("2023-01-01", periods=len(values), freq=step, tz="UTC")
    return pd.Series(values, index=index, dtype="float64")


def test_a_whole_run() -> None:
    # Four points 121.75 days apart: 3 periods = 365.25 days = 1 year; periods_per_year = 3.
    # Equity 1000 -> 1100 -> 990 -> 1089: returns +0.1, -0.1, +0.1.
    equity = make_equity([1000.0, 1100.0, 990.0, 1089.0], pd.Timedelta(days=121.75))
    metrics = compute_metrics(
        equity,
        [100.0, -110.0, 99.0],
        starting_capital=1000.0,
        periods_per_year=3,
        exposure=0.5,
        open_trades=1,
    )
    assert tuple(metrics) == METRIC_KEYS
    assert METRIC_KEYS[: len(SPEC_KEYS)] == SPEC_KEYS
    assert metrics["total_trades"] == 3
    assert metrics["winning_trades"] == 2
    assert metrics["losing_trades"] == 1
    assert metrics["open_trades"] == 1
    # 1089 - 1000 = 89; 89 / 1000 * 100 = 8.9 %
    assert metrics["total_profit"] == pytest.approx(89.0)
    assert metrics["roi_percentage"] == pytest.approx(8.9)
    # per-period Sharpe sqrt(3)/6 (see test_metrics_returns) * sqrt(3) = 3/6 = 0.5
    assert metrics["sharpe_ratio"] == pytest.approx(0.5)
    # downside sqrt(0.01/3) -> per period sqrt(3)/3, * sqrt(3) = 1.0
    assert metrics["sortino_ratio"] == pytest.approx(1.0)
    # 990 / 1100 - 1 = -0.1
    assert metrics["max_drawdown"] == pytest.approx(-0.1)
    # peak at point 1, never recovered (1089 < 1100): 2 periods * 121.75 = 243.5 days
    assert metrics["max_drawdown_duration_days"] == pytest.approx(243.5)
    # one year: 1089 / 1000 - 1 = 0.089; Calmar 0.089 / 0.1 = 0.89
    assert metrics["cagr"] == pytest.approx(0.089)
    assert metrics["calmar_ratio"] == pytest.approx(0.89)
    # 2 of 3 = 0.6667; (100 + 99) / 110 = 1.80909; (100 - 110 + 99) / 3 = 29.6667
    assert metrics["win_rate"] == pytest.approx(2 / 3)
    assert metrics["profit_factor"] == pytest.approx(199 / 110)
    assert metrics["expectancy"] == pytest.approx(89 / 3)
    assert metrics["exposure"] == 0.5
    assert metrics["final_equity"] == 1089.0
    assert metrics["starting_capital"] == 1000.0


def test_no_trades_and_flat_equity() -> None:
    equity = make_equity([1000.0, 1000.0, 1000.0], pd.Timedelta(hours=1))
    metrics = compute_metrics(
        equity, [], starting_capital=1000.0, periods_per_year=8760, exposure=0.0
    )
    assert metrics["total_trades"] == 0
    assert metrics["winning_trades"] == 0
    assert metrics["total_profit"] == 0.0
    assert metrics["roi_percentage"] == 0.0
    assert metrics["sharpe_ratio"] is None
    assert metrics["sortino_ratio"] is None
    assert metrics["max_drawdown"] == 0.0
    assert metrics["max_drawdown_duration_days"] == 0.0
    assert metrics["cagr"] == 0.0  # 1000 / 1000 - 1
    assert metrics["calmar_ratio"] is None  # no drawdown and no growth
    assert metrics["win_rate"] == 0.0
    assert metrics["profit_factor"] is None
    assert metrics["expectancy"] is None


def test_no_losing_trades_and_no_drawdown() -> None:
    # 1000 -> 1010 -> 1020 over 2 days: no drawdown, profit factor and Calmar infinite.
    equity = make_equity([1000.0, 1010.0, 1020.0], pd.Timedelta(days=1))
    metrics = compute_metrics(
        equity, [10.0, 10.0], starting_capital=1000.0, periods_per_year=365, exposure=1.0
    )
    assert metrics["profit_factor"] == math.inf
    assert metrics["win_rate"] == 1.0
    assert metrics["max_drawdown"] == 0.0
    assert metrics["calmar_ratio"] == math.inf
    assert metrics["sortino_ratio"] == math.inf


def test_a_single_candle() -> None:
    equity = make_equity([995.0], pd.Timedelta(hours=1))
    metrics = compute_metrics(
        equity, [], starting_capital=1000.0, periods_per_year=8760, exposure=1.0, open_trades=1
    )
    # The open position is marked to market: 995 - 1000 = -5, -0.5 %
    assert metrics["total_profit"] == pytest.approx(-5.0)
    assert metrics["roi_percentage"] == pytest.approx(-0.5)
    assert metrics["sharpe_ratio"] is None
    assert metrics["cagr"] is None
    assert metrics["calmar_ratio"] is None
    assert metrics["max_drawdown"] == 0.0
    assert metrics["open_trades"] == 1


def test_negative_cagr_and_negative_calmar() -> None:
    # 1000 -> 1200 -> 810 over two years (730.5 days): CAGR sqrt(0.81) - 1 = -0.1
    # max drawdown 810 / 1200 - 1 = -0.325; Calmar -0.1 / 0.325 = -0.307692...
    equity = make_equity([1000.0, 1200.0, 810.0], pd.Timedelta(days=365.25))
    metrics = compute_metrics(
        equity, [200.0, -390.0], starting_capital=1000.0, periods_per_year=1, exposure=1.0
    )
    assert metrics["cagr"] == pytest.approx(-0.1)
    assert metrics["max_drawdown"] == pytest.approx(-0.325)
    assert metrics["calmar_ratio"] == pytest.approx(-0.1 / 0.325)
    assert metrics["roi_percentage"] == pytest.approx(-19.0)


def test_empty_equity_falls_back_to_the_starting_capital() -> None:
    equity = pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype="float64")
    metrics = compute_metrics(
        equity, [], starting_capital=500.0, periods_per_year=8760, exposure=0.0
    )
    assert metrics["final_equity"] == 500.0
    assert metrics["total_profit"] == 0.0
    assert metrics["cagr"] is None
    assert metrics["max_drawdown_duration_days"] == 0.0


@pytest.mark.parametrize(
    ("capital", "ppy", "exposure", "message"),
    [
        (0.0, 365, 0.5, "starting capital"),
        (1000.0, 0, 0.5, "periods per year"),
        (1000.0, 365, 1.5, "exposure"),
    ],
)
def test_rejects_invalid_inputs(capital: float, ppy: float, exposure: float, message: str) -> None:
    equity = make_equity([1000.0, 1000.0], pd.Timedelta(days=1))
    with pytest.raises(InvalidInputError, match=message):
        compute_metrics(
            equity, [], starting_capital=capital, periods_per_year=ppy, exposure=exposure
        )
