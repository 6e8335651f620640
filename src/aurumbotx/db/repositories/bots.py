"""Bots in the database: their rows, orders (`trades`), fills, paper balances and daily figures.

`BotRepository` manages `bots` rows (create, list, claim, status), `DbBotDirectory` lets the
engine service claim runnable bots, `list_overviews` what `bot list` shows, `bot_trades` a
bot's round trips and `delete_bot` removes a bot (its orders kept, detached, unless purged);
`aurumbotx.services.bots` builds the use cases (and `bot status`) on them. The engine's
per-bot store is `aurumbotx.db.repositories.bot_store.DbBotStore`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from aurumbotx.db.engine import session_scope
from aurumbotx.db.models import (
    ApiKey,
    Bot,
    BotDaily,
    OrderFill,
    PaperBalance,
    SystemLog,
    Trade,
    User,
)
from aurumbotx.domain.enums import BotStatus, OrderSide, OrderStatus, OrderType, TradingMode
from aurumbotx.domain.errors import InvalidInputError, NotFoundError
from aurumbotx.domain.trading import Fill, OrderTag, RoundTrip
from aurumbotx.engine.bot import BotSpec
from aurumbotx.engine.portfolio import Portfolio

ZERO = Decimal(0)
HUNDRED = Decimal(100)
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


def live_key_exists(session: Session, user_id: int, exchange: str, testnet: bool) -> bool:
    """Whether the user has the active exchange key a live bot would use (never decrypted)."""
    found = session.scalar(
        sa.select(ApiKey.id)
        .where(ApiKey.user_id == user_id, ApiKey.exchange == exchange)
        .where(ApiKey.is_active.is_(True), ApiKey.is_testnet.is_(testnet))
        .limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class BotOverview:
    """One line of `bot list`: the bot, its owner's name, its equity and P/L."""

    id: int
    username: str
    name: str
    strategy: str
    pairs: list[str]
    timeframe: str
    mode: str
    status: str
    capital: Decimal
    equity: Decimal
    last_candle_ts: int | None

    @property
    def profit_loss(self) -> Decimal:
        """Equity minus capital: realised and unrealised, net of fees."""
        return self.equity - self.capital


def list_overviews(session: Session, user_id: int | None = None) -> list[BotOverview]:
    """Bots newest first (one user's when given), with owner and latest equity."""
    latest = (
        sa.select(BotDaily.bot_id, sa.func.max(BotDaily.date).label("day"))
        .group_by(BotDaily.bot_id)
        .subquery()
    )
    query = (
        sa.select(Bot, User.username, BotDaily.ending_balance)
        .join(User, User.id == Bot.user_id)
        .outerjoin(latest, latest.c.bot_id == Bot.id)
        .outerjoin(BotDaily, sa.and_(BotDaily.bot_id == Bot.id, BotDaily.date == latest.c.day))
        .order_by(Bot.id.desc())
    )
    if user_id is not None:
        query = query.where(Bot.user_id == user_id)
    return [
        BotOverview(
            id=row.id,
            username=username,
            name=row.name,
            strategy=row.strategy,
            pairs=list(row.pairs),
            timeframe=row.timeframe,
            mode=row.mode,
            status=row.status,
            capital=row.capital,
            equity=equity if equity is not None else row.capital,
            last_candle_ts=row.last_candle_ts,
        )
        for row, username, equity in session.execute(query).all()
    ]


@dataclass(frozen=True)
class TradeRecord:
    """A round trip of a bot: entry, exit (None while open), size, P/L net of both fees."""

    pair: str
    entry_ts: int
    entry_price: Decimal
    amount: Decimal
    fees: Decimal
    exit_ts: int | None
    exit_price: Decimal | None
    exit_reason: str | None
    profit_loss: Decimal | None
    profit_loss_pct: Decimal | None


@dataclass(frozen=True)
class BotTrades:
    """A bot's round trips, oldest first, and the capital its P/L is measured against."""

    bot_id: int
    capital: Decimal
    trades: list[TradeRecord]


# As the engine names them (engine/core.py), so `bot trades` reads like a backtest's trades.
EXIT_REASONS = {OrderTag.STOP_LOSS: "stop_loss", OrderTag.TAKE_PROFIT: "take_profit"}


def _portfolio(session: Session, bot_id: int, capital: Decimal) -> Portfolio:
    """The bot's portfolio rebuilt from its stored fills, as the engine rebuilds it."""
    portfolio = Portfolio(capital)
    rows = session.execute(
        sa.select(OrderFill, Trade)
        .join(Trade, OrderFill.trade_id == Trade.id)
        .where(OrderFill.bot_id == bot_id)
        .order_by(OrderFill.ts, OrderFill.id)
    ).all()
    for fill, trade in rows:
        tag = trade.tag or ""
        portfolio.apply_fill(
            Fill(
                client_order_id=trade.client_order_id or "",
                pair=trade.pair or "",
                side=OrderSide(trade.side),
                amount=fill.amount,
                price=fill.price,
                fee=fill.fee,
                ts=fill.ts,
                tag=tag,
                order_type=OrderType(trade.order_type or OrderType.MARKET.value),
                trade_id=fill.exchange_trade_id,
            ),
            reason=EXIT_REASONS.get(tag, "signal"),
        )
    return portfolio


