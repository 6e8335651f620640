"""EngineService: runs every bot that should be running, each in its own asyncio task.

A bot's life: claim it (no other live process runs it) -> `reconciling` (rebuild and agree with
the exchange) -> `running` (closed candles from its feed, processed in a worker thread so the
event loop never blocks) -> `stopping` (a stop request) -> `stopped`; or `halted` by the risk
manager (daily loss, drawdown) or by an error that retrying cannot fix (bad credentials).
Each transition is persisted by the store and published on the event bus.

A temporary error (network, exchange overload, database hiccup) while a candle is processed may
leave the bot's memory ahead of the database; the service then rebuilds the bot from the
database and reconciles it, with backoff, exactly as after a crash: nothing is processed twice,
nothing is skipped. A strategy that raises loses its signal for that candle and the
failure is logged; after `max_strategy_failures` candles in a row the bot halts with the
reason. Any other exception in a bot's task, ours or a library's, halts that bot with the
reason (status, a `system_logs` row, a published event); the engine and the other bots go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aurumbotx.data.feeds import CandleFeed
from aurumbotx.domain.candles import Candle
from aurumbotx.domain.enums import BotStatus, TradingMode
from aurumbotx.domain.errors import (
    AurumBotXError,
    AuthenticationError,
    PersistenceError,
    TemporaryExchangeError,
)
from aurumbotx.domain.events import BotStatusChanged, event_to_dict
from aurumbotx.engine.bot import BotRunner

STOP_CHECK_SECONDS = 0.5
RETRY_BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class RestartBot(Exception):
    """A temporary failure left the bot's memory possibly ahead of the database.

    The service then rebuilds the bot from the database and reconciles it, exactly as after a
    crash: nothing is processed twice and nothing is skipped.
    """


class BotControl(Protocol):
    """What the service needs of a bot's store besides the engine's BotStore."""

    def set_status(self, status: BotStatus, reason: str | None = None) -> None:
        """Persist a lifecycle transition."""
        ...

    def status(self) -> BotStatus:
        """The stored status (shows stop requests)."""
        ...

    def heartbeat(self) -> None:
        """Mark the bot as alive in this process."""
        ...

    def log_error(self, message: str, data: dict[str, Any]) -> None:
        """Persist an error."""
        ...

    def log(self, level: str, message: str, data: dict[str, Any]) -> None:
        """Persist a `system_logs` row at `level`."""
        ...


@dataclass
class BotHandle:
    """A ready-to-run bot: its runner, its feed and its store."""

    runner: BotRunner
    feed: CandleFeed
    control: BotControl


class BotDirectory(Protocol):
    """Where bots are listed and claimed (the database)."""

    def claim_runnable(self) -> list[int]:
        """Ids of bots that should run and that this process now owns."""
        ...

    def release(self, bot_id: int) -> None:
        """This process no longer runs the bot."""
        ...

    def fail(self, bot_id: int, reason: str) -> None:
        """The bot cannot run (e.g. its strategy does not load): halt it with the reason."""
        ...


Publisher = Callable[[str, dict[str, Any]], Awaitable[None]]
Logger = Any


async def run_bot(handle: BotHandle, publish: Publisher, log: Logger) -> BotStatus:
    """Drive one bot until its feed ends, it is asked to stop, or it halts; its final status."""
    runner, control = handle.runner, handle.control
    bot_id = runner.spec.id
    channel = f"bots.{bot_id}"

    async def transition(status: BotStatus, reason: str | None = None) -> None:
        await asyncio.to_thread(control.set_status, status, reason)
        changed = BotStatusChanged(
            ts=_wall_ms(), bot_id=bot_id, user_id=runner.spec.user_id, status=status, reason=reason
        )
        await publish(channel, event_to_dict(changed))
        log.info("bot_status", bot_id=bot_id, status=status.value, reason=reason)

    if await asyncio.to_thread(control.status) is BotStatus.STOPPING:
        await transition(BotStatus.STOPPED, "stop requested while it was not running")
        return BotStatus.STOPPED
    await transition(BotStatus.RECONCILING)
    notes = await _temporary_restarts(asyncio.to_thread(runner.reconcile), control, log, bot_id)
    for note in notes:
        log.info("bot_reconciled", bot_id=bot_id, note=note)
        # Every order whose outcome was in doubt at the restart, and what became of it.
        await asyncio.to_thread(control.log, "WARNING", note, {"kind": "reconciliation"})
    if await asyncio.to_thread(control.status) is BotStatus.STOPPING:
        await transition(BotStatus.STOPPED, "stopped before it started")
        return BotStatus.STOPPED
    if runner.failed_reason is not None:  # the books disagree with the exchange
        await asyncio.to_thread(control.log_error, runner.failed_reason, {"kind": "books"})
        await transition(BotStatus.HALTED, runner.failed_reason)
        return BotStatus.HALTED
    await transition(BotStatus.RUNNING)
    feed = handle.feed
    _log_reconnects(feed, control, log, bot_id)
    # A paper bot replaying at full speed is a batch job with no network call in its candles:
    # they run on this thread (the feed yields between candles), saving a thread hop each.
    inline = runner.spec.mode is TradingMode.PAPER and feed.speed is None
    last_check = time.monotonic()
    reason = "feed ended (replay finished)"
    halted = False
    try:
        async for candle in feed.stream():
            history_end = feed.history_end
            done = runner.last_candle_ts.get(candle.pair)
            if (done is not None and candle.ts <= done) or (
                done is None and history_end is not None and candle.ts <= history_end
            ):
                runner.warm_up(candle)
                continue
            # Stale data (a candle that closed more than a timeframe ago, e.g. back-filled after
            # an outage): exits still run on it, entries wait for fresh candles.
            runner.engine.risk.paused = feed.is_late(candle)
            step = (
                _now(runner.on_candle, candle)
                if inline
                else asyncio.to_thread(runner.on_candle, candle)
            )
            await _temporary_restarts(step, control, log, bot_id)
            await _publish_events(runner, publish, channel)
            if runner.failed_reason is not None:
                # Nothing manages the bot's positions any more: halt now (they stay as they
                # are, with their protective orders, for the user to decide).
                await asyncio.to_thread(control.log_error, runner.failed_reason, {"kind": "halt"})
                await transition(BotStatus.HALTED, runner.failed_reason)
                return BotStatus.HALTED
            if runner.halted_reason is not None:
                if not halted:
                    halted = True
                    await transition(BotStatus.HALTED, runner.halted_reason)
                # A halted bot opens nothing new but still manages what it holds (exits,
                # stops, targets) until it is flat, exactly as the backtest does.
                if runner.is_flat():
                    return BotStatus.HALTED
            if time.monotonic() - last_check >= STOP_CHECK_SECONDS:
                last_check = time.monotonic()
                if await asyncio.to_thread(control.status) is BotStatus.STOPPING:
                    reason = "stop requested"
                    break
                await asyncio.to_thread(control.heartbeat)
    except AuthenticationError as error:
        await asyncio.to_thread(control.log_error, str(error), {"kind": "authentication"})
        await transition(BotStatus.HALTED, f"exchange refused the credentials: {error}")
        return BotStatus.HALTED
    if halted:
        return BotStatus.HALTED
    if await asyncio.to_thread(control.status) is not BotStatus.STOPPING:
        await transition(BotStatus.STOPPING, reason)
    await transition(BotStatus.STOPPED, reason)
    return BotStatus.STOPPED


async def _now(call: Callable[[Candle], Any], candle: Candle) -> Any:
    """`call(candle)` on the event loop's thread (see `inline` in run_bot)."""
    return call(candle)


