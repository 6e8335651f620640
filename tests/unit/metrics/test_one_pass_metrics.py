"""compute_metrics' one-pass helpers give exactly the numbers of the public functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurumbotx.metrics import (
    compute_metrics,
    drawdown_stats,
    excess_returns,
    max_drawdown,
    max_drawdown_duration,
    period_returns,
    sharpe_of_excess,
    sharpe_ratio,
    sortino_of_excess,
    sortino_ratio,
)


def _walk(seed: int, n: int = 5_000, crash: bool = False) -> pd.Series:
    rng = np.random.default_rng(seed)
    values = 10_000 * np.cumprod(1 + rng.normal(0, 0.01, n))
    if crash:
        values[n // 2 :] = 0.0  # everything lost half-way: zero divisions in the returns
    index = pd.date_range("2024-01-01", periods=n, freq="1min", tz="UTC")
    return pd.Series(values, index=index, dtype="float64")


@pytest.mark.parametrize(("seed", "crash"), [(1, False), (2, False), (3, True)])
@pytest.mark.parametrize("risk_free", [0.0, 0.04])
def test_shared_returns_give_the_same_sharpe_and_sortino(
    seed: int, crash: bool, risk_free: float
) -> None:
    curve = _walk(seed, crash=crash)
    ppy = 525_600.0
    excess = excess_returns(curve.to_numpy(), ppy, risk_free)
    returns = period_returns(curve)
    assert sharpe_of_excess(excess, ppy) == sharpe_ratio(returns, ppy, risk_free)
    assert sortino_of_excess(excess, ppy) == sortino_ratio(returns, ppy, risk_free)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_shared_peak_gives_the_same_drawdown_depth_and_duration(seed: int) -> None:
    curve = _walk(seed)
    assert drawdown_stats(curve) == (max_drawdown(curve), max_drawdown_duration(curve))


def test_drawdown_stats_edge_cases() -> None:
    flat = _walk(7).iloc[:1]
    assert drawdown_stats(flat) == (0.0, pd.Timedelta(0))
    assert drawdown_stats(flat.iloc[:0]) == (0.0, pd.Timedelta(0))
    with pytest.raises(TypeError, match="DatetimeIndex"):
        drawdown_stats(pd.Series([1.0, 2.0]))


def test_compute_metrics_with_a_gap_in_the_curve_keeps_the_nan_skipping_depth() -> None:
    curve = _walk(8, n=100)
    curve.iloc[40] = np.nan
    metrics = compute_metrics(
        curve, [1.0, -1.0], starting_capital=10_000.0, periods_per_year=525_600, exposure=0.5
    )
    assert metrics["max_drawdown"] == max_drawdown(curve)
    assert metrics["sharpe_ratio"] == sharpe_ratio(period_returns(curve), 525_600)
