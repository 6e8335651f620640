"""A database failure in the middle of a candle: the bot is rebuilt and loses nothing."""

import asyncio
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from aurumbotx.bootstrap import build_container, make_bot
from aurumbotx.config import get_settings
from aurumbotx.db import migrate
from aurumbotx.db.engine import session_scope
from aurumbotx.db.models import OrderFill, Trade
from aurumbotx.db.repositories.bot_store import DbBotStore
from aurumbotx.db.repositories.bots import BotRepository, DbBotDirectory
from aurumbotx.db.repositories.strategies import StrategyRepository
from aurumbotx.db.repositories.users import create_user
from aurumbotx.domain.errors import DatabaseUnavailableError
from aurumbotx.engine import service
from aurumbotx.engine.service import EngineService
from aurumbotx.security.accounts import NewUser
from aurumbotx.testing.market import write_shared_csv


class Quiet:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


async def _publish(channel: str, event: dict[str, Any]) -> None:
    return None


def _fills(container: Any, bot_id: int) -> list[tuple[str, int, Decimal, Decimal]]:
    with session_scope(container.session_factory) as session:
        rows = session.execute(
            sa.select(Trade.tag, OrderFill.ts, OrderFill.price, OrderFill.amount)
            .join(Trade, Trade.id == OrderFill.trade_id)
            .where(OrderFill.bot_id == bot_id)
            .order_by(OrderFill.ts, OrderFill.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_failed_commit_rebuilds_the_bot_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    candles = write_shared_csv("binance_BTC-USDT_1h", 1_200, tmp_path / "btc.csv")
    os.environ["AURUMBOTX_LOGGING__LEVEL"] = "WARNING"
    get_settings.cache_clear()
    container = build_container(get_settings())
    migrate.upgrade(container.engine)
    with session_scope(container.session_factory) as session:
        user = create_user(session, NewUser.validated("ann", "ann@example.com", "password123"))
        strategy = StrategyRepository(session).get_or_create("sma_cross", "", {})
        ids = [
            BotRepository(session)
            .create(
                user_id=user.id,
                name=f"b{i}",
                strategy="sma_cross",
                strategy_id=strategy.id,
                parameters={},
                pairs=["BTC/USDT"],
                timeframe="1h",
                capital=Decimal(10_000),
                risk_percentage=Decimal(100),
                risk_limits={},
                mode="paper",
                feed=f"replay:{candles}",
                speed="max",
            )
            .id
            for i in range(2)
        ]
    monkeypatch.setattr(service, "RETRY_BACKOFF", (0.01,))
    original = DbBotStore.commit_candle
    calls = {"n": 0}

    def flaky(self: DbBotStore, result: Any) -> None:
        if self.bot_id == ids[1]:
            calls["n"] += 1
            if calls["n"] in (300, 301, 700):  # two failures in a row, then another later
                raise DatabaseUnavailableError("cannot reach the database: connection reset")
        original(self, result)

    monkeypatch.setattr(DbBotStore, "commit_candle", flaky)
    engine = EngineService(
        DbBotDirectory(container.session_factory),
        lambda bot_id: make_bot(container, bot_id),
        _publish,
        Quiet(),
        poll_seconds=0.05,
    )
    asyncio.run(asyncio.wait_for(engine.run(exit_when_idle=True), 240))
    assert calls["n"] > 700
    reference, rebuilt = _fills(container, ids[0]), _fills(container, ids[1])
    assert len(reference) > 10
    assert rebuilt == reference
    with session_scope(container.session_factory) as session:
        statuses = {b.id: b.status for b in BotRepository(session).list()}
    assert statuses == {ids[0]: "stopped", ids[1]: "stopped"}
    container.close()
