"""Benchmark: compute_features against the bare TA-Lib calls it is made of.

Data: 1,000,000 one-minute candles of a seeded geometric random walk (BTC-like: start 30,000,
0.05 % standard deviation per minute, high/low a little outside open/close, lognormal volume),
on a continuous 1-minute UTC index. A random walk, not the shared files, because the shared
BTC + ETH 5m files hold 509,152 candles, not a million, and because the benchmark must run
where the shared data is absent; TA-Lib's cost does not depend on the values.

(a) ``compute_features(candles)``: validation, every TA-Lib call, the derived columns and the
    DataFrame; (b) the baseline: exactly the same TA-Lib functions with the same parameters,
    called directly on the numpy arrays, without the DataFrame or the derived arithmetic.
Each is timed best of `repeat` with time.perf_counter, its result dropped before the next run.
Target: (a) / (b) <= 1.5.

    .venv/bin/python bench/bench_features.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

# The baseline calls TA-Lib itself on purpose: it measures what TA-Lib alone costs.
import talib

from aurumbotx.features import compute_features

TARGET_RATIO = 1.5
DEFAULT_ROWS = 1_000_000
DEFAULT_REPEAT = 5


def make_candles(n: int, seed: int = 20240101) -> pd.DataFrame:
    """A candle frame of `n` one-minute candles: a seeded geometric random walk."""
    rng = np.random.default_rng(seed)
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 5e-4, n)))
    open_ = np.empty(n)
    open_[0] = close[0]
    open_[1:] = close[:-1]
    high = np.maximum(open_, close) * (1.0 + np.abs(rng.normal(0.0, 2e-4, n)))
    low = np.minimum(open_, close) * (1.0 - np.abs(rng.normal(0.0, 2e-4, n)))
    volume = rng.lognormal(2.0, 1.0, n)
    index = pd.date_range("2024-01-01", periods=n, freq="1min", tz="UTC", name="timestamp")
    frame = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )
    frame.attrs.update(pair="RW/USDT", timeframe="1m", source=f"random walk, seed {seed}")
    return frame


def talib_direct(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray
) -> list[Any]:
    """The TA-Lib calls of compute_features, same functions and parameters, nothing else."""
    returns = talib.ROCP(close, 1)
    return [
        returns,
        talib.STDDEV(returns, 20, 1.0),
        talib.BBANDS(close, 20, 2.0, 2.0, talib.MA_Type.SMA),
        talib.EMA(close, 20),
        talib.SMA(close, 50),
        talib.EMA(close, 50),
        talib.SMA(close, 200),
        talib.EMA(close, 200),
        talib.MACD(close, 12, 26, 9),
        talib.RSI(close, 14),
        talib.RSI(close, 28),
        talib.ROCP(close, 10),
        talib.ATR(high, low, close, 14),
        talib.ADX(high, low, close, 14),
        talib.MIN(low, 20),
        talib.MAX(high, 20),
        talib.SMA(volume, 20),
        talib.OBV(close, volume),
        talib.SUM(volume, 20),
    ]


def best_of(function: Callable[[], object], repeat: int) -> float:
    """Fastest of `repeat` timed calls, in seconds; each result is dropped before the next."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        del result
        best = min(best, elapsed)
    return best


def run(n: int = DEFAULT_ROWS, repeat: int = DEFAULT_REPEAT) -> dict[str, Any]:
    """Time compute_features and the bare TA-Lib baseline on `n` candles; figures in a dict."""
    candles = make_candles(n)
    arrays = [candles[name].to_numpy() for name in ("high", "low", "close", "volume")]
    features_s = best_of(lambda: compute_features(candles), repeat)
    talib_s = best_of(lambda: talib_direct(*arrays), repeat)
    ratio = features_s / talib_s
    return {
        "benchmark": "features",
        "rows": n,
        "data": candles.attrs["source"] + ", 1-minute candles",
        "repeat": repeat,
        "compute_features_s": features_s,
        "talib_direct_s": talib_s,
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio <= TARGET_RATIO,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit status 1 when the ratio misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.rows, args.repeat)
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"data: {figures['rows']:,} candles, {figures['data']}")
        print(f"compute_features     {figures['compute_features_s'] * 1e3:8.1f} ms")
        print(f"TA-Lib direct        {figures['talib_direct_s'] * 1e3:8.1f} ms")
        print(f"ratio                {figures['ratio']:8.2f}   (target <= {TARGET_RATIO})")
    return 0 if figures["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
