"""Test kit for live candle feeds: a clock moved by hand and a recorder of what a feed yields.

Usage::

    clock = StubClock(start_ms)
    feed = PollingFeed(source, ["BTC/USDT"], "1m", clock=clock.monotonic)
    async with FeedRecorder(feed) as recorder:
        await recorder.wait_until(lambda: len(recorder.candles) == 5, "history")
        clock.advance(60)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aurumbotx.domain.candles import Candle


class StubClock:
    """Exchange time (epoch ms) and monotonic time (s) that move only when told to."""

    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms

    def now_ms(self) -> int:
        """The exchange clock."""
        return self.ms

    def monotonic(self) -> float:
        """The same instant in seconds (for stale checks)."""
        return self.ms / 1000

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        self.ms += int(seconds * 1000)

    def set(self, ms: int) -> None:
        """Jump to epoch milliseconds `ms`."""
        self.ms = ms


class FeedRecorder:
    """Runs a feed's `stream()` in a task and keeps every candle it yields, in order."""

    def __init__(self, feed: Any, *, stop_timeout: float = 5.0) -> None:
        self.feed = feed
        self.stop_timeout = stop_timeout
        self.candles: list[Candle] = []
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> FeedRecorder:
        self.task = asyncio.create_task(self._run())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.feed.close()
        if self.task is None:
            return
        try:
            await asyncio.wait_for(self.task, self.stop_timeout)
        except TimeoutError:
            raise AssertionError("the feed did not stop after close()") from None
        except Exception:
            if exc is None:
                raise  # the feed's own failure is the test's failure

    async def _run(self) -> None:
        async for candle in self.feed.stream():
            self.candles.append(candle)

    def times(self, pair: str | None = None) -> list[int]:
        """Open times of the candles so far (of one pair, when given)."""
        return [c.ts for c in self.candles if pair is None or c.pair == pair]

    async def wait_until(
        self, condition: Callable[[], bool], what: str, within: float = 5.0
    ) -> None:
        """Return once `condition()` holds; AssertionError naming `what` after `within` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not condition():
            if self.task is not None and self.task.done():
                self.task.result()  # the feed failed: show its error, not a timeout
                raise AssertionError(f"the feed ended before: {what}")
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for: {what} (got {self.times()})")
            await asyncio.sleep(0.01)
