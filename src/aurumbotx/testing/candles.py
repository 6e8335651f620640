"""Candle test kit: a `shared_data` fixture and synthetic candle makers.

The shared real files are found by `aurumbotx.testing.market` (``<repo>/../shared/data``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurumbotx.data.frames import make_frame
from aurumbotx.domain.timeframes import timeframe_to_ms
from aurumbotx.testing.market import require_shared_file, shared_data_dir


@pytest.fixture
def shared_data() -> Path:
    """The shared candle folder (skips the test when absent; fails it under CI=true)."""
    require_shared_file("README.md")
    return shared_data_dir()


def make_random_candles(
    rows: int,
    timeframe: str = "1h",
    start: str = "2024-01-01",
    *,
    seed: int = 0,
    price: float = 100.0,
) -> pd.DataFrame:
    """A valid candle frame of a random walk: on the grid, high/low around open/close."""
    rng = np.random.default_rng(seed)
    step = timeframe_to_ms(timeframe)
    first = int(pd.Timestamp(start, tz="UTC").value // 1_000_000)
    ts = first - first % step + np.arange(rows, dtype=np.int64) * step
    # Two decimals, like a USDT price: values survive text round trips exactly.
    close = np.round(price * np.exp(np.cumsum(rng.normal(0, 0.002, rows))), 2)
    open_ = np.r_[np.round(price, 2), close[:-1]]
    high = np.round(np.maximum(open_, close) + rng.random(rows) * price * 0.001, 2)
    low = np.round(np.minimum(open_, close) - rng.random(rows) * price * 0.001, 2)
    volume = np.round(rng.random(rows) * 10, 6)
    columns = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    return make_frame(ts, columns, timeframe=timeframe)
