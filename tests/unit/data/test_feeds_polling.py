"""The REST live feed (`PollingFeed`) on an in-memory exchange and a clock moved by hand."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from types import SimpleNamespace

import pytest

from aurumbotx.data import feeds
from aurumbotx.data.feeds import FETCH_LIMIT, PollingFeed
from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import TemporaryExchangeError
from aurumbotx.testing.feeds import FeedRecorder, StubClock

TF = 60_000
BASE = 1_704_067_200_000  # 2024-01-01 00:00 UTC
BTC = "BTC/USDT"
ETH = "ETH/USDT"
POLL = 0.25


class StubOhlcvSource:
    """An exchange's klines in memory: the forming candle included, as real exchanges serve."""

    def __init__(self, clock: StubClock) -> None:
        self.clock = clock
        self.rows: dict[str, dict[int, list[float]]] = {}
        self.failures = 0
        self.calls: list[tuple[str, int]] = []
        self.lock = threading.Lock()  # the feed polls from a worker thread

    def put(self, pair: str, index: int, close: float) -> None:
        ts = BASE + index * TF
        with self.lock:
            self.rows.setdefault(pair, {})[ts] = [ts, close, close + 1, close - 1, close, 2.0]

    def fetch_ohlcv(self, pair: str, timeframe: str, since: int, limit: int) -> list[list[float]]:
        with self.lock:
            self.calls.append((pair, since))
            if self.failures:
                self.failures -= 1
                raise TemporaryExchangeError("exchange unavailable: 503 Service Unavailable")
            rows = sorted(r for ts, r in self.rows.get(pair, {}).items() if ts >= since)
        return [list(r) for r in rows[:limit]]

    def milliseconds(self) -> int:
        return self.clock.now_ms()


def candle(pair: str, index: int, close: float) -> Candle:
    return Candle(pair, BASE + index * TF, close, close + 1, close - 1, close, 2.0)


def times(*indexes: int) -> list[int]:
    return [BASE + i * TF for i in indexes]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The feed's sleeps (backoff and poll interval), recorded and cut to 5 ms."""
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        await real_sleep(0.005)

    monkeypatch.setattr(feeds, "asyncio", SimpleNamespace(sleep=sleep, to_thread=asyncio.to_thread))
    return delays


def btc_source(clock: StubClock, indexes: Iterable[int]) -> StubOhlcvSource:
    """A source holding BTC candles at `indexes`, candle i closing at 100 + i."""
    source = StubOhlcvSource(clock)
    for i in indexes:
        source.put(BTC, i, 100 + i)
    return source


def make_feed(
    source: StubOhlcvSource, clock: StubClock, pairs: list[str] | None = None, **options: float
) -> PollingFeed:
    return PollingFeed(
        source,
        pairs or [BTC],
        "1m",
        history=int(options.pop("history", 5)),
        poll_seconds=POLL,
        clock=clock.monotonic,
        **options,
    )


async def test_history_then_only_closed_candles(sleeps: list[float]) -> None:
    clock = StubClock(BASE + 10 * TF + 30_000)  # candle 10 is forming
    source = btc_source(clock, range(11))
    feed = make_feed(source, clock)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 5, "history")
        assert recorder.candles == [candle(BTC, i, 100 + i) for i in range(5, 10)]
        assert feed.history_end == BASE + 9 * TF
        source.put(BTC, 10, 150)  # a later update of the forming candle
        await asyncio.sleep(0.1)
        assert len(recorder.candles) == 5  # forming: not emitted
        source.put(BTC, 11, 151)
        clock.set(BASE + 11 * TF)  # candle 10 closes, 11 starts
        await recorder.wait_until(lambda: len(recorder.candles) == 6, "candle 10 closes")
        await asyncio.sleep(0.1)
    assert recorder.candles[5:] == [candle(BTC, 10, 150)]
    assert POLL in sleeps  # it waits a poll interval when nothing is new


async def test_candles_that_closed_between_polls_are_back_filled_in_order(
    sleeps: list[float],
) -> None:
    clock = StubClock(BASE + 10 * TF + 1_000)
    source = btc_source(clock, range(10))
    feed = make_feed(source, clock)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 5, "history")
        for i in range(10, 15):
            source.put(BTC, i, 200 + i)
        clock.set(BASE + 14 * TF + 1_000)  # four candles closed at once, 14 forming
        await recorder.wait_until(lambda: len(recorder.candles) == 9, "the four closed ones")
        await asyncio.sleep(0.1)
    assert recorder.times() == times(*range(5, 14))
    assert [c.close for c in recorder.candles[5:]] == [210, 211, 212, 213]
    assert feed.health.gaps_filled == 0  # nothing missing on the exchange


