"""Tuning on the validation tail: ensemble weights, then the signal threshold.

Weights: every point of the simplex grid with step 0.1 (66 triples summing to 1); the one with
the smallest mean squared error between the weighted prediction and the target on the
validation rows wins (ties: the first in grid order).

Threshold: a prediction above +thr is BUY, below -thr SELL, HOLD otherwise. Each threshold of
`THRESHOLD_GRID` is scored by the after-fee log return of trading the validation rows'
signals long-only (BUY enters all-in when flat, SELL exits), vectorised: the position decided
at close t earns ln(c[t+1] / c[t]); each entry costs ln(1 + fee), each exit ln(1 - fee); a
position still open at the end is marked without an exit fee, as the backtester does. The
highest return wins, ties going to the higher threshold (fewer trades). Close-to-close rather
than next-open fills keeps every price the tuning reads at or before the validation rows'
label horizon, hence before the test window.

The grid reaches down to 0.1 because regressors fitted on a noisy target shrink towards 0: on
BTC/USDT 1h the ensemble's predictions have a standard deviation near 0.15 and pass the
spec's 0.6 on about 0.2 % of the candles (see docs/ml.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from aurumbotx.ml.ensemble import MEMBERS

THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.10 + 0.05 * i, 2) for i in range(15))
WEIGHT_STEP = 0.1
BUY, HOLD, SELL = 1, 0, -1


def simplex_grid(step: float = WEIGHT_STEP) -> list[dict[str, float]]:
    """Every weight triple on a grid of `step` that sums to 1, as dicts over MEMBERS."""
    units = round(1.0 / step)
    grid = []
    for a in range(units + 1):
        for b in range(units + 1 - a):
            c = units - a - b
            grid.append(dict(zip(MEMBERS, (a / units, b / units, c / units), strict=True)))
    return grid


def tune_weights(
    members: Mapping[str, np.ndarray], target: np.ndarray, step: float = WEIGHT_STEP
) -> tuple[dict[str, float], float]:
    """(weights with the smallest validation MSE, that MSE)."""
    stacked = np.vstack([np.asarray(members[name], dtype=np.float64) for name in MEMBERS])
    grid = simplex_grid(step)
    weights = np.array([[w[name] for name in MEMBERS] for w in grid])
    errors = weights @ stacked - np.asarray(target, dtype=np.float64)
    mse = np.mean(errors * errors, axis=1)
    best = int(np.argmin(mse))
    return grid[best], float(mse[best])


def signal_classes(values: np.ndarray, threshold: float | np.ndarray) -> np.ndarray:
    """BUY (1) above +threshold, SELL (-1) below -threshold, HOLD (0) otherwise."""
    values = np.asarray(values, dtype=np.float64)
    out = np.zeros(len(values), dtype=np.int8)
    out[values > threshold] = BUY
    out[values < -np.asarray(threshold)] = SELL
    return out


def long_only_log_return(
    signals: np.ndarray, next_log_returns: np.ndarray, fee_rate: float
) -> tuple[float, int]:
    """(after-fee log return, entries) of trading `signals` long-only (module docstring)."""
    state = np.where(signals == BUY, 1.0, np.where(signals == SELL, 0.0, np.nan))
    position = _forward_fill(state, initial=0.0)
    previous = np.concatenate([[0.0], position[:-1]])
    entries = int(np.sum((position == 1.0) & (previous == 0.0)))
    exits = int(np.sum((position == 0.0) & (previous == 1.0)))
    gross = float(np.sum(position * next_log_returns))
    return gross - entries * math.log1p(fee_rate) + exits * math.log1p(-fee_rate), entries


def tune_threshold(
    prediction: np.ndarray,
    next_log_returns: np.ndarray,
    fee_rate: float,
    grid: Sequence[float] = THRESHOLD_GRID,
) -> tuple[float, float]:
    """(threshold with the best after-fee validation return, that log return)."""
    best_threshold, best_return = float(max(grid)), -math.inf
    for threshold in sorted(grid, reverse=True):
        result, _ = long_only_log_return(
            signal_classes(prediction, threshold), next_log_returns, fee_rate
        )
        if result > best_return + 1e-12:
            best_threshold, best_return = float(threshold), result
    return best_threshold, best_return


def _forward_fill(values: np.ndarray, initial: float) -> np.ndarray:
    filled = np.where(np.isnan(values), -1, np.arange(len(values)))
    np.maximum.accumulate(filled, out=filled)
    out = np.full(len(values), initial)
    known = filled >= 0
    out[known] = values[filled[known]]
    return out
