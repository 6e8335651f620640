"""The websocket live feed (`StreamingFeed`) with real ccxt.pro against the Binance emulator.

Real sockets on loopback: REST history and back-fill through the emulator's klines endpoint,
live updates through its websocket kline stream. The exchange clock is a `StubClock`, so a
candle closes when the test says so, never because a wall-clock minute happened to pass.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from aurumbotx.data.feed_stream import StreamingFeed
from aurumbotx.domain.candles import Candle
from aurumbotx.execution.ccxt.stream import CcxtOhlcvStream
from aurumbotx.testing.emulator.server import BinanceEmulator
from aurumbotx.testing.feeds import FeedRecorder, StubClock

TF = 60_000
BASE = 1_704_067_200_000  # 2024-01-01 00:00 UTC
PAIR = "BTC/USDT"
KLINES = "/api/v3/klines"
BACKOFF = 0.3


def row(index: int, close: float) -> list[float]:
    return [BASE + index * TF, close - 1, close + 2, close - 2, close, 3.0]


def candle(index: int, close: float) -> Candle:
    return Candle(PAIR, BASE + index * TF, close - 1, close + 2, close - 2, close, 3.0)


def times(*indexes: int) -> list[int]:
    return [BASE + i * TF for i in indexes]


@pytest.fixture
def emulator() -> Iterator[BinanceEmulator]:
    """The emulator with 100 closed 1m candles of BTC/USDT (indexes 0-99)."""
    with BinanceEmulator() as emu:
        emu.add_market(PAIR)
        for i in range(100):
            emu.push_kline(PAIR, "1m", row(i, 100 + i))
        yield emu


def make_feed(emu: BinanceEmulator, clock: StubClock) -> StreamingFeed:
    source = CcxtOhlcvStream("binance", base_url=emu.base_url, timeout_seconds=3)
    return StreamingFeed(
        source,
        [PAIR],
        "1m",
        history=50,
        poll_seconds=0.1,
        backoff=BACKOFF,
        clock=clock.monotonic,
        now_ms=clock.now_ms,
    )


async def subscribed(recorder: FeedRecorder, emu: BinanceEmulator) -> None:
    await recorder.wait_until(lambda: emu.ws_subscribers(PAIR, "1m") == 1, "a subscription")


def rest_starts(emu: BinanceEmulator) -> list[int]:
    return [int(r.params["startTime"]) for r in emu.requests(KLINES) if "startTime" in r.params]


async def test_history_then_live_candles_once_closed(emulator: BinanceEmulator) -> None:
    clock = StubClock(BASE + 100 * TF + 30_000)  # candle 100 is forming
    feed = make_feed(emulator, clock)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 50, "history")
        assert recorder.candles == [candle(i, 100 + i) for i in range(50, 100)]
        assert feed.history_end == BASE + 99 * TF
        await subscribed(recorder, emulator)
        emulator.clear_requests()
        for close in (150.0, 151.0):
            assert emulator.push_kline(PAIR, "1m", row(100, close), closed=False) == 1
        assert emulator.push_kline(PAIR, "1m", row(100, 152.0), closed=True) == 1
        await asyncio.sleep(0.3)
        assert len(recorder.candles) == 50  # nothing newer has started: not emitted yet
        clock.set(BASE + 101 * TF + 500)
        emulator.push_kline(PAIR, "1m", row(101, 153.0), closed=False)
        await recorder.wait_until(lambda: len(recorder.candles) == 51, "candle 100")
        await asyncio.sleep(0.3)
    assert recorder.candles[50:] == [candle(100, 152.0)]  # final values; 101 still forming
    assert rest_starts(emulator) == []  # it came from the socket, not from REST


async def test_a_dropped_socket_reconnects_and_back_fills_what_it_missed(
    emulator: BinanceEmulator,
) -> None:
    clock = StubClock(BASE + 100 * TF + 30_000)
    feed = make_feed(emulator, clock)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 50, "history")
        await subscribed(recorder, emulator)
        emulator.push_kline(PAIR, "1m", row(100, 150.0), closed=True)
        clock.set(BASE + 101 * TF + 500)
        emulator.push_kline(PAIR, "1m", row(101, 160.0), closed=False)
        await recorder.wait_until(lambda: len(recorder.candles) == 51, "candle 100")
        dropped_at = time.time()
        assert emulator.drop_ws_connections() == 1
        clock.set(BASE + 102 * TF + 500)
        # Sent while the socket is down: only REST will ever show these.
        assert emulator.push_kline(PAIR, "1m", row(101, 161.0), closed=True) == 0
        assert emulator.push_kline(PAIR, "1m", row(102, 170.0), closed=True) == 0
        await subscribed(recorder, emulator)
        clock.set(BASE + 103 * TF + 500)
        emulator.push_kline(PAIR, "1m", row(103, 180.0), closed=False)
        await recorder.wait_until(lambda: len(recorder.candles) == 53, "the missed candles")
        await asyncio.sleep(0.3)
    assert recorder.times() == times(*range(50, 103))  # no gap, no duplicate
    # 101's last update on the old socket (160) was not final: its values come from REST.
    assert recorder.candles[51:] == [candle(101, 161.0), candle(102, 170.0)]
    assert BASE + 101 * TF in rest_starts(emulator)
    assert feed.health.reconnects >= 1
    assert feed.health.gaps_filled >= 1
    reconnects = [r.time for r in emulator.requests() if r.path.startswith("/ws")][1:]
    assert reconnects
    assert reconnects[0] - dropped_at >= BACKOFF  # it waited before reconnecting


async def test_stale_when_no_candle_closes_for_two_timeframes(
    emulator: BinanceEmulator,
) -> None:
    clock = StubClock(BASE + 100 * TF + 30_000)
    feed = make_feed(emulator, clock)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 50, "history")
        await subscribed(recorder, emulator)
        assert not feed.stale
        clock.advance(119)  # the socket is up but the market has gone quiet
        await asyncio.sleep(0.3)
        assert not feed.stale
        clock.advance(2)
        assert feed.stale
        emulator.push_kline(PAIR, "1m", row(100, 150.0), closed=True)
        emulator.push_kline(PAIR, "1m", row(101, 151.0), closed=True)
        emulator.push_kline(PAIR, "1m", row(102, 152.0), closed=False)
        await recorder.wait_until(lambda: len(recorder.candles) == 52, "candles again")
        assert not feed.stale
    assert recorder.times() == times(*range(50, 102))