async def test_temporary_errors_back_off_exponentially_then_catch_up(
    sleeps: list[float],
) -> None:
    clock = StubClock(BASE + 10 * TF + 1_000)
    source = btc_source(clock, range(10))
    feed = make_feed(source, clock, max_backoff=3.0)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 5, "history")
        with source.lock:
            source.failures = 4
        for i in range(10, 13):
            source.put(BTC, i, 300 + i)
        clock.set(BASE + 12 * TF + 1_000)
        await recorder.wait_until(
            lambda: len(recorder.candles) == 7, "the candles after the outage"
        )
    backoffs = [d for d in sleeps if d != POLL]
    assert backoffs == [1.0, 2.0, 3.0, 3.0]  # doubling, capped at max_backoff
    assert feed.health.errors == 4
    assert feed.health.reconnects == 4
    assert "503" in (feed.health.last_error or "")
    assert recorder.times() == times(*range(5, 12))  # no gap, no duplicate


async def test_a_candle_missing_on_the_exchange_is_skipped_and_counted(
    sleeps: list[float],
) -> None:
    clock = StubClock(BASE + 10 * TF + 1_000)
    source = btc_source(clock, (*range(7), 8, 9))
    feed = make_feed(source, clock)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 4, "history")
        await asyncio.sleep(0.05)
    assert recorder.times() == times(5, 6, 8, 9)
    assert feed.health.gaps_filled == 1


async def test_long_history_is_fetched_page_by_page(sleeps: list[float]) -> None:
    count = FETCH_LIMIT + 300
    clock = StubClock(BASE + count * TF + 1_000)
    source = btc_source(clock, range(count))
    feed = make_feed(source, clock, history=count - 1)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= count - 1, "history")
    assert recorder.times() == times(*range(1, count))
    first_poll = [since for _, since in source.calls[:2]]
    assert first_poll == [BASE + 1_000, BASE + (FETCH_LIMIT + 1) * TF]


async def test_stale_after_two_timeframes_without_a_candle(sleeps: list[float]) -> None:
    clock = StubClock(BASE + 10 * TF + 30_000)
    source = btc_source(clock, range(10))
    feed = make_feed(source, clock)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 5, "history")
        assert not feed.stale
        clock.advance(119)  # the exchange has nothing new
        await asyncio.sleep(0.05)
        assert not feed.stale
        clock.advance(2)
        assert feed.stale
        for i in range(10, 13):
            source.put(BTC, i, 100 + i)
        await recorder.wait_until(lambda: len(recorder.candles) == 7, "candles again")
        assert not feed.stale
    assert recorder.times() == times(*range(5, 12))


async def test_pairs_are_merged_in_time_order_then_bot_order(sleeps: list[float]) -> None:
    clock = StubClock(BASE + 10 * TF + 1_000)
    source = StubOhlcvSource(clock)
    for i in range(10):
        source.put(BTC, i, 100 + i)
        source.put(ETH, i, 10 + i)
    feed = make_feed(source, clock, pairs=[ETH, BTC], history=2)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) >= 4, "history")
        source.put(BTC, 10, 110)
        source.put(ETH, 10, 20)
        clock.set(BASE + 11 * TF)
        await recorder.wait_until(lambda: len(recorder.candles) == 6, "candle 10 of both")
    assert [(c.ts, c.pair) for c in recorder.candles] == [
        (BASE + 8 * TF, ETH),
        (BASE + 8 * TF, BTC),
        (BASE + 9 * TF, ETH),
        (BASE + 9 * TF, BTC),
        (BASE + 10 * TF, ETH),
        (BASE + 10 * TF, BTC),
    ]


def test_a_candle_closed_more_than_a_timeframe_ago_is_late() -> None:
    from aurumbotx.data.feeds import is_late
    from aurumbotx.domain.candles import Candle

    minute = 60_000
    candle = Candle("BTC/USDT", 10 * minute, 1.0, 1.0, 1.0, 1.0, 1.0)  # closes at 11 min
    assert not is_late(candle, minute, 11 * minute)  # just closed
    assert not is_late(candle, minute, 12 * minute)  # the normal delivery window
    assert is_late(candle, minute, 12 * minute + 1)  # back-filled after an outage
