"""Candle feeds for bots: a file or the store replayed as if live, and live exchange polling.

Both yield CLOSED candles of every pair of a bot in time order (pairs in the bot's order at
equal times). A feed does not know what a bot has already processed: the bot runner warms its
history up with the candles at or before its progress marker and trades on the later ones.

* `ReplayFeed`: candle frames replayed as fast as possible (`speed=None`) or `speed` times
  faster than real time (60: one 1-minute candle per second).
* `PollingFeed`: REST polling of an exchange (ccxt `fetch_ohlcv` through an `OhlcvSource`):
  closed candles only (a candle is closed once its open time + timeframe has passed on the
  exchange clock), gaps back-filled from the exchange, reconnection with exponential backoff
  on errors, and a stale flag (no new candle for two timeframes) under which a bot takes no
  new entries. The websocket feed (ccxt.pro `watch_ohlcv`) is `feed_stream.StreamingFeed`; the
  composition root picks it when the exchange streams candles (AURUMBOTX_EXCHANGE__MARKET_DATA).

A candle that closed more than one timeframe before the exchange's clock (a back-filled one
after an outage) is `late`: the engine trades exits on it but takes no new entry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import ExchangeError
from aurumbotx.domain.timeframes import timeframe_to_ms

FETCH_LIMIT = 1000


def is_late(candle: Candle, timeframe_ms: int, now_ms: int) -> bool:
    """The candle closed (open + timeframe) more than one more timeframe before `now_ms`."""
    return now_ms - (candle.ts + timeframe_ms) > timeframe_ms


class CandleFeed(Protocol):
    """Closed candles of a bot's pairs, oldest first: what the engine service needs of a feed."""

    @property
    def stale(self) -> bool:
        """No new candle for a while: entries pause until the feed catches up."""
        ...

    @property
    def history_end(self) -> int | None:
        """Open time of the newest history candle (warm-up, not traded); None: no such history.

        A live feed starts with recent history and knows it once its first batch arrived.
        """
        ...

    @property
    def speed(self) -> float | None:
        """Times faster than real time; None: as fast as possible (a replay run as a batch)."""
        ...

    @property
    def health(self) -> FeedHealth | None:
        """A live feed's connection record (lost connections are logged); None for a replay."""
        ...

    def is_late(self, candle: Candle) -> bool:
        """The candle closed more than a timeframe ago (stale data: exits only, no entries)."""
        ...

    def stream(self) -> AsyncIterator[Candle]:
        """Yield candles until the feed ends (replay) or is closed (live)."""
        ...


def _candles(pair: str, frame: pd.DataFrame) -> list[Candle]:
    ts = frame.index.as_unit("ms").asi8
    values = frame[["open", "high", "low", "close", "volume"]].to_numpy(np.float64).tolist()
    return [Candle(pair, int(t), *row) for t, row in zip(ts.tolist(), values, strict=True)]


class ReplayFeed:
    """Candle frames (pair -> frame) replayed in time order, at full speed or `speed` x."""

    def __init__(self, frames: dict[str, pd.DataFrame], timeframe: str, speed: float | None = None):
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive")
        self.timeframe_ms = timeframe_to_ms(timeframe)
        self.speed = speed
        self.stale = False
        self.history_end: int | None = None  # every candle is traded unless the bot did it
        self.health: FeedHealth | None = None  # a replay never loses a connection
        merged: list[tuple[int, int, Candle]] = []
        for order, (pair, frame) in enumerate(frames.items()):
            merged += [(c.ts, order, c) for c in _candles(pair, frame)]
        merged.sort(key=lambda item: (item[0], item[1]))
        self.candles = [c for _, _, c in merged]

    def is_late(self, candle: Candle) -> bool:
        """Never: a replay plays history as if it were live."""
        return False

    async def stream(self) -> AsyncIterator[Candle]:
        """Every candle; sleeps between candle times when a speed factor is set."""
        previous: int | None = None
        for candle in self.candles:
            if self.speed is not None and previous is not None and candle.ts > previous:
                await asyncio.sleep((candle.ts - previous) / 1000 / self.speed)
            previous = candle.ts
            yield candle
            if self.speed is None:
                await asyncio.sleep(0)  # let other bots and stop requests run


