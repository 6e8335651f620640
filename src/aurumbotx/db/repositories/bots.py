"""Bots in the database: their rows, orders (`trades`), fills, paper balances and daily figures.

`BotRepository` manages `bots` rows (create, list, claim, status), `DbBotDirectory` lets the
engine service claim runnable bots, `bot_summary` is what `bot status` shows. The engine's
per-bot store is `aurumbotx.db.repositories.bot_store.DbBotStore`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from aurumbotx.db.engine import session_scope
from aurumbotx.db.models import (
    Bot,
    BotDaily,
    SystemLog,
)
from aurumbotx.domain.enums import BotStatus, TradingMode
from aurumbotx.domain.errors import InvalidInputError, NotFoundError
from aurumbotx.engine.bot import BotSpec

ZERO = Decimal(0)
ACTIVE_STATUSES = (
    BotStatus.CREATED.value,
    BotStatus.RECONCILING.value,
    BotStatus.RUNNING.value,
    BotStatus.STOPPING.value,
)
# Allowed lifecycle transitions: created -> reconciling -> running -> stopping -> stopped.
TRANSITIONS: dict[BotStatus, set[BotStatus]] = {
    BotStatus.CREATED: {
        BotStatus.RECONCILING,
        BotStatus.STOPPING,
        BotStatus.STOPPED,
        BotStatus.HALTED,
    },
    BotStatus.RECONCILING: {
        BotStatus.RUNNING,
        BotStatus.STOPPING,
        BotStatus.STOPPED,
        BotStatus.HALTED,
        BotStatus.RECONCILING,
    },
    BotStatus.RUNNING: {BotStatus.STOPPING, BotStatus.HALTED, BotStatus.RECONCILING},
    BotStatus.STOPPING: {BotStatus.STOPPED, BotStatus.HALTED},
    BotStatus.STOPPED: {BotStatus.RECONCILING},
    BotStatus.HALTED: {BotStatus.RECONCILING, BotStatus.STOPPED},
}


def process_owner() -> str:
    """'host:pid' of this process: who runs a bot."""
    return f"{socket.gethostname()}:{os.getpid()}"


def spec_of(row: Bot, quote: str = "USDT") -> BotSpec:
    """The engine's view of a bot row."""
    return BotSpec(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        strategy=row.strategy,
        parameters=dict(row.parameters or {}),
        pairs=list(row.pairs),
        timeframe=row.timeframe,
        capital=row.capital,
        mode=TradingMode(row.mode),
        feed=row.feed,
        speed=row.speed,
        model_version=row.model_version,
        status=BotStatus(row.status),
        last_candle_ts=row.last_candle_ts,
        quote=quote,
    )


