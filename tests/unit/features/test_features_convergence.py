"""Where history starts: seeded features forget their seed, windowed ones barely notice.

Measured on the real BTC/USDT 1h history (64,524 candles): features computed from candle s
onwards are compared with those computed from the first candle, for several s. The figures
quoted in docs/features.md come from this measurement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurumbotx.features import FEATURE_COLUMNS, compute_features, min_history
from aurumbotx.features.definitions import SEED_DECAY
from aurumbotx.testing.market import load_shared_candles

RTOL = 1e-9
OFFSETS = (500, 5000, 12000, 20000, 30000, 40000, 50000, 60000)
SEEDED = (*SEED_DECAY, "macd_signal", "macd_hist", "market_condition_volatility")
PRICE_DIFFERENCES = ("macd", "macd_signal", "macd_hist")  # cross zero: scaled by the close
BOUNDED = ("obv",)  # in [-1, 1], crosses zero: scaled by 1


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_shared_candles("binance_BTC-USDT_1h")


@pytest.fixture(scope="module")
def measured(candles: pd.DataFrame) -> dict[str, list[int]]:
    """Per feature and offset: candles of history after which every row agrees to RTOL."""
    full = compute_features(candles)
    close = candles["close"].to_numpy()
    needed: dict[str, list[int]] = {name: [] for name in FEATURE_COLUMNS}
    for start in OFFSETS:
        late = compute_features(candles.iloc[start:])
        for name in FEATURE_COLUMNS:
            got, want = late[name].to_numpy(), full[name].to_numpy()[start:]
            if name in PRICE_DIFFERENCES:
                scale = close[start:]
            elif name in BOUNDED:
                scale = np.ones_like(want)
            else:
                scale = np.abs(want)
            agree = (got == want) | (np.abs(got - want) <= RTOL * scale) | np.isnan(got)
            disagreeing = np.flatnonzero(~agree)
            needed[name].append(int(disagreeing[-1]) + 1 if disagreeing.size else 0)
    return needed


def test_seeded_features_converge_within_min_history(measured: dict[str, list[int]]) -> None:
    limit = min_history(RTOL)
    for name in SEEDED:
        assert 0 < max(measured[name]) <= limit, (name, measured[name])
    # ema_200 sets the limit: it needs well over a thousand candles, so the bound is not idle.
    assert 1000 < min(measured["ema_200"]) <= max(measured["ema_200"]) < limit


def test_seeded_features_need_about_what_their_decay_predicts(
    measured: dict[str, list[int]],
) -> None:
    # A seed error of at most 100 % shrinks by `decay` per candle; ADX smooths twice (DX from
    # smoothed DM/TR, then ADX), which costs it a few dozen candles more than one pole.
    for name, decay in SEED_DECAY.items():
        one_pole = np.log(RTOL) / np.log(decay)
        assert 0.5 * one_pole < max(measured[name]) < 1.3 * one_pole + 40, (name, measured[name])


def test_unseeded_features_do_not_depend_on_the_start(measured: dict[str, list[int]]) -> None:
    for name in FEATURE_COLUMNS:
        if name not in SEEDED:
            assert measured[name] == [0] * len(OFFSETS), name