def _record(trip: RoundTrip, closed: bool) -> TradeRecord:
    cost = trip.amount * trip.entry_price
    pnl = trip.profit_loss if closed else None
    return TradeRecord(
        pair=trip.pair,
        entry_ts=trip.entry_ts,
        entry_price=trip.entry_price,
        amount=trip.amount,
        fees=trip.entry_fee + trip.exit_fee,
        exit_ts=trip.exit_ts,
        exit_price=trip.exit_price,
        exit_reason=trip.exit_reason if closed else None,
        profit_loss=pnl,
        profit_loss_pct=pnl / cost * HUNDRED if pnl is not None and cost else None,
    )


def bot_trades(session: Session, bot_id: int, user_id: int | None = None) -> BotTrades:
    """The bot's closed round trips, then its open positions (no exit, no P/L yet)."""
    row = BotRepository(session).get(bot_id, user_id)
    portfolio = _portfolio(session, bot_id, row.capital)
    records = [_record(t, closed=True) for t in portfolio.closed]
    records += [_record(t, closed=False) for t in portfolio.open_round_trips()]
    records.sort(key=lambda r: (r.entry_ts, r.exit_ts is None, r.exit_ts or 0))
    return BotTrades(bot_id, row.capital, records)


BUSY_STATUSES = (BotStatus.RECONCILING, BotStatus.RUNNING, BotStatus.STOPPING)
LIVE_ORDER_STATUSES = (
    OrderStatus.PENDING.value,
    OrderStatus.OPEN.value,
    OrderStatus.PARTIALLY_FILLED.value,
)


@dataclass(frozen=True)
class DeletedBot:
    """What `delete_bot` did: orders (`trades` rows) kept detached, or deleted with --purge."""

    id: int
    name: str
    orders_kept: int
    orders_deleted: int


def delete_bot(
    session: Session,
    bot_id: int,
    *,
    purge: bool = False,
    force: bool = False,
    user_id: int | None = None,
) -> DeletedBot:
    """Delete a bot nobody runs (of `user_id` when given); its orders stay unless `purge`."""
    row = session.get(Bot, bot_id, with_for_update=True)
    if row is None or (user_id is not None and row.user_id != user_id):
        raise NotFoundError(f"no bot with id {bot_id}")
    _check_deletable(session, row, force)
    orders = sa.select(Trade.id).where(Trade.bot_id == bot_id)
    session.execute(sa.delete(PaperBalance).where(PaperBalance.bot_id == bot_id))
    session.execute(sa.delete(BotDaily).where(BotDaily.bot_id == bot_id))
    kept = deleted = 0
    if purge:
        session.execute(
            sa.update(SystemLog).where(SystemLog.trade_id.in_(orders)).values(trade_id=None)
        )
        session.execute(sa.delete(OrderFill).where(OrderFill.trade_id.in_(orders)))
        deleted = len(session.scalars(orders).all())
        session.execute(sa.delete(Trade).where(Trade.bot_id == bot_id))
    else:
        # Money history outlives the bot (tax, performance records): the orders and fills keep
        # their user, strategy, pair, prices and P/L, and say which bot they came from.
        mark = {"id": row.id, "name": row.name, "deleted_at": datetime.now(UTC).isoformat()}
        for trade in session.scalars(sa.select(Trade).where(Trade.bot_id == bot_id)).all():
            trade.signal_data = {**(trade.signal_data or {}), "deleted_bot": mark}
            trade.bot_id = None
            kept += 1
        session.execute(sa.update(OrderFill).where(OrderFill.bot_id == bot_id).values(bot_id=None))
    name, owner = row.name, row.user_id
    session.flush()
    session.delete(row)
    session.add(
        SystemLog(
            level="INFO",
            message=f"bot {bot_id} deleted"
            + (f" with its {deleted} orders" if purge else f"; its {kept} orders kept"),
            module="engine",
            function_name="delete_bot",
            user_id=owner,
            additional_data={"bot_id": bot_id, "purge": purge, "orders": kept or deleted},
        )
    )
    session.flush()
    return DeletedBot(bot_id, name, kept, deleted)


def _check_deletable(session: Session, row: Bot, force: bool) -> None:
    """Refuse a bot something runs, or (without force) a live bot with money on the exchange."""
    current = BotStatus(row.status)
    if current in BUSY_STATUSES or (current is BotStatus.CREATED and row.owner):
        raise InvalidInputError(
            f"bot {row.id} is {current}: stop it first with `aurumbotx bot stop {row.id}`"
        )
    # A paper bot's position is simulated; a live bot's coins and orders are real and would be
    # left on the exchange with no bot watching them.
    if force or row.mode != TradingMode.LIVE.value:
        return
    open_orders = session.scalar(
        sa.select(sa.func.count())
        .select_from(Trade)
        .where(Trade.bot_id == row.id, Trade.status.in_(LIVE_ORDER_STATUSES))
    )
    held = _portfolio(session, row.id, row.capital).positions
    if held or open_orders:
        what = [f"{p.amount:.8f} {pair}" for pair, p in held.items()]
        if open_orders:
            what.append(f"{open_orders} open order(s)")
        raise InvalidInputError(
            f"live bot {row.id} still holds {', '.join(what)} on the exchange: delete it anyway "
            "with --force (they stay on the exchange, watched by no bot)"
        )
