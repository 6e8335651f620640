"""Bots of a user: plan and create, start, stop, delete, list, status and trades.

Creating is two steps so that nothing is written before everything is checked:
`plan_bot(ctx, BotRequest) -> BotPlan` checks the strategy and its parameters, the pairs, the
mode, the feed (a live bot reads a live feed) and settles the timeframe; `create_bot(ctx,
user_id, plan) -> BotInfo` checks the owner's exchange key for a live bot and writes the row.
Running a bot needs the composition root (`bootstrap.make_bot`), so the caller runs the engine;
`start_bot` only makes a stopped bot runnable again for the engine to pick up.

Every operation on a bot takes the acting user's id: another user's bot is "no bot with id N",
exactly as a missing one. `bot_owner` and `list_all_bots` are the operator's (the CLI's) view.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aurumbotx.db.engine import session_scope
from aurumbotx.db.models import Bot, BotDaily, SystemLog
from aurumbotx.db.repositories import bots as repository
from aurumbotx.db.repositories.bots import (
    ZERO,
    BotOverview,
    BotRepository,
    BotTrades,
    DeletedBot,
    TradeRecord,
    list_overviews,
    live_key_exists,
)
from aurumbotx.db.repositories.strategies import StrategyRepository
from aurumbotx.domain.enums import BotStatus, TradingMode
from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.domain.values import Pair
from aurumbotx.engine.portfolio import Portfolio
from aurumbotx.services.bot_feeds import check_feed_for_mode, parse_feed, plan_feed

if TYPE_CHECKING:
    from aurumbotx.services.context import ServiceContext

__all__ = [
    "BotInfo",
    "BotOverview",
    "BotPlan",
    "BotRequest",
    "BotStatusReport",
    "BotTrades",
    "DeletedBot",
    "OpenOrderInfo",
    "PositionInfo",
    "StopOutcome",
    "StopResult",
    "TradeRecord",
    "bot_owner",
    "bot_status",
    "bot_trades",
    "create_bot",
    "delete_bot",
    "list_all_bots",
    "list_bots",
    "plan_bot",
    "request_stop",
    "start_bot",
    "stop_bot",
]


@dataclass(frozen=True)
class BotRequest:
    """What a user asks for; numbers already parsed, everything else checked by `plan_bot`."""

    strategy: str
    pairs: tuple[str, ...]
    capital: Decimal
    timeframe: str | None = None
    risk_percentage: Decimal = Decimal(100)
    mode: str = "paper"
    feed: str = "live"
    speed: str = "max"
    parameters: Mapping[str, str] = field(default_factory=dict)
    risk_limits: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True)
class BotPlan:
    """A checked request: the bot `create_bot` writes (nothing is written yet)."""

    name: str
    strategy: str
    strategy_name: str
    strategy_description: str
    described: str
    parameters: Mapping[str, Any]
    defaults: Mapping[str, Any]
    pairs: tuple[str, ...]
    timeframe: str
    timeframe_inferred_from: str | None
    capital: Decimal
    risk_percentage: Decimal
    risk_limits: Mapping[str, str]
    mode: TradingMode
    feed: str
    speed: str


@dataclass(frozen=True)
class BotInfo:
    """A bot as the services show it."""

    id: int
    user_id: int
    name: str
    strategy: str
    pairs: tuple[str, ...]
    timeframe: str
    mode: str
    status: str
    status_reason: str | None
    capital: Decimal
    last_candle_ts: int | None


@dataclass(frozen=True)
class PositionInfo:
    """An open position of a bot."""

    pair: str
    amount: Decimal
    entry_price: Decimal
    entry_ts: int


@dataclass(frozen=True)
class OpenOrderInfo:
    """An order of a bot still open on the exchange, or of unknown outcome."""

    client_order_id: str
    pair: str
    side: str
    type: str
    status: str
    amount: Decimal | None
    price: Decimal | None


@dataclass(frozen=True)
class BotStatusReport:
    """What `bot status` shows: the bot, its money, positions, open orders and last problems."""

    bot: BotInfo
    equity: Decimal
    cash: Decimal
    closed_trades: int
    realised: Decimal
    fees: Decimal
    positions: tuple[PositionInfo, ...]
    open_orders: tuple[OpenOrderInfo, ...]
    errors: tuple[str, ...]


class StopOutcome(enum.StrEnum):
    """What `stop_bot` did."""

    ALREADY = "already"  # stopped or halted before
    STOPPED = "stopped"  # nothing ran it: stopped at once
    REQUESTED = "requested"  # its engine stops it after the current candle


@dataclass(frozen=True)
class StopResult:
    """The outcome of `stop_bot` and the bot's status afterwards."""

    bot_id: int
    outcome: StopOutcome
    status: BotStatus


