"""Sharpe, Sortino, CAGR and Calmar against hand-computed values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from aurumbotx.domain.timeframes import periods_per_year
from aurumbotx.metrics import (
    cagr,
    calmar_ratio,
    period_returns,
    period_risk_free_rate,
    sharpe_ratio,
    sortino_ratio,
)

# Returns +10 %, -10 %, +10 %:
#   mean = 0.1 / 3 = 1/30
#   deviations 1/15, -2/15, 1/15 -> squares 1/225, 4/225, 1/225 -> sum 6/225
#   sample variance = (6/225) / (3 - 1) = 1/75 -> std = 1/sqrt(75) = 1/(5*sqrt(3))
#   per-period Sharpe = (1/30) * 5*sqrt(3) = sqrt(3)/6 = 0.288675...
RETURNS = [0.1, -0.1, 0.1]


def make_equity(values: list[float], days_apart: float = 1.0) -> pd.Series:
    """An equity Series on a UTC DatetimeIndex, points `days_apart` days apart."""
    index = pd.date_range(
        "2024-01-01", periods=len(values), freq=pd.Timedelta(days=days_apart), tz="UTC"
    )
    return pd.Series(values, index=index, dtype="float64")


def test_period_returns_are_simple_returns_between_points() -> None:
    # 100 -> 110: +0.1; 110 -> 99: -0.1; 99 -> 108.9: +0.1
    returns = period_returns(make_equity([100.0, 110.0, 99.0, 108.9]))
    assert returns.to_list() == pytest.approx(RETURNS)


def test_sharpe_annualises_with_sqrt_of_periods_per_year() -> None:
    # sqrt(3)/6 * sqrt(4) = sqrt(3)/3 = 0.577350...
    assert sharpe_ratio(RETURNS, periods_per_year=4) == pytest.approx(math.sqrt(3) / 3)


def test_sharpe_converts_the_annual_risk_free_rate_to_the_period() -> None:
    # Annual rf = 1.01**4 - 1 = 0.04060401 -> per quarter (1 + rf)**(1/4) - 1 = 0.01.
    assert period_risk_free_rate(1.01**4 - 1, 4) == pytest.approx(0.01)
    # Excess mean = 1/30 - 0.01 = 7/300; std unchanged 1/(5*sqrt(3)).
    # Sharpe = 7/300 * 5*sqrt(3) * 2 = 7*sqrt(3)/30 = 0.404145...
    result = sharpe_ratio(RETURNS, periods_per_year=4, risk_free_rate=1.01**4 - 1)
    assert result == pytest.approx(7 * math.sqrt(3) / 30)


def test_sharpe_uses_the_crypto_year_for_hourly_candles() -> None:
    # 365 days * 24 h = 8760 periods; sqrt(3)/6 * sqrt(8760) = 27.0185...
    ppy = periods_per_year("1h")
    assert ppy == 8760
    assert sharpe_ratio(RETURNS, ppy) == pytest.approx(math.sqrt(3) / 6 * math.sqrt(8760))


def test_sharpe_is_none_when_undefined() -> None:
    assert sharpe_ratio([0.0, 0.0, 0.0], 365) is None  # flat equity: std 0
    assert sharpe_ratio([0.02], 365) is None  # a single return has no sample std
    assert sharpe_ratio([], 365) is None  # a single candle has no return at all
    # A flat curve stays undefined with a risk-free rate: the excess is constant.
    assert sharpe_ratio([0.0, 0.0, 0.0], 365, risk_free_rate=0.05) is None


def test_sharpe_ignores_the_leading_nan_of_pct_change() -> None:
    returns = pd.Series([float("nan"), *RETURNS])
    assert sharpe_ratio(returns, 4) == pytest.approx(math.sqrt(3) / 3)


def test_sortino_uses_downside_deviation_over_all_periods() -> None:
    # min(excess, 0) = 0, -0.1, 0 -> squares 0, 0.01, 0 -> mean 0.01/3
    # downside = sqrt(0.01/3) = 0.1/sqrt(3) = 0.057735
    # Sortino = (1/30) / (0.1/sqrt(3)) * sqrt(4) = sqrt(3)/3 * 2 = 1.154700...
    assert sortino_ratio(RETURNS, periods_per_year=4) == pytest.approx(2 * math.sqrt(3) / 3)


def test_sortino_negative_mean() -> None:
    # Returns -0.02, 0.01: mean -0.005; downside sqrt((0.0004 + 0) / 2) = sqrt(0.0002) = 0.0141421
    # Sortino = -0.005 / 0.0141421 * sqrt(1) = -0.353553...
    assert sortino_ratio([-0.02, 0.01], 1) == pytest.approx(-0.005 / math.sqrt(0.0002))


def test_sortino_without_downside() -> None:
    assert sortino_ratio([0.01, 0.02], 365) == math.inf  # positive mean, no loss
    assert sortino_ratio([0.0, 0.0], 365) is None  # flat
    assert sortino_ratio([0.01], 365) is None  # too short


def test_cagr_over_two_calendar_years() -> None:
    # 100 -> 121 over 730.5 days = 2 years of 365.25 days: 1.21**(1/2) - 1 = 0.1
    equity = make_equity([100.0, 121.0], days_apart=730.5)
    assert cagr(equity) == pytest.approx(0.1)


def test_cagr_negative() -> None:
    # 100 -> 81 over 2 years: 0.81**(1/2) - 1 = 0.9 - 1 = -0.1
    equity = make_equity([100.0, 81.0], days_apart=730.5)
    assert cagr(equity) == pytest.approx(-0.1)


def test_cagr_with_an_explicit_base() -> None:
    # Base 100 (starting capital), curve 110 -> 121 over one year: 121/100 - 1 = 0.21
    equity = make_equity([110.0, 121.0], days_apart=365.25)
    assert cagr(equity, initial=100.0) == pytest.approx(0.21)


def test_cagr_undefined_or_total_loss() -> None:
    assert cagr(make_equity([100.0])) is None  # a single candle: zero elapsed time
    assert cagr(make_equity([])) is None
    assert cagr(make_equity([100.0, 0.0], days_apart=365.25)) == -1.0


def test_calmar_ratio() -> None:
    # 0.1 / |-0.25| = 0.4
    assert calmar_ratio(0.1, -0.25) == pytest.approx(0.4)
    # -0.05 / 0.2 = -0.25
    assert calmar_ratio(-0.05, -0.2) == pytest.approx(-0.25)


def test_calmar_without_drawdown_or_cagr() -> None:
    assert calmar_ratio(0.1, 0.0) == math.inf
    assert calmar_ratio(0.0, 0.0) is None
    assert calmar_ratio(-0.05, 0.0) is None
    assert calmar_ratio(None, -0.1) is None


def test_rejects_non_positive_periods_per_year() -> None:
    with pytest.raises(ValueError, match="periods_per_year"):
        sharpe_ratio(RETURNS, 0)
