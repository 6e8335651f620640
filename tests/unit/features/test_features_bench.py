"""bench/bench_features.py stays runnable, and its baseline makes exactly our TA-Lib calls."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import talib

from aurumbotx.features import compute_features

BENCH = Path(__file__).parents[3] / "bench" / "bench_features.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_features", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_reports_both_timings_and_their_ratio(bench: ModuleType) -> None:
    figures = bench.run(3000, repeat=1)
    assert figures["rows"] == 3000
    assert figures["compute_features_s"] > 0
    assert figures["talib_direct_s"] > 0
    assert figures["ratio"] == figures["compute_features_s"] / figures["talib_direct_s"]
    assert figures["meets_target"] == (figures["ratio"] <= 1.5)


def test_the_random_walk_is_a_valid_candle_frame(bench: ModuleType) -> None:
    candles = bench.make_candles(5000)
    assert len(candles) == 5000
    assert candles.index.is_monotonic_increasing
    assert str(candles.index.tz) == "UTC"
    assert (candles["high"] >= candles[["open", "close"]].max(axis=1)).all()
    assert (candles["low"] <= candles[["open", "close"]].min(axis=1)).all()
    assert (candles["volume"] > 0).all()
    np.testing.assert_array_equal(bench.make_candles(100)["close"], candles["close"][:100])


def test_the_baseline_calls_what_compute_features_calls(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: Counter[tuple[object, ...]] = Counter()

    def recording(name: str) -> object:
        original = getattr(talib, name)

        def record(*args: object) -> object:
            calls[(name, *(arg for arg in args if not isinstance(arg, np.ndarray)))] += 1
            return original(*args)

        return record

    for name in ("ROCP", "STDDEV", "BBANDS", "EMA", "SMA", "MACD", "RSI", "ATR", "ADX",
                 "MIN", "MAX", "OBV", "SUM"):  # fmt: skip
        monkeypatch.setattr(talib, name, recording(name))
    candles = bench.make_candles(500)
    compute_features(candles)
    ours, calls = calls.copy(), Counter()
    bench.talib_direct(*(candles[name].to_numpy() for name in ("high", "low", "close", "volume")))
    assert calls == ours
    assert sum(ours.values()) == 19