_BACKGROUND: set[asyncio.Task[Any]] = set()  # log writes in flight (kept from the collector)


def _log_reconnects(feed: CandleFeed, control: BotControl, log: Logger, bot_id: int) -> None:
    """A live feed's lost connections become WARNING rows in system_logs (`bot status`)."""
    health = feed.health
    if health is None:  # a replay never loses a connection
        return
    loop = asyncio.get_running_loop()

    def on_reconnect(message: str) -> None:
        log.warning("feed_reconnect", bot_id=bot_id, note=message)
        task = loop.create_task(
            asyncio.to_thread(control.log, "WARNING", message, {"kind": "feed"})
        )
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)

    health.on_reconnect = on_reconnect


async def _publish_events(runner: BotRunner, publish: Publisher, channel: str) -> None:
    for event in runner.last_events:
        await publish(channel, event_to_dict(event))


def _wall_ms() -> int:
    """Now (epoch ms): when a lifecycle transition happened."""
    return int(time.time() * 1000)


async def _temporary_restarts(
    call: Awaitable[Any], control: BotControl, log: Logger, bot_id: int
) -> Any:
    """Await `call`; a temporary failure becomes RestartBot (rebuild from the database)."""
    try:
        return await call
    except (TemporaryExchangeError, PersistenceError) as error:
        log.warning("bot_restart", bot_id=bot_id, error=str(error))
        with contextlib.suppress(AurumBotXError):
            await asyncio.to_thread(
                control.log_error, f"temporary error, restarting the bot: {error}", {}
            )
        raise RestartBot(str(error)) from error


