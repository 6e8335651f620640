"""A paper bot on ``--feed live`` over the Binance emulator's websocket, run in-process.

The composition root picks the websocket feed (ccxt.pro, URLs rebased onto the emulator by
AURUMBOTX_EXCHANGE__BASE_URL); the bot warms up on REST history, then processes the candles
the emulator pushes over the socket: its progress marker advances and `market_data` records
them. A stop request ends it and the socket is closed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from aurumbotx.bootstrap import Container, build_container, make_bot
from aurumbotx.config import get_settings
from aurumbotx.data.feed_stream import StreamingFeed
from aurumbotx.db.engine import session_scope
from aurumbotx.db.migrate import upgrade
from aurumbotx.db.repositories.bots import BotRepository
from aurumbotx.db.repositories.strategies import StrategyRepository
from aurumbotx.db.repositories.users import UserRepository
from aurumbotx.domain.enums import BotStatus
from aurumbotx.engine.service import run_bot
from aurumbotx.security.passwords import hash_password
from aurumbotx.testing.emulator.server import BinanceEmulator

PAIR = "BTC/USDT"
TF = 60_000


class StubLog:
    """run_bot's logger: keeps the event names."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def __getattr__(self, level: str) -> Callable[..., None]:
        def log(event: str, **fields: Any) -> None:
            self.events.append(event)

        return log


def row(ts: int, close: float) -> list[float]:
    return [ts, close - 0.5, close + 1, close - 1, close, 5.0]


def paper_bot(container: Container) -> int:
    """A user and a paper bot on the live feed (1m candles of BTC/USDT)."""
    upgrade(container.engine)
    with session_scope(container.session_factory) as session:
        user = UserRepository(session).add(
            "alice", "alice@example.com", hash_password("password123", 4)
        )
        strategy = StrategyRepository(session).get_or_create("sma_cross", "", {})
        bot = BotRepository(session).create(
            user_id=user.id,
            name="websocket paper",
            strategy="sma_cross",
            strategy_id=strategy.id,
            parameters={"fast": 3, "slow": 8},
            pairs=[PAIR],
            timeframe="1m",
            capital=Decimal(10_000),
            risk_percentage=Decimal(10),
            risk_limits={},
            mode="paper",
            feed="live",
        )
        return bot.id


def stored(query: str, *args: Any) -> list[tuple[Any, ...]]:
    path = get_settings().home / "aurumbotx.db"
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


async def eventually(condition: Callable[[], bool], what: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(condition):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_paper_bot_processes_candles_pushed_over_the_websocket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with BinanceEmulator() as emu:
        emu.add_market(PAIR)
        minute = int(time.time() * 1000) // TF * TF
        for k in range(60, 5, -1):  # REST history up to 6 minutes ago
            emu.push_kline(PAIR, "1m", row(minute - k * TF, 100 + k % 7))
        monkeypatch.setenv("AURUMBOTX_EXCHANGE__BASE_URL", emu.base_url)
        get_settings.cache_clear()
        container = build_container(get_settings())
        try:
            bot_id = await asyncio.to_thread(paper_bot, container)
            handle = await asyncio.to_thread(make_bot, container, bot_id)
            assert isinstance(handle.feed, StreamingFeed)
            published: list[dict[str, Any]] = []

            async def publish(channel: str, message: dict[str, Any]) -> None:
                published.append(message)

            task = asyncio.create_task(run_bot(handle, publish, StubLog()))
            await eventually(lambda: emu.ws_subscribers(PAIR, "1m") == 1, "a subscription")
            await eventually(lambda: handle.feed.history_end is not None, "the history")
            assert handle.feed.history_end == minute - 6 * TF
            live = [minute - k * TF for k in (5, 4, 3)]
            for i, ts in enumerate(live):
                assert emu.push_kline(PAIR, "1m", row(ts, 120.0 + i), closed=True) == 1

            def progress() -> int | None:
                found = stored("SELECT last_candle_ts FROM bots WHERE id = ?", bot_id)
                return found[0][0] if found else None

            await eventually(lambda: progress() == live[-1], "the last pushed candle")
            recorded = stored(
                "SELECT timestamp, close_price FROM market_data WHERE timeframe = '1m' "
                "ORDER BY timestamp"
            )
            assert [Decimal(str(close)) for _, close in recorded] == [
                Decimal("120"),
                Decimal("121"),
                Decimal("122"),
            ]  # the live candles, not the warm-up history
            await asyncio.to_thread(handle.control.set_status, BotStatus.STOPPING)
            await asyncio.sleep(0.6)  # the runner looks at stop requests between candles
            emu.push_kline(PAIR, "1m", row(minute - 2 * TF, 123.0), closed=True)
            assert await asyncio.wait_for(task, 15) is BotStatus.STOPPED
            await eventually(lambda: emu.streams.connections() == 0, "the socket closed")
            running = {"type": "BotStatusChanged", "schema_version": 1, "status": "running"}
            assert running.items() <= published[1].items()
        finally:
            container.close()


async def test_a_lost_websocket_is_logged_and_shown_in_bot_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aurumbotx.testing.cli import run_cli

    with BinanceEmulator() as emu:
        emu.add_market(PAIR)
        minute = int(time.time() * 1000) // TF * TF
        for k in range(60, 5, -1):
            emu.push_kline(PAIR, "1m", row(minute - k * TF, 100 + k % 7))
        monkeypatch.setenv("AURUMBOTX_EXCHANGE__BASE_URL", emu.base_url)
        get_settings.cache_clear()
        container = build_container(get_settings())
        try:
            bot_id = await asyncio.to_thread(paper_bot, container)
            handle = await asyncio.to_thread(make_bot, container, bot_id)

            async def publish(channel: str, message: dict[str, Any]) -> None:
                return None

            task = asyncio.create_task(run_bot(handle, publish, StubLog()))
            await eventually(lambda: emu.ws_subscribers(PAIR, "1m") == 1, "a subscription")
            assert emu.drop_ws_connections() == 1
            await eventually(
                lambda: bool(
                    stored("SELECT message FROM system_logs WHERE message LIKE '%connection lost%'")
                ),
                "the lost connection in system_logs",
            )
            await eventually(lambda: emu.ws_subscribers(PAIR, "1m") == 1, "the resubscription")
            shown = await asyncio.to_thread(run_cli, "bot", "status", str(bot_id))
            assert "market data connection lost" in shown.output
            assert "reconnect 1" in shown.output
            await asyncio.to_thread(handle.control.set_status, BotStatus.STOPPING)
            await asyncio.sleep(0.6)
            emu.push_kline(PAIR, "1m", row(minute - 5 * TF, 123.0), closed=True)
            assert await asyncio.wait_for(task, 15) is BotStatus.STOPPED
        finally:
            container.close()