def _info(row: Bot) -> BotInfo:
    return BotInfo(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        strategy=row.strategy,
        pairs=tuple(row.pairs),
        timeframe=row.timeframe,
        mode=row.mode,
        status=row.status,
        status_reason=row.status_reason,
        capital=row.capital,
        last_candle_ts=row.last_candle_ts,
    )


def _symbols(pairs: Iterable[str]) -> tuple[str, ...]:
    """Pairs as unified symbols, each once (comma-separated values split)."""
    symbols = [Pair.parse(p).symbol for value in pairs for p in value.split(",") if p.strip()]
    if not symbols:
        raise InvalidInputError("--pairs names no pair")
    if len(set(symbols)) != len(symbols):
        raise InvalidInputError("--pairs lists a pair twice")
    return tuple(symbols)


def plan_bot(ctx: ServiceContext, request: BotRequest) -> BotPlan:
    """Check a request (strategy, pairs, mode, feed and its candles) without writing anything."""
    from aurumbotx.strategies.registry import create_strategy

    chosen = create_strategy(request.strategy, dict(request.parameters))
    symbols = _symbols(request.pairs)
    if request.mode not in ("paper", "live"):
        raise InvalidInputError(f"--mode must be paper or live, got {request.mode!r}")
    kind, target = parse_feed(request.feed)
    if target is not None and len(symbols) != 1:
        raise InvalidInputError("--feed replay:FILE replays one pair; give exactly one --pairs")
    settings = ctx.settings
    check_feed_for_mode(kind, request.mode, settings.exchange.base_url)
    feed = plan_feed(
        kind,
        target,
        list(symbols),
        request.timeframe,
        store_root=settings.candle_dir,
        exchange=settings.exchange.name,
    )
    return BotPlan(
        name=request.name or f"{chosen.name} {' '.join(symbols)} {feed.timeframe}",
        strategy=request.strategy,
        strategy_name=chosen.name,
        strategy_description=chosen.description,
        described=chosen.describe(),
        parameters=dict(chosen.params),
        defaults={k: p.default for k, p in chosen.parameters.items()},
        pairs=symbols,
        timeframe=feed.timeframe,
        timeframe_inferred_from=feed.inferred_from,
        capital=request.capital,
        risk_percentage=request.risk_percentage,
        risk_limits=dict(request.risk_limits),
        mode=TradingMode(request.mode),
        feed=request.feed,
        speed=request.speed,
    )


def create_bot(ctx: ServiceContext, user_id: int, plan: BotPlan) -> BotInfo:
    """Write a planned bot for `user_id` (a live bot needs the owner's active exchange key)."""
    exchange = ctx.settings.exchange
    with session_scope(ctx.session_factory) as session:
        if plan.mode is TradingMode.LIVE and not live_key_exists(
            session, user_id, exchange.name, exchange.testnet
        ):
            net = "testnet" if exchange.testnet else "mainnet"
            raise InvalidInputError(
                f"a live bot needs an active {exchange.name} {net} API key: add one with "
                "`aurumbotx keys add`"
            )
        strategy_row = StrategyRepository(session).get_or_create(
            plan.strategy_name, plan.strategy_description, dict(plan.defaults)
        )
        row = BotRepository(session).create(
            user_id=user_id,
            strategy_id=strategy_row.id,
            parameters=dict(plan.parameters),
            capital=plan.capital,
            risk_percentage=plan.risk_percentage,
            risk_limits=dict(plan.risk_limits),
            speed=plan.speed,
            name=plan.name,
            strategy=plan.strategy,
            pairs=list(plan.pairs),
            timeframe=plan.timeframe,
            mode=plan.mode.value,
            feed=plan.feed,
        )
        return _info(row)


def bot_owner(ctx: ServiceContext, bot_id: int) -> int:
    """The id of the bot's owner: how the operator's CLI acts for them (NotFoundError)."""
    with session_scope(ctx.session_factory) as session:
        return BotRepository(session).get(bot_id).user_id