class BotRepository:
    """`bots` rows inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, **values: Any) -> Bot:
        """Insert a bot (status created)."""
        row = Bot(status=BotStatus.CREATED.value, **values)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, bot_id: int, user_id: int | None = None) -> Bot:
        """The bot (of `user_id` when given), or NotFoundError."""
        row = self.session.get(Bot, bot_id)
        if row is None or (user_id is not None and row.user_id != user_id):
            raise NotFoundError(f"no bot with id {bot_id}")
        return row

    def list(self, user_id: int | None = None) -> Sequence[Bot]:
        """Bots, newest first (one user's when given)."""
        query = sa.select(Bot).order_by(Bot.id.desc())
        if user_id is not None:
            query = query.where(Bot.user_id == user_id)
        return self.session.scalars(query).all()

    def runnable(self) -> Sequence[Bot]:
        """Bots that should be running (created, reconciling, running, stopping)."""
        return self.session.scalars(
            sa.select(Bot).where(Bot.status.in_(ACTIVE_STATUSES)).order_by(Bot.id)
        ).all()

    def set_status(self, row: Bot, status: BotStatus, reason: str | None = None) -> None:
        """Move a bot along its lifecycle (InvalidInputError for a transition it forbids)."""
        current = BotStatus(row.status)
        if status is not current and status not in TRANSITIONS[current]:
            raise InvalidInputError(f"bot {row.id} cannot go from {current} to {status}")
        row.status = status.value
        row.status_reason = reason
        now = datetime.now(UTC)
        if status is BotStatus.RUNNING and row.started_at is None:
            row.started_at = now
        if status in (BotStatus.STOPPED, BotStatus.HALTED):
            row.stopped_at = now
            row.owner = None
        self.session.add(
            SystemLog(
                level="INFO" if status is not BotStatus.HALTED else "WARNING",
                message=f"bot {row.id}: {current} -> {status}" + (f" ({reason})" if reason else ""),
                module="engine",
                function_name="set_status",
                user_id=row.user_id,
                additional_data={"bot_id": row.id, "from": current.value, "to": status.value},
            )
        )
        self.session.flush()

    def claim(self, row: Bot, owner: str, stale_after: timedelta) -> bool:
        """Take ownership of a bot nobody alive runs; True when this process now owns it."""
        if row.owner and row.owner != owner and not _owner_gone(row, stale_after):
            return False
        row.owner = owner
        row.heartbeat_at = datetime.now(UTC)
        self.session.flush()
        return True


def _owner_gone(row: Bot, stale_after: timedelta) -> bool:
    host, _, pid = (row.owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        else:
            return False
    beat = row.heartbeat_at
    return beat is None or datetime.now(UTC) - beat > stale_after


class DbBotDirectory:
    """The engine service's BotDirectory over the database."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        owner: str | None = None,
        stale_after: timedelta = timedelta(seconds=30),
        only: set[int] | None = None,
    ) -> None:
        self.factory = factory
        self.owner = owner or process_owner()
        self.stale_after = stale_after
        self.only = only

    def claim_runnable(self) -> list[int]:
        """Bots that should run and that no live process runs, now owned by this one."""
        claimed = []
        with session_scope(self.factory) as session:
            repo = BotRepository(session)
            for row in repo.runnable():
                if self.only is not None and row.id not in self.only:
                    continue
                if repo.claim(row, self.owner, self.stale_after):
                    claimed.append(row.id)
        return claimed

    def release(self, bot_id: int) -> None:
        """Drop ownership if this process still has it."""
        with session_scope(self.factory) as session:
            session.execute(
                sa.update(Bot).where(Bot.id == bot_id, Bot.owner == self.owner).values(owner=None)
            )

    def fail(self, bot_id: int, reason: str) -> None:
        """Halt a bot that cannot run, with the reason."""
        with session_scope(self.factory) as session:
            repo = BotRepository(session)
            row = repo.get(bot_id)
            if BotStatus.HALTED in TRANSITIONS[BotStatus(row.status)]:
                repo.set_status(row, BotStatus.HALTED, reason)
            else:
                row.status_reason = reason


def bot_summary(
    factory: sessionmaker[Session], bot_id: int, user_id: int | None = None
) -> dict[str, Any]:
    """What `bot status` (and the API) shows: row, equity, positions, orders, last problems."""
    from aurumbotx.db.repositories.bot_store import DbBotStore
    from aurumbotx.engine.portfolio import Portfolio

    store = DbBotStore(factory, bot_id)
    state = store.load_state()
    with session_scope(factory) as session:
        row = BotRepository(session).get(bot_id, user_id)
        latest = session.scalar(
            sa.select(BotDaily)
            .where(BotDaily.bot_id == bot_id)
            .order_by(BotDaily.date.desc())
            .limit(1)
        )
        problems = session.scalars(
            sa.select(SystemLog)
            .where(SystemLog.level.in_(("WARNING", "ERROR")), SystemLog.module == "engine")
            .where(SystemLog.additional_data["bot_id"].as_integer() == bot_id)
            .order_by(SystemLog.id.desc())
            .limit(5)
        ).all()
        errors = [f"{p.timestamp:%Y-%m-%d %H:%M:%S} {p.level}: {p.message}" for p in problems]
        session.expunge(row)
    portfolio = Portfolio(row.capital)
    for fill in state.fills:
        portfolio.apply_fill(fill, reason=fill.tag)
    equity = latest.ending_balance if latest is not None else portfolio.cash
    return {
        "bot": row,
        "equity": equity,
        "cash": portfolio.cash,
        "closed_trades": len(portfolio.closed),
        "realised": sum((t.profit_loss for t in portfolio.closed), ZERO),
        "fees": portfolio.fees_paid,
        "positions": [
            {
                "pair": p.pair,
                "amount": p.amount,
                "entry_price": p.entry_price,
                "entry_ts": p.entry_ts,
            }
            for p in portfolio.positions.values()
        ],
        "open_orders": state.open_orders + state.pending_orders,
        "errors": errors,
    }