class EngineService:
    """Claims runnable bots and runs each in a task until none is left (or for ever)."""

    def __init__(
        self,
        directory: BotDirectory,
        make_bot: Callable[[int], BotHandle],
        publish: Publisher,
        log: Logger,
        *,
        poll_seconds: float = 2.0,
    ) -> None:
        self.directory = directory
        self.make_bot = make_bot
        self.publish = publish
        self.log = log
        self.poll_seconds = poll_seconds
        self.tasks: dict[int, asyncio.Task[BotStatus]] = {}

    async def run(self, *, exit_when_idle: bool = False) -> None:
        """Poll for bots to run; with `exit_when_idle`, return once no bot is left running."""
        while True:
            for bot_id in await asyncio.to_thread(self.directory.claim_runnable):
                if bot_id not in self.tasks:
                    self.tasks[bot_id] = asyncio.create_task(self._guarded(bot_id))
            for bot_id, task in list(self.tasks.items()):
                if task.done():
                    del self.tasks[bot_id]
                    if not task.cancelled() and task.exception() is not None:
                        # `_guarded` halts on every error: this is a bug of ours; say so.
                        error = repr(task.exception())
                        self.log.error("bot_task_failed", bot_id=bot_id, error=error)
                    await asyncio.to_thread(self.directory.release, bot_id)
            if exit_when_idle and not self.tasks:
                return
            await asyncio.sleep(self.poll_seconds)

    async def _guarded(self, bot_id: int) -> BotStatus:
        attempt = 0
        while True:
            try:
                handle = await asyncio.to_thread(self.make_bot, bot_id)
                return await run_bot(handle, self.publish, self.log)
            except (RestartBot, PersistenceError) as error:
                # The database or the exchange failed for a while: rebuild and reconcile.
                delay = RETRY_BACKOFF[min(attempt, len(RETRY_BACKOFF) - 1)]
                attempt += 1
                self.log.warning("bot_rebuild", bot_id=bot_id, error=str(error), delay=delay)
                await asyncio.sleep(delay)
            except AurumBotXError as error:
                return await self._failed(bot_id, str(error))
            except Exception as error:  # one bot's bug must not end the engine
                self.log.error("bot_crashed", bot_id=bot_id, exc_info=error)
                return await self._failed(
                    bot_id, f"unexpected error: {type(error).__name__}: {error}"
                )

    async def _failed(self, bot_id: int, reason: str) -> BotStatus:
        """Halt a bot that cannot run, with the reason (status, system_logs, an event)."""
        self.log.error("bot_failed", bot_id=bot_id, error=reason)
        with contextlib.suppress(AurumBotXError):
            await asyncio.to_thread(self.directory.fail, bot_id, reason)
        with contextlib.suppress(AurumBotXError):
            # Its owner is not known here (the bot may have failed before it was loaded).
            halted = BotStatusChanged(
                ts=_wall_ms(), bot_id=bot_id, status=BotStatus.HALTED, reason=reason
            )
            await self.publish(f"bots.{bot_id}", event_to_dict(halted))
        return BotStatus.HALTED