class OhlcvSource(Protocol):
    """What the live feed needs from an exchange (ccxt shapes: [ms, o, h, l, c, v] rows)."""

    def fetch_ohlcv(self, pair: str, timeframe: str, since: int, limit: int) -> list[list[float]]:
        """Candles from `since` (open time, ms), oldest first, at most `limit`."""
        ...

    def milliseconds(self) -> int:
        """The exchange clock (ms)."""
        ...


@dataclass
class FeedHealth:
    """What the live feed has been through, for the bot's status."""

    errors: int = 0
    last_error: str | None = None
    gaps_filled: int = 0
    reconnects: int = 0
    last_candle_at: float = field(default_factory=time.monotonic)
    # Told of every lost connection (the bot's service writes it to system_logs, where
    # `bot status` shows it); called on the feed's event loop, so it must not block.
    on_reconnect: Callable[[str], None] | None = None

    def connection_lost(self, error: str) -> None:
        """Count a lost connection (or a failed poll) that the feed is about to retry."""
        self.errors += 1
        self.last_error = error
        self.reconnects += 1
        if self.on_reconnect is not None:
            self.on_reconnect(
                f"market data connection lost ({error}); reconnecting (reconnect {self.reconnects})"
            )


class PollingFeed:
    """Live candles by REST polling, closed only, gaps back-filled, errors retried."""

    speed: float | None = 1.0  # real time (CandleFeed)

    def __init__(
        self,
        source: OhlcvSource,
        pairs: list[str],
        timeframe: str,
        *,
        history: int = 500,
        poll_seconds: float | None = None,
        max_backoff: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.pairs = pairs
        self.timeframe = timeframe
        self.timeframe_ms = timeframe_to_ms(timeframe)
        self.history = history
        self.poll_seconds = poll_seconds or min(max(self.timeframe_ms / 1000 / 10, 1.0), 10.0)
        self.max_backoff = max_backoff
        self.clock = clock
        self.health = FeedHealth(last_candle_at=clock())
        self.last_ts: dict[str, int | None] = dict.fromkeys(pairs)
        self.closed = False
        # Open time of the newest candle of the first poll: everything up to it is history
        # that warms a new bot up, not a signal to trade on.
        self.history_end: int | None = None

    @property
    def stale(self) -> bool:
        """No new candle for two timeframes: entries pause until the feed catches up."""
        return self.clock() - self.health.last_candle_at > 2 * self.timeframe_ms / 1000

    def close(self) -> None:
        """End the stream at the next poll."""
        self.closed = True

    def is_late(self, candle: Candle) -> bool:
        """True when the candle closed more than a timeframe ago (stale data: no entries)."""
        return is_late(candle, self.timeframe_ms, self.source.milliseconds())

    async def stream(self) -> AsyncIterator[Candle]:
        """History first (the last `history` candles), then each newly closed candle."""
        backoff = 1.0
        while not self.closed:
            try:
                batch = await asyncio.to_thread(self._poll)
            except ExchangeError as error:
                self.health.connection_lost(str(error))
                await asyncio.sleep(min(backoff, self.max_backoff))
                backoff *= 2
                continue
            backoff = 1.0
            if self.history_end is None:
                self.history_end = batch[-1].ts if batch else -1
            for candle in batch:
                yield candle
            if not batch:
                await asyncio.sleep(self.poll_seconds)

    def _poll(self) -> list[Candle]:
        """Closed candles after each pair's last one (all missing ones: gaps are back-filled)."""
        now = self.source.milliseconds()
        out: list[Candle] = []
        for pair in self.pairs:
            last = self.last_ts[pair]
            since = (
                last + self.timeframe_ms
                if last is not None
                else now - (self.history + 1) * self.timeframe_ms
            )
            while True:
                rows = self.source.fetch_ohlcv(pair, self.timeframe, since, FETCH_LIMIT)
                fresh = [
                    r for r in rows if int(r[0]) >= since and int(r[0]) + self.timeframe_ms <= now
                ]
                for row in fresh:
                    ts = int(row[0])
                    previous = self.last_ts[pair]
                    if previous is not None and ts > previous + self.timeframe_ms:
                        self.health.gaps_filled += 1
                    out.append(Candle(pair, ts, *(float(v) for v in row[1:6])))
                    self.last_ts[pair] = ts
                if len(rows) < FETCH_LIMIT or not fresh:
                    break
                since = int(fresh[-1][0]) + self.timeframe_ms
        if out:
            self.health.last_candle_at = self.clock()
        out.sort(key=lambda c: (c.ts, self.pairs.index(c.pair)))
        return out
