"""The incremental live sources give `populate`'s last row at every candle, on real candles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import DataError
from aurumbotx.domain.trading import Signal
from aurumbotx.strategies.base import LiveSignals, Strategy
from aurumbotx.strategies.live import UndecidedSignal, populate_window
from aurumbotx.strategies.registry import create_strategy
from aurumbotx.testing.market import load_shared_candles


def _expected(strategy: Strategy, candles: pd.DataFrame) -> Signal | None:
    """What the bot makes of `populate`'s last row (engine.bot.BotRunner.signal).

    The raw row: the warm-up rule (no signal before `startup_candles`) is the bot's gate,
    applied before a source is asked, and `compute_signals` applies it to `populate`.
    """
    row = strategy.populate(candles).iloc[-1]
    enter, leave = bool(row["enter_long"]), bool(row["exit_long"])
    if not (enter or leave):
        return None
    data: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, bool | np.bool_):
            data[str(key)] = bool(value)
        elif isinstance(value, float | np.floating) and np.isfinite(value):
            data[str(key)] = float(value)
    return Signal(enter=enter, exit=leave, data=data)


def _assert_same(got: Signal | None, expected: Signal | None, close: float, t: int) -> None:
    """Same decision; the same indicator values, the streamed EMA/MACD/Bollinger ones within
    their measured last-bit difference from TA-Lib's (5.1e-13 of the close at most)."""
    assert (got is None) == (expected is None), f"candle {t}: {got} != {expected}"
    if got is None or expected is None:
        return
    assert (got.enter, got.exit) == (expected.enter, expected.exit), f"candle {t}"
    assert got.data is not None
    assert expected.data is not None
    assert list(got.data) == list(expected.data), f"candle {t}"
    for key, value in expected.data.items():
        assert got.data[key] == pytest.approx(value, rel=0, abs=1e-12 * close), (t, key)


def _candle(candles: pd.DataFrame, i: int) -> Candle:
    ts = int(candles.index[i].value // 1_000_000)
    values = candles.iloc[i][["open", "high", "low", "close", "volume"]]
    o, h, low, c, v = (float(x) for x in values)
    return Candle(candles.attrs["pair"], ts, o, h, low, c, v)


def _stream(strategy: Strategy, candles: pd.DataFrame, start: int, warm: int) -> dict[str, int]:
    """History candles[start:warm], then every later candle; each checked against populate."""
    source: LiveSignals | None = strategy.live_signals(candles.iloc[start:warm])
    assert source is not None
    counts = {"candles": 0, "signals": 0, "undecided": 0}
    for t in range(warm, len(candles)):
        expected = _expected(strategy, candles.iloc[start : t + 1])
        try:
            got = source.on_candle(_candle(candles, t))
        except UndecidedSignal:
            counts["undecided"] += 1  # the bot asks populate: exact by construction
            continue
        _assert_same(got, expected, candles["close"].iloc[t], t)
        counts["candles"] += 1
        counts["signals"] += expected is not None
    return counts


@pytest.fixture(scope="module")
def btc_1h() -> pd.DataFrame:
    """BTC/USDT 1h candles 0..2599: two outages (gaps) inside, as the bot replays them."""
    return load_shared_candles("binance_BTC-USDT_1h", 2_600)


@pytest.fixture(scope="module")
def btc_1m() -> pd.DataFrame:
    """3,000 BTC/USDT 1m candles."""
    return load_shared_candles("binance_BTC-USDT_1m", 3_000)


CASES = [
    ("sma_cross", {}, "btc_1h", 40),
    ("sma_cross", {"fast": 3, "slow": 7}, "btc_1m", 30),
    ("swing", {}, "btc_1h", 5),
    ("swing", {"adx_min": 0.1, "rsi_min": 30.0}, "btc_1m", 5),
    ("scalping", {}, "btc_1m", 20),
    ("scalping", {"rsi_entry": 40.0, "volume_ratio_min": 0.5}, "btc_1h", 20),
]


@pytest.mark.parametrize(("name", "params", "data", "min_signals"), CASES)
def test_source_equals_populate_from_the_first_candle(
    name: str, params: dict[str, Any], data: str, min_signals: int, request: pytest.FixtureRequest
) -> None:
    """From an empty history: the warm-up rows (no signal) first, then every signal."""
    candles = request.getfixturevalue(data).iloc[:2_000]
    counts = _stream(create_strategy(name, params), candles, 0, 0)
    assert counts["signals"] >= min_signals
    assert counts["undecided"] <= len(candles) // 100


@pytest.mark.parametrize(("name", "params", "data", "min_signals"), CASES)
def test_source_equals_populate_on_a_truncated_history(
    name: str, params: dict[str, Any], data: str, min_signals: int, request: pytest.FixtureRequest
) -> None:
    """A history cut mid-series (the bot keeps a bounded one), shorter than the warm-up."""
    candles = request.getfixturevalue(data)
    counts = _stream(create_strategy(name, params), candles, 900, 1_000)
    assert counts["signals"] >= min_signals
    assert counts["undecided"] <= len(candles) // 100


def test_sources_refuse_what_populate_refuses(btc_1m: pd.DataFrame) -> None:
    """A non-finite close fails like compute_features does, and leaves the state untouched."""
    for name in ("sma_cross", "swing", "scalping"):
        strategy = create_strategy(name, {})
        source = strategy.live_signals(btc_1m.iloc[:300])
        assert source is not None
        bad = _candle(btc_1m, 300)
        bad.close = float("nan")
        with pytest.raises(DataError):
            source.on_candle(bad)
        expected = _expected(strategy, btc_1m.iloc[:301])
        assert source.on_candle(_candle(btc_1m, 300)) == expected


def test_populate_window_is_generous_and_bounded() -> None:
    """max(1,000, 20 x startup): the rule for strategies without a live source."""
    assert populate_window(0) == 1_000
    assert populate_window(51) == 1_020
    assert populate_window(200) == 4_000
