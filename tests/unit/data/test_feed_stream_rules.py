"""`StreamingFeed`'s rules on a scripted in-memory stream: pair order, grace, errors."""

from __future__ import annotations

import asyncio

import pytest

from aurumbotx.data.feed_stream import StreamingFeed
from aurumbotx.domain.errors import PermanentExchangeError, TemporaryExchangeError
from aurumbotx.testing.feeds import FeedRecorder, StubClock

TF = 60_000
BASE = 1_704_067_200_000  # 2024-01-01 00:00 UTC
BTC = "BTC/USDT"
ETH = "ETH/USDT"


def row(index: int, close: float) -> list[float]:
    return [BASE + index * TF, close, close + 1, close - 1, close, 1.0]


class StubStreamSource:
    """Websocket updates the test sends one by one, and REST klines from a dict."""

    def __init__(self, clock: StubClock) -> None:
        self.clock = clock
        self.queues: dict[str, asyncio.Queue[list[list[float]] | Exception]] = {}
        self.rest: dict[str, dict[int, list[float]]] = {}
        self.rest_failures = 0
        self.fetches: list[tuple[str, int]] = []
        self.closed = False

    def queue(self, pair: str) -> asyncio.Queue[list[list[float]] | Exception]:
        return self.queues.setdefault(pair, asyncio.Queue())

    def send(self, pair: str, *rows: list[float]) -> None:
        self.queue(pair).put_nowait(list(rows))

    def fail(self, pair: str, error: Exception) -> None:
        self.queue(pair).put_nowait(error)

    def put(self, pair: str, *rows: list[float]) -> None:
        for r in rows:
            self.rest.setdefault(pair, {})[int(r[0])] = r

    async def watch_ohlcv(self, pair: str, timeframe: str) -> list[list[float]]:
        item = await self.queue(pair).get()
        if isinstance(item, Exception):
            raise item
        return item

    async def fetch_ohlcv(
        self, pair: str, timeframe: str, since: int, limit: int
    ) -> list[list[float]]:
        self.fetches.append((pair, since))
        if self.rest_failures:
            self.rest_failures -= 1
            raise TemporaryExchangeError("exchange timed out: RequestTimeout")
        rows = sorted(r for ts, r in self.rest.get(pair, {}).items() if ts >= since)
        return rows[:limit]

    def milliseconds(self) -> int:
        return self.clock.now_ms()

    async def close(self) -> None:
        self.closed = True


def make_feed(source: StubStreamSource, clock: StubClock, pairs: list[str]) -> StreamingFeed:
    return StreamingFeed(
        source, pairs, "1m", history=2, poll_seconds=0.05, backoff=0.01, clock=clock.monotonic
    )


def seeded(clock: StubClock, *pairs: str) -> StubStreamSource:
    source = StubStreamSource(clock)
    for pair in pairs:
        source.put(pair, *(row(i, 100 + i) for i in range(10)))
    return source


async def test_pairs_are_released_together_in_time_then_bot_order() -> None:
    clock = StubClock(BASE + 10 * TF + 30_000)
    source = seeded(clock, ETH, BTC)
    feed = make_feed(source, clock, [ETH, BTC])
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 4, "history")
        clock.set(BASE + 11 * TF + 1_000)
        source.send(ETH, row(10, 20.0), row(11, 21.0))
        await asyncio.sleep(0.2)
        assert len(recorder.candles) == 4  # ETH's 10 waits for BTC's 10
        source.send(BTC, row(10, 200.0), row(11, 201.0))
        await recorder.wait_until(lambda: len(recorder.candles) == 6, "candle 10 of both")
    assert [(c.ts, c.pair, c.close) for c in recorder.candles[4:]] == [
        (BASE + 10 * TF, ETH, 20.0),
        (BASE + 10 * TF, BTC, 200.0),
    ]
    assert [(c.ts, c.pair) for c in recorder.candles[:4]] == [
        (BASE + 8 * TF, ETH),
        (BASE + 8 * TF, BTC),
        (BASE + 9 * TF, ETH),
        (BASE + 9 * TF, BTC),
    ]
    assert source.closed  # the stream closes its source on the way out


async def test_a_quiet_socket_leaves_the_closed_candle_to_rest_after_the_grace() -> None:
    clock = StubClock(BASE + 10 * TF + 30_000)
    source = seeded(clock, BTC)
    feed = make_feed(source, clock, [BTC])
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 2, "history")
        source.send(BTC, row(10, 1.0))  # a forming update; then the socket goes quiet
        source.put(BTC, row(10, 150.0))  # the exchange's final candle
        clock.set(BASE + 11 * TF + 2_000)  # closed, but within the 5 s grace
        await asyncio.sleep(0.2)
        assert len(recorder.candles) == 2
        assert (BTC, BASE + 10 * TF) not in source.fetches
        clock.set(BASE + 11 * TF + 6_000)
        await recorder.wait_until(lambda: len(recorder.candles) == 3, "candle 10 from REST")
    assert recorder.candles[2].close == 150.0
    assert feed.health.gaps_filled == 1


async def test_rest_errors_during_a_back_fill_are_retried_without_losing_a_candle() -> None:
    clock = StubClock(BASE + 10 * TF + 30_000)
    source = seeded(clock, BTC)
    feed = make_feed(source, clock, [BTC])
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 2, "history")
        source.put(BTC, row(10, 110.0), row(11, 111.0))
        source.rest_failures = 2
        clock.set(BASE + 12 * TF + 1_000)
        source.send(BTC, row(12, 112.0))  # 10 and 11 never came over the socket
        await recorder.wait_until(lambda: len(recorder.candles) == 4, "back-filled 10 and 11")
    assert [c.close for c in recorder.candles] == [108.0, 109.0, 110.0, 111.0]
    assert feed.health.errors == 2
    assert "RequestTimeout" in (feed.health.last_error or "")


async def test_a_permanent_error_ends_the_stream_with_that_error() -> None:
    clock = StubClock(BASE + 10 * TF + 30_000)
    source = seeded(clock, BTC)
    stream = make_feed(source, clock, [BTC]).stream()
    history = [await asyncio.wait_for(anext(stream), 5) for _ in range(2)]
    assert [c.close for c in history] == [108.0, 109.0]
    source.fail(BTC, PermanentExchangeError("unknown market: BTC/USDT"))
    with pytest.raises(PermanentExchangeError, match="unknown market"):
        await asyncio.wait_for(anext(stream), 5)
    assert source.closed


async def test_a_temporary_socket_error_is_retried() -> None:
    clock = StubClock(BASE + 10 * TF + 30_000)
    source = seeded(clock, BTC)
    feed = make_feed(source, clock, [BTC])
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 2, "history")
        source.fail(BTC, TemporaryExchangeError("exchange unavailable: closing code 1006"))
        clock.set(BASE + 11 * TF + 1_000)
        source.send(BTC, row(10, 110.0), row(11, 111.0))
        await recorder.wait_until(lambda: len(recorder.candles) == 3, "candle 10")
    assert feed.health.reconnects == 1
    assert recorder.candles[2].close == 110.0
