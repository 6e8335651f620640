"""StreamingFeatures: real candles streamed one by one give compute_features' rows, O(1) memory.

Data: the shared Binance 1h histories. Their first gaps (exchange outages) come before rows
493, 3354, 4190 and 7470, so the updater is warmed on rows 0..4190 (gaps included, as
compute_features takes them) and then fed rows 4191..7190, which follow each other without a
gap. Each streamed row is compared with the same row of compute_features over rows 0..7190.

The measure: |streamed - expected| / max(|expected|, tiny), except for the MACD family, which
crosses zero and is a difference of prices (scaled by the close, as the convergence test does),
and obv, which crosses zero inside [-1, 1] (scaled by 1). NaN positions must be identical.
"""

from __future__ import annotations

import importlib.util
import math
import tracemalloc
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import DataError, InvalidInputError
from aurumbotx.features import FEATURE_COLUMNS, compute_features
from aurumbotx.features.streaming import StreamingFeatures
from aurumbotx.testing.market import load_shared_candles

RTOL = 1e-9
WARM, STREAM = 4191, 3000  # rows 4190..7469 have no gap in the BTC and ETH 1h files
PRICE_DIFFERENCES = ("macd", "macd_signal", "macd_hist")
BOUNDED = ("obv",)
BENCH = Path(__file__).parents[3] / "bench" / "bench_features_live.py"


def make_candles(frame: pd.DataFrame) -> list[Candle]:
    """One Candle per row of a candle frame."""
    times = frame.index.as_unit("ms").asi8.tolist()
    rows = frame[["open", "high", "low", "close", "volume"]].itertuples(index=False, name=None)
    return [Candle(frame.attrs["pair"], ts, *row) for ts, row in zip(times, rows, strict=True)]


def stream(candles: pd.DataFrame, warm: int) -> np.ndarray:
    """Rows warm.. of candles, each from StreamingFeatures.update after a warm-up on ..warm."""
    streaming = StreamingFeatures.from_history(candles.iloc[:warm])
    return np.vstack([streaming.update(candle) for candle in make_candles(candles.iloc[warm:])])


def relative_differences(
    streamed: np.ndarray, expected: pd.DataFrame, close: np.ndarray
) -> dict[str, float]:
    """Per feature, the largest difference in the measure of the module docstring."""
    worst = {}
    for j, name in enumerate(FEATURE_COLUMNS):
        got, want = streamed[:, j], expected[name].to_numpy()
        assert np.array_equal(np.isnan(got), np.isnan(want)), f"{name}: NaN rows differ"
        if name in PRICE_DIFFERENCES:
            scale = close
        elif name in BOUNDED:
            scale = np.ones_like(want)
        else:
            scale = np.maximum(np.abs(want), np.finfo(np.float64).tiny)
        defined = ~np.isnan(want)
        differences = np.abs(got - want)[defined] / scale[defined]
        worst[name] = float(differences.max()) if differences.size else 0.0
    return worst


def assert_streams_like_compute_features(candles: pd.DataFrame, warm: int) -> dict[str, float]:
    """Stream candles[warm:], compare with compute_features(candles); the worst differences."""
    streamed = stream(candles, warm)
    expected = compute_features(candles).iloc[warm:]
    worst = relative_differences(streamed, expected, candles["close"].to_numpy()[warm:])
    too_far = {name: value for name, value in worst.items() if not value <= RTOL}
    assert not too_far, too_far
    return worst


@pytest.fixture(scope="module", params=["binance_BTC-USDT_1h", "binance_ETH-USDT_1h"])
def candles(request: pytest.FixtureRequest) -> pd.DataFrame:
    return load_shared_candles(request.param, rows=WARM + STREAM)