def start_bot(ctx: ServiceContext, user_id: int, bot_id: int) -> BotInfo:
    """Make a stopped or halted bot runnable again; the engine picks it up and reconciles it."""
    with session_scope(ctx.session_factory) as session:
        repo = BotRepository(session)
        row = repo.get(bot_id, user_id)
        if BotStatus(row.status) in (BotStatus.STOPPED, BotStatus.HALTED):
            repo.set_status(row, BotStatus.RECONCILING, "start requested")
        return _info(row)


def stop_bot(ctx: ServiceContext, user_id: int, bot_id: int) -> StopResult:
    """Ask a bot to stop after its current candle; stop it at once when nothing runs it."""
    with session_scope(ctx.session_factory) as session:
        repo = BotRepository(session)
        row = repo.get(bot_id, user_id)
        current = BotStatus(row.status)
        if current in (BotStatus.STOPPED, BotStatus.HALTED):
            return StopResult(bot_id, StopOutcome.ALREADY, current)
        if current is not BotStatus.STOPPING:
            repo.set_status(row, BotStatus.STOPPING, "stop requested")
        if row.owner is None:
            repo.set_status(row, BotStatus.STOPPED, "stopped while no engine ran it")
            return StopResult(bot_id, StopOutcome.STOPPED, BotStatus.STOPPED)
        return StopResult(bot_id, StopOutcome.REQUESTED, BotStatus.STOPPING)


def request_stop(ctx: ServiceContext, bot_ids: Iterable[int], reason: str) -> None:
    """Ask running bots to stop (the operator's engine process, on a signal)."""
    with session_scope(ctx.session_factory) as session:
        repo = BotRepository(session)
        for bot_id in bot_ids:
            row = repo.get(bot_id)
            if BotStatus(row.status) in (BotStatus.RUNNING, BotStatus.RECONCILING):
                repo.set_status(row, BotStatus.STOPPING, reason)


def delete_bot(
    ctx: ServiceContext, user_id: int, bot_id: int, *, purge: bool = False, force: bool = False
) -> DeletedBot:
    """Delete a bot nobody runs; its orders stay in `trades` (detached) unless `purge`."""
    with session_scope(ctx.session_factory) as session:
        return repository.delete_bot(session, bot_id, purge=purge, force=force, user_id=user_id)


def list_bots(ctx: ServiceContext, user_id: int) -> list[BotOverview]:
    """The user's bots, newest first, with equity and P/L."""
    with session_scope(ctx.session_factory) as session:
        return list_overviews(session, user_id)


def list_all_bots(ctx: ServiceContext) -> list[BotOverview]:
    """Every user's bots (the operator's view)."""
    with session_scope(ctx.session_factory) as session:
        return list_overviews(session, None)


def bot_trades(ctx: ServiceContext, user_id: int, bot_id: int) -> BotTrades:
    """The bot's round trips, oldest first (open positions without exit or P/L)."""
    with session_scope(ctx.session_factory) as session:
        return repository.bot_trades(session, bot_id, user_id)


def bot_status(ctx: ServiceContext, user_id: int, bot_id: int) -> BotStatusReport:
    """The bot, its equity and cash, positions, open orders and last problems."""
    from aurumbotx.db.repositories.bot_store import DbBotStore

    with session_scope(ctx.session_factory) as session:
        info = _info(BotRepository(session).get(bot_id, user_id))
    state = DbBotStore(ctx.session_factory, bot_id).load_state()
    with session_scope(ctx.session_factory) as session:
        latest = session.scalar(
            sa.select(BotDaily.ending_balance)
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
        errors = tuple(f"{p.timestamp:%Y-%m-%d %H:%M:%S} {p.level}: {p.message}" for p in problems)
    portfolio = Portfolio(info.capital)
    for fill in state.fills:
        portfolio.apply_fill(fill, reason=fill.tag)
    return BotStatusReport(
        bot=info,
        equity=latest if latest is not None else portfolio.cash,
        cash=portfolio.cash,
        closed_trades=len(portfolio.closed),
        realised=sum((t.profit_loss for t in portfolio.closed), ZERO),
        fees=portfolio.fees_paid,
        positions=tuple(
            PositionInfo(p.pair, p.amount, p.entry_price, p.entry_ts)
            for p in portfolio.positions.values()
        ),
        open_orders=tuple(
            OpenOrderInfo(
                o.client_order_id,
                o.pair,
                str(o.side),
                str(o.type),
                str(o.status),
                o.amount,
                o.price,
            )
            for o in [*state.open_orders, *state.pending_orders]
        ),
        errors=errors,
    )
