"""Live candles over an exchange's websocket (ccxt.pro `watch_ohlcv`), closed candles only.

The websocket path of ``--feed live``; `PollingFeed` (`aurumbotx.data.feeds`) is the REST one
and both have the same interface: `stream()` yields the CLOSED candles of a bot's pairs in time
order (pairs in the bot's order at equal times), history first (the last `history` candles by
REST; `history_end` is the newest of them), then live ones; `stale`; `close()`.

* One watcher task per pair awaits `watch_ohlcv`, whose updates include the FORMING candle. A
  candle counts as closed once the stream shows a newer candle of its pair, or once its open
  time + timeframe + a grace period has passed on the exchange clock (the grace lets the closing
  update and the next candle arrive before the feed asks REST instead).
* Candles are released up to the newest open time closed for EVERY pair, so pairs stay in time
  order across batches; a silent pair holds the others back by at most the grace period.
* A closed candle the stream did not deliver final (missed during a reconnect, or a socket gone
  quiet) is back-filled from REST `fetch_ohlcv` before anything later is emitted: no gap, no
  duplicate. A candle the exchange itself does not have is skipped, as `PollingFeed` does.
* A dropped or failing socket is re-opened with exponential backoff; failed REST calls are
  retried the same way. Only temporary errors are retried: a permanent one (an unknown symbol)
  ends the stream with that error.
* `stale`: no closed candle for two timeframes; the bot takes no new entries meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Protocol

from aurumbotx.data.feeds import FETCH_LIMIT, FeedHealth, is_late
from aurumbotx.data.frames import grid_offset_ms
from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import TemporaryExchangeError
from aurumbotx.domain.timeframes import timeframe_to_ms

Row = list[float]


class OhlcvStreamSource(Protocol):
    """What the websocket feed needs from an exchange (ccxt rows: [ms, o, h, l, c, v])."""

    async def watch_ohlcv(self, pair: str, timeframe: str) -> list[Row]:
        """Candles updated since the previous call, the forming one included."""
        ...

    async def fetch_ohlcv(self, pair: str, timeframe: str, since: int, limit: int) -> list[Row]:
        """Candles from `since` (open time, ms) over REST, oldest first, at most `limit`."""
        ...

    def milliseconds(self) -> int:
        """The exchange clock (ms)."""
        ...

    async def close(self) -> None:
        """Release sockets and sessions."""
        ...


class StreamingFeed:
    """Live candles from a websocket, closed only, gaps back-filled by REST, reconnecting."""

    speed: float | None = 1.0  # real time (CandleFeed)

    def __init__(
        self,
        source: OhlcvStreamSource,
        pairs: list[str],
        timeframe: str,
        *,
        history: int = 500,
        poll_seconds: float | None = None,
        grace_seconds: float | None = None,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self.source = source
        self.pairs = list(pairs)
        self.timeframe = timeframe
        self.timeframe_ms = timeframe_to_ms(timeframe)
        seconds = self.timeframe_ms / 1000
        self.history = history
        # How often REST may be asked for candles the clock closed but the stream did not show.
        self.poll_seconds = poll_seconds or min(max(seconds / 10, 1.0), 10.0)
        self.tick_seconds = min(1.0, self.poll_seconds)
        grace = grace_seconds if grace_seconds is not None else min(5.0, seconds / 10)
        self.grace_ms = int(grace * 1000)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.clock = clock
        self.now_ms = now_ms or source.milliseconds
        self.health = FeedHealth(last_candle_at=clock())
        self.last_ts: dict[str, int | None] = dict.fromkeys(self.pairs)
        self.closed = False
        # Open time of the newest history candle: what warms a new bot up, not a signal.
        self.history_end: int | None = None
        self._pending: dict[str, dict[int, Row]] = {p: {} for p in self.pairs}
        self._newest: dict[str, int | None] = dict.fromkeys(self.pairs)
        self._rest_at: dict[str, float] = {}
        self._fresh: set[str] = set()  # pairs the stream updated since the last look
        self._wake = asyncio.Event()

    @property
    def stale(self) -> bool:
        """No new candle for two timeframes: entries pause until the feed catches up."""
        return self.clock() - self.health.last_candle_at > 2 * self.timeframe_ms / 1000

    def close(self) -> None:
        """End the stream at its next step; sockets are closed on the way out."""
        self.closed = True
        self._wake.set()

    def is_late(self, candle: Candle) -> bool:
        """True when the candle closed more than a timeframe ago (stale data: no entries)."""
        return is_late(candle, self.timeframe_ms, self.source.milliseconds())

    async def stream(self) -> AsyncIterator[Candle]:
        """History first (the last `history` candles), then each newly closed candle."""
        watchers = [asyncio.create_task(self._watch(pair)) for pair in self.pairs]
        try:
            history = await self._retrying(self._history)
            self.history_end = history[-1].ts if history else -1
            for candle in history:
                yield candle
            while not self.closed:
                _raise_failure(watchers)
                self._wake.clear()
                fresh, self._fresh = self._fresh, set()
                batch = await self._retrying(partial(self._released, fresh))
                for candle in batch:
                    yield candle
                if not batch:
                    await self._nap(self.tick_seconds)
        finally:
            for task in watchers:
                task.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
            await self.source.close()

    # -- the websocket side ----------------------------------------------------------------

    async def _watch(self, pair: str) -> None:
        """Absorb the pair's updates for ever, re-opening the stream with backoff on errors."""
        delay = self.backoff
        try:
            while not self.closed:
                try:
                    rows = await self.source.watch_ohlcv(pair, self.timeframe)
                except TemporaryExchangeError as error:
                    self.health.connection_lost(str(error))
                    # Updates may be lost with the socket: what it showed of a candle is no
                    # longer proof of its final values, so those candles come from REST.
                    self._pending[pair].clear()
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.max_backoff)
                    continue
                delay = self.backoff
                self._absorb(pair, rows)
        finally:
            self._wake.set()  # a permanent error must reach `stream` without waiting a tick

    def _absorb(self, pair: str, rows: list[Row]) -> None:
        last = self.last_ts[pair]
        pending = self._pending[pair]
        for row in rows:
            ts = int(row[0])
            if last is not None and ts <= last:
                continue
            pending[ts] = [float(v) for v in row[:6]]
            newest = self._newest[pair]
            if newest is None or ts > newest:
                self._newest[pair] = ts
        self._fresh.add(pair)
        self._wake.set()

    # -- deciding what is closed -----------------------------------------------------------

    def _clock_closed(self, now: int) -> int:
        """Open time of the newest candle the exchange clock (less the grace) has closed."""
        step = self.timeframe_ms
        offset = grid_offset_ms(step)
        return (now - self.grace_ms - step - offset) // step * step + offset

    def _release_time(self, now: int) -> int:
        """The newest open time closed for every pair (by the stream or by the clock)."""
        by_clock = self._clock_closed(now)
        step = self.timeframe_ms
        return min(
            (by_clock if n is None else max(by_clock, n - step) for n in self._newest.values()),
            default=by_clock,
        )

    async def _released(self, fresh: set[str]) -> list[Candle]:
        """Every candle closed since the last batch, REST filling what the stream lacks."""
        release = self._release_time(self.now_ms())
        found: list[tuple[str, list[Row], bool]] = []
        for pair in self.pairs:
            rows, from_rest = await self._closed_rows(pair, release, pair in fresh)
            found.append((pair, rows, from_rest))
        # Only now, with every fetch done, is state changed: a failed fetch retries cleanly.
        out: list[Candle] = []
        for pair, rows, from_rest in found:
            self.health.gaps_filled += int(from_rest)
            out += self._take(pair, rows)
        return self._in_order(out)

    def _in_order(self, out: list[Candle]) -> list[Candle]:
        """New candles in time order, pairs in the configured order at equal times."""
        if out:
            self.health.last_candle_at = self.clock()
        order = {pair: i for i, pair in enumerate(self.pairs)}
        out.sort(key=lambda c: (c.ts, order[c.pair]))
        return out

    async def _closed_rows(self, pair: str, release: int, fresh: bool) -> tuple[list[Row], bool]:
        """The pair's closed rows up to `release`; True when REST supplied some."""
        step = self.timeframe_ms
        last = self.last_ts[pair]
        start = last + step if last is not None else release - self.history * step
        if start > release:
            return [], False
        newest = self._newest[pair]
        final = {
            ts: row
            for ts, row in self._pending[pair].items()
            if start <= ts <= release and newest is not None and ts < newest
        }
        prefix: list[Row] = []
        expected = start
        while expected in final:
            prefix.append(final[expected])
            expected += step
        if expected > release:
            return prefix, False
        # A hole the stream cannot fill. Ask REST at once when the stream has just moved on
        # (a newer candle proves the hole is closed); otherwise at most every poll_seconds.
        loop_time = asyncio.get_running_loop().time()
        if not fresh and loop_time - self._rest_at.get(pair, -math.inf) < self.poll_seconds:
            return prefix, False
        self._rest_at[pair] = loop_time
        fetched = await self._fetch(pair, expected, release)
        merged = dict(final)
        merged.update({int(r[0]): r for r in fetched})
        return [merged[ts] for ts in sorted(merged)], any(int(r[0]) not in final for r in fetched)

    def _take(self, pair: str, rows: list[Row]) -> list[Candle]:
        """Candles of `rows` (oldest first); the pair's progress moves past them."""
        candles = [Candle(pair, int(r[0]), *(float(v) for v in r[1:6])) for r in rows]
        if candles:
            last = self.last_ts[pair] = candles[-1].ts
            pending = self._pending[pair]
            for ts in [t for t in pending if t <= last]:
                del pending[ts]
        return candles

    # -- REST --------------------------------------------------------------------------------

    async def _history(self) -> list[Candle]:
        """The last `history` candles closed on the exchange clock, of every pair."""
        now = self.now_ms()
        step = self.timeframe_ms
        fetched = [
            (pair, await self._fetch(pair, now - (self.history + 1) * step, now - step))
            for pair in self.pairs
        ]
        out: list[Candle] = []
        for pair, rows in fetched:
            out += self._take(pair, rows)
        return self._in_order(out)

    async def _fetch(self, pair: str, first: int, last: int) -> list[Row]:
        """REST rows with open times in [first, last], page by page."""
        out: list[Row] = []
        since = first
        while since <= last:
            rows = await self.source.fetch_ohlcv(pair, self.timeframe, since, FETCH_LIMIT)
            fresh = [[float(v) for v in r[:6]] for r in rows if since <= int(r[0]) <= last]
            out += fresh
            if len(rows) < FETCH_LIMIT or not fresh:
                break
            since = int(fresh[-1][0]) + self.timeframe_ms
        return out

    async def _retrying(self, call: Callable[[], Awaitable[list[Candle]]]) -> list[Candle]:
        """`call()`, retried with exponential backoff on temporary errors; [] once closed."""
        delay = self.backoff
        while not self.closed:
            try:
                return await call()
            except TemporaryExchangeError as error:
                self.health.errors += 1
                self.health.last_error = str(error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
        return []

    async def _nap(self, seconds: float) -> None:
        """Sleep until a stream update (or close) or `seconds`, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)


def _raise_failure(tasks: list[asyncio.Task[None]]) -> None:
    """Re-raise the error that ended a watcher (a permanent exchange error)."""
    for task in tasks:
        if task.done() and not task.cancelled():
            error = task.exception()
            if error is not None:
                raise error