def test_streamed_rows_equal_compute_features(candles: pd.DataFrame) -> None:
    worst = assert_streams_like_compute_features(candles, WARM)
    # Bit for bit where TA-Lib only adds, subtracts and divides: its running totals are
    # carried from the first candle, never re-summed from the window.
    exact = ("returns", "sma_20", "sma_200", "bb_middle", "volume_ma", "obv", "support")
    assert all(worst[name] == 0.0 for name in exact), worst


def test_a_long_history_streams_like_compute_features() -> None:
    """Warm-up on 60,000 candles: running totals carried that long still agree bit for bit."""
    history = load_shared_candles("binance_BTC-USDT_1h")  # no gap from row 48,962 on
    worst = assert_streams_like_compute_features(history, 60_000)
    assert worst["sma_200"] == worst["volume_ma"] == 0.0


@pytest.mark.parametrize("warm", [0, 1, 30, 150])
def test_warm_up_rows_are_nan_where_compute_features_is(warm: int) -> None:
    history = load_shared_candles("binance_BTC-USDT_1h", rows=450)  # no gap before row 493
    streamed = stream(history, warm)
    assert np.isnan(streamed[0]).any()
    assert not np.isnan(streamed[-1]).any()
    assert_streams_like_compute_features(history, warm)


def make_dead_market(n: int = 400, seed: int = 7) -> pd.DataFrame:
    """A 1h candle frame that starts flat with no volume, then walks, with a silent stretch."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    close[:40] = 100.0  # no change, no range: RSI 0, ADX without direction, std 0
    spread = np.abs(rng.normal(0.0, 0.005, n)) * close
    spread[:40] = 0.0
    volume = rng.lognormal(1.0, 1.0, n)
    volume[:40] = 0.0
    volume[200:230] = 0.0  # 30 candles without trades: volume_ma 0, no ratio, no flow
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC", name="timestamp")
    frame = pd.DataFrame(
        {"open": close, "high": close + spread, "low": close - spread, "close": close},
        index=index,
    )
    frame["volume"] = volume
    frame.attrs.update(pair="DEAD/USDT", timeframe="1h")
    return frame


def test_flat_and_silent_markets_stream_like_compute_features() -> None:
    assert_streams_like_compute_features(make_dead_market(), 0)
    expected = compute_features(make_dead_market())
    assert (expected["rsi_14"].iloc[14:40] == 0.0).all()  # the edge cases were exercised
    assert expected["volume_ratio"].iloc[219:230].isna().all()


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    return load_shared_candles("binance_BTC-USDT_1h", rows=WARM + 50)


def test_a_gap_is_refused_with_what_to_do(btc: pd.DataFrame) -> None:
    streaming = StreamingFeatures.from_history(btc.iloc[:WARM])
    following = make_candles(btc.iloc[WARM : WARM + 3])
    with pytest.raises(DataError, match=r"gap .* 1 1h candle\(s\) missing") as error:
        streaming.update(following[1])
    assert "back-fill" in str(error.value)
    assert "from_history" in str(error.value)
    # Nothing was taken in: the missing candle, then the refused one, continue exactly.
    rows = [streaming.update(candle) for candle in following]
    expected = compute_features(btc.iloc[: WARM + 3]).to_numpy()[WARM:]
    np.testing.assert_allclose(np.vstack(rows), expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize(
    ("shift_ms", "message"),
    [
        (0, "not after the last one"),
        (-3_600_000, "not after the last one"),
        (1_800_000, "off the 1h grid"),
        (7_200_000, "1 1h candle"),
    ],
)
def test_a_candle_that_is_not_the_next_one_is_refused(
    btc: pd.DataFrame, shift_ms: int, message: str
) -> None:
    streaming = StreamingFeatures.from_history(btc.iloc[:WARM])
    last = make_candles(btc.iloc[WARM - 1 : WARM])[0]
    candle = Candle(last.pair, last.ts + shift_ms, 1.0, 2.0, 1.0, 1.5, 3.0)
    before = streaming.candles_seen
    with pytest.raises(DataError, match=message):
        streaming.update(candle)
    assert streaming.candles_seen == before
    assert streaming.last_timestamp == last.ts


@pytest.mark.parametrize(
    ("field", "value"),
    [("close", math.nan), ("high", 0.0), ("low", -1.0), ("volume", math.inf), ("volume", -1.0)],
)
def test_a_candle_with_bad_values_is_refused(btc: pd.DataFrame, field: str, value: float) -> None:
    streaming = StreamingFeatures.from_history(btc.iloc[:WARM])
    candle = make_candles(btc.iloc[WARM : WARM + 1])[0]
    setattr(candle, field, value)
    with pytest.raises(DataError, match="must be finite"):
        streaming.update(candle)
    assert streaming.candles_seen == WARM


def test_a_candle_of_another_pair_is_refused(btc: pd.DataFrame) -> None:
    streaming = StreamingFeatures.from_history(btc.iloc[:WARM])
    candle = make_candles(btc.iloc[WARM : WARM + 1])[0]
    candle.pair = "ETH/USDT"
    with pytest.raises(DataError, match="one StreamingFeatures per pair"):
        streaming.update(candle)


def test_history_needs_a_timeframe_that_fits_it(btc: pd.DataFrame) -> None:
    history = btc.iloc[:300].copy()
    history.attrs = {}
    with pytest.raises(InvalidInputError, match="needs the timeframe"):
        StreamingFeatures.from_history(history)
    with pytest.raises(DataError, match="wrong timeframe"):
        StreamingFeatures.from_history(history, timeframe="4h")
    streaming = StreamingFeatures.from_history(history, timeframe="1h")
    assert streaming.timeframe == "1h"
    assert streaming.last_timestamp == history.index[-1].value // 1_000_000


def test_an_empty_state_starts_anywhere_then_follows_the_grid(btc: pd.DataFrame) -> None:
    streaming = StreamingFeatures("1h", pair="BTC/USDT")
    first, second, third = make_candles(btc.iloc[10:13])
    row = streaming.update_dict(first)
    assert list(row) == list(FEATURE_COLUMNS)
    assert all(math.isnan(value) for value in row.values())  # one candle: nothing defined yet
    assert streaming.update_dict(second)["returns"] == (second.close - first.close) / first.close
    with pytest.raises(DataError, match="gap"):
        streaming.update(Candle(third.pair, third.ts + 3_600_000, 1.0, 2.0, 1.0, 1.5, 0.0))
    assert streaming.update(third).shape == (len(FEATURE_COLUMNS),)


def test_memory_does_not_grow_with_updates(btc: pd.DataFrame) -> None:
    history = load_shared_candles("binance_BTC-USDT_1h", rows=WARM + STREAM)
    streaming = StreamingFeatures.from_history(history.iloc[:WARM])
    buffered = streaming.buffered_values
    assert buffered == 382  # SMA 20/50/200, 20 returns, 11 closes, highs, lows, volumes, OBV
    fresh = make_candles(history.iloc[WARM:])
    for candle in fresh[:1000]:
        streaming.update(candle)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for candle in fresh[1000:]:
            streaming.update(candle)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert streaming.buffered_values == buffered
    assert streaming.candles_seen == WARM + STREAM
    assert grown < 4096, f"{grown} bytes more after {STREAM - 1000} updates"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_features_live", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_reports_both_latencies(bench: ModuleType) -> None:
    figures = bench.run(history=600, updates=50)
    assert figures["history"] == 600
    assert 0 < figures["streaming"]["p50_us"] <= figures["streaming"]["p99_us"]
    assert 0 < figures["naive"]["p50_us"] <= figures["naive"]["p99_us"]
    assert figures["speedup_p99"] == figures["naive"]["p99_us"] / figures["streaming"]["p99_us"]
    assert figures["streaming_max_rel_diff"] <= RTOL
    # 600 candles of history: the naive 500-candle window has not forgotten its EMA seeds.
    assert figures["naive_max_rel_diff"] > RTOL
