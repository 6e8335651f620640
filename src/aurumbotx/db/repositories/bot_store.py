"""The engine's BotStore over the database, for one bot.

Order intents are committed on their own BEFORE they are sent; a candle's effects (order
answers, fills, paper balance, progress marker, daily figures) are committed in one transaction
(see aurumbotx.engine.bot). `trades` rows and engine `Order`s convert both ways here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from aurumbotx.db.engine import session_scope, translate_errors
from aurumbotx.db.models import (
    Bot,
    BotDaily,
    OrderFill,
    PaperBalance,
    PerformanceDaily,
    SystemLog,
    Trade,
)
from aurumbotx.db.repositories.bots import BotRepository
from aurumbotx.db.repositories.market_data import MarketDataRepository
from aurumbotx.domain.enums import BotStatus, OrderSide, OrderStatus, OrderType
from aurumbotx.domain.errors import NotFoundError
from aurumbotx.domain.events import (
    BotHalted,
    CandleGap,
    OrderCancelled,
    OrderRejected,
    RiskLimitHit,
    StrategyFailed,
)
from aurumbotx.domain.trading import Fill, Order, RoundTrip, Signal
from aurumbotx.domain.values import float_to_decimal
from aurumbotx.engine.bot import BotState, CandleResult, book_fill
from aurumbotx.risk.manager import EquityMarks

ZERO = Decimal(0)
HUNDRED = Decimal(100)
ROLLUP_EVERY = 60  # candles between refreshes of performance_daily (trades and new days too)
_DAILY_COLUMNS = (
    "bot_id",
    "date",
    "starting_balance",
    "ending_balance",
    "peak_balance",
    "max_drawdown",
    "total_trades",
    "winning_trades",
    "losing_trades",
    "total_profit",
    "total_fees",
)
HOUR_MS = 3_600_000
_EPOCH_DAY = date(1970, 1, 1)
OPEN_STATUSES = (OrderStatus.OPEN.value, OrderStatus.PARTIALLY_FILLED.value)
# Engine events that also get a `system_logs` row (where `bot status` shows them).
_LOGGED_EVENTS = (OrderRejected, RiskLimitHit, OrderCancelled, CandleGap, BotHalted, StrategyFailed)
_BOTS = cast(sa.Table, Bot.__table__)
# The progress marker, on the table (not the ORM entity): no ORM bulk-update machinery per candle.
_PROGRESS = (
    sa.update(_BOTS)
    .where(_BOTS.c.id == sa.bindparam("bot"))
    .values(last_candle_ts=sa.bindparam("ts"), heartbeat_at=sa.bindparam("now"))
)


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _day_values(current: dict[str, Any], result: CandleResult) -> dict[str, Any]:
    """A `bot_daily` row's values after one more candle of its day."""
    equity = result.equity
    values = dict(current)
    values["ending_balance"] = equity
    values["peak_balance"] = max(values["peak_balance"], equity)
    if values["peak_balance"] > 0:
        drawdown = (values["peak_balance"] - equity) / values["peak_balance"] * HUNDRED
        values["max_drawdown"] = max(values["max_drawdown"], drawdown)
    for trip in result.round_trips:
        values["total_trades"] += 1
        values["winning_trades"] += int(trip.profit_loss > 0)
        values["losing_trades"] += int(trip.profit_loss < 0)
        values["total_profit"] += trip.profit_loss
    values["total_fees"] += sum((f.fee for f in result.fills), ZERO)
    return values


class DbBotStore:
    """The engine's BotStore over the database, for one bot."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        bot_id: int,
        *,
        exchange_name: str = "binance",
        record_candles: bool = False,
    ) -> None:
        self.factory = factory
        self.bot_id = bot_id
        self.exchange_name = exchange_name
        self.record_candles = record_candles
        self._day_cache: dict[str, Any] | None = None
        # The paper balances as last committed: a candle that changes none writes none.
        self._balances_cache: dict[str, Decimal] | None = None
        self._candles_since_rollup = 0
        self._daily_upserts: dict[str, Any] = {}  # dialect -> statement built once
        with session_scope(factory) as session:
            row = BotRepository(session).get(bot_id)
            self.user_id = row.user_id
            self.timeframe = row.timeframe
            self.strategy_id = row.strategy_id
            self.pairs = list(row.pairs)
            repo = MarketDataRepository(session)
            self.pair_ids = {p: repo.register_pair(p, exchange_name).id for p in self.pairs}

    # ------------------------------------------------------------------ orders
    def get(self, client_order_id: str) -> Order | None:
        """The stored order with this client order id."""
        with session_scope(self.factory) as session:
            row = session.scalar(sa.select(Trade).where(Trade.client_order_id == client_order_id))
            return _order_of(row) if row is not None else None

    def save_intent(self, order: Order) -> Order | None:
        """Commit the PENDING order before the exchange hears of it; the stored one if any."""
        with session_scope(self.factory) as session:
            row = session.scalar(
                sa.select(Trade).where(Trade.client_order_id == order.client_order_id)
            )
            if row is not None:
                return _order_of(row)
            session.add(self._new_row(order))
            return None

    def mark_sent(self, order: Order) -> None:
        """Commit the time of a send attempt (`order.sent_ts`) before the request leaves."""
        with session_scope(self.factory) as session:
            session.execute(
                sa.update(Trade)
                .where(Trade.client_order_id == order.client_order_id)
                .values(sent_ts=order.sent_ts)
            )

    def save_result(self, order: Order) -> None:
        """Commit the exchange's answer."""
        with session_scope(self.factory) as session:
            self._upsert(session, order)

    def _upsert(self, session: Session, order: Order) -> Trade:
        """The order's `trades` row, created when missing, updated from the order."""
        row = session.scalar(sa.select(Trade).where(Trade.client_order_id == order.client_order_id))
        if row is None:
            row = self._new_row(order)
            session.add(row)
        _update_row(row, order)
        return row

    def _new_row(self, order: Order) -> Trade:
        return Trade(
            user_id=self.user_id,
            strategy_id=self.strategy_id,
            trading_pair_id=self.pair_ids.get(order.pair),
            bot_id=self.bot_id,
            client_order_id=order.client_order_id,
            pair=order.pair,
            side=order.side.value,
            order_type=order.type.value,
            tag=order.tag,
            amount=order.amount or ZERO,
            quote_amount=order.quote_amount,
            price=order.price or ZERO,
            candle_ts=order.created_ts,
            executed_at=_utc(order.created_ts),
            status=OrderStatus.PENDING.value,
            confidence=_confidence(order.signal),
            signal_data=_signal_json(order),
        )

    # ------------------------------------------------------------------ state
    def load_state(self) -> BotState:
        """Fills, open and pending orders, paper balances, the last hour's order times."""
        with session_scope(self.factory) as session:
            rows = session.scalars(
                sa.select(Trade).where(Trade.bot_id == self.bot_id).order_by(Trade.id)
            ).all()
            fills = session.execute(
                sa.select(OrderFill, Trade)
                .join(Trade, OrderFill.trade_id == Trade.id)
                .where(OrderFill.bot_id == self.bot_id)
                .order_by(OrderFill.ts, OrderFill.id)
            ).all()
            balances = {
                b.asset: b.amount
                for b in session.scalars(
                    sa.select(PaperBalance).where(PaperBalance.bot_id == self.bot_id)
                )
            }
            last = session.scalar(sa.select(Bot.last_candle_ts).where(Bot.id == self.bot_id))
            marks = self._equity_marks(session)
        orders = [_order_of(r) for r in rows]
        booked = [_fill_of(f, t) for f, t in fills]
        horizon = (last or 0) - HOUR_MS
        return BotState(
            fills=booked,
            open_orders=[
                o for o in _reopen_unbooked(orders, booked) if o.status.value in OPEN_STATUSES
            ],
            pending_orders=[o for o in orders if o.status is OrderStatus.PENDING],
            paper_balances=balances or None,
            recent_order_ts=[o.created_ts for o in orders if o.created_ts > horizon],
            equity_marks=marks,
        )

    def _equity_marks(self, session: Session) -> EquityMarks | None:
        """The risk limits' memory from the daily rows: today's start, the peak, the last mark."""
        latest = session.scalars(
            sa.select(BotDaily)
            .where(BotDaily.bot_id == self.bot_id)
            .order_by(BotDaily.date.desc())
            .limit(1)
        ).first()
        if latest is None:
            return None
        peak = session.scalar(
            sa.select(sa.func.max(BotDaily.peak_balance)).where(BotDaily.bot_id == self.bot_id)
        )
        return EquityMarks(
            day=(latest.date - _EPOCH_DAY).days,
            day_start=latest.starting_balance,
            peak=peak,
            last=latest.ending_balance,
        )

    def commit_candle(self, result: CandleResult) -> None:
        """One transaction: orders, fills, balances, progress, daily figures, the candle."""
        day = self._day_cache
        if day is not None and self._is_quiet(result, day):
            self._commit_quiet(result, day)
            return
        with session_scope(self.factory) as session:
            trips = {_trip_key(t): t for t in result.round_trips}
            for order in result.orders:
                row = self._upsert(session, order)
                trip = (
                    trips.get((order.pair, order.updated_ts))
                    if order.side is OrderSide.SELL
                    else None
                )
                if trip is not None and order.status is OrderStatus.FILLED:
                    row.profit_loss = trip.profit_loss
                    cost = trip.amount * trip.entry_price
                    row.profit_loss_percentage = trip.profit_loss / cost * HUNDRED if cost else ZERO
            if result.orders:
                session.flush()
            for fill in result.fills:
                self._add_fill(session, fill)
            balances = result.balances
            if balances is not None and balances != self._balances_cache:
                self._save_balances(session, balances)
            session.execute(
                _PROGRESS,
                {"bot": self.bot_id, "ts": result.candle.ts, "now": datetime.now(UTC)},
            )
            day_values = self._daily(session, result)
            for event in result.events:
                if isinstance(event, _LOGGED_EVENTS):
                    kind = type(event).__name__
                    session.add(
                        SystemLog(
                            level="WARNING",
                            message=f"bot {self.bot_id}: {kind}: {event.reason}",
                            module="engine",
                            function_name=kind,
                            user_id=self.user_id,
                            additional_data={"bot_id": self.bot_id, "pair": event.pair},
                        )
                    )
            if self.record_candles:
                MarketDataRepository(session).upsert_candle(
                    result.candle.pair, self.timeframe, result.candle
                )
        self._day_cache = day_values  # committed: the caches may follow
        if balances is not None:
            self._balances_cache = dict(balances)

    def _add_fill(self, session: Session, fill: Fill) -> None:
        trade_id = session.scalar(
            sa.select(Trade.id).where(Trade.client_order_id == fill.client_order_id)
        )
        if trade_id is None:
            raise NotFoundError(f"fill of unknown order {fill.client_order_id}")
        exchange_id = fill.trade_id or f"{fill.client_order_id}@{fill.ts}"
        seen = session.scalar(
            sa.select(OrderFill.id).where(
                OrderFill.trade_id == trade_id, OrderFill.exchange_trade_id == exchange_id
            )
        )
        if seen is None:
            session.add(
                OrderFill(
                    trade_id=trade_id,
                    bot_id=self.bot_id,
                    exchange_trade_id=exchange_id,
                    amount=fill.amount,
                    price=fill.price,
                    fee=fill.fee,
                    ts=fill.ts,
                )
            )

    def _save_balances(self, session: Session, balances: dict[str, Decimal]) -> None:
        session.execute(sa.delete(PaperBalance).where(PaperBalance.bot_id == self.bot_id))
        for asset, amount in balances.items():
            session.add(PaperBalance(bot_id=self.bot_id, asset=asset, amount=amount))

    def _daily(self, session: Session, result: CandleResult) -> dict[str, Any]:
        """Upsert the bot's day; returns the row's new values (cached once committed)."""
        candle = result.candle
        day = _utc(candle.ts).date()
        equity = result.equity
        current = self._day_cache if self._day_cache and self._day_cache["date"] == day else None
        if current is None:
            row = session.get(BotDaily, (self.bot_id, day))
            if row is not None:
                current = {c: getattr(row, c) for c in _DAILY_COLUMNS}
            else:
                previous = session.scalar(
                    sa.select(BotDaily.ending_balance)
                    .where(BotDaily.bot_id == self.bot_id, BotDaily.date < day)
                    .order_by(BotDaily.date.desc())
                    .limit(1)
                )
                start = previous if previous is not None else equity
                current = {
                    "bot_id": self.bot_id,
                    "date": day,
                    "starting_balance": start,
                    "ending_balance": start,
                    "peak_balance": start,
                    "max_drawdown": ZERO,
                    "total_trades": 0,
                    "winning_trades": 0,
                    "losing_trades": 0,
                    "total_profit": ZERO,
                    "total_fees": ZERO,
                }
        values = _day_values(current, result)
        if values != current or current is not self._day_cache:
            # Unchanged figures of a committed day (a flat bot) need no write.
            session.execute(self._daily_upsert(session.get_bind().dialect.name), values)
        self._candles_since_rollup += 1
        new_day = self._day_cache is None or self._day_cache["date"] != day
        if result.round_trips or new_day or self._candles_since_rollup >= ROLLUP_EVERY:
            session.flush()
            self._performance_daily(session, day)
            self._candles_since_rollup = 0
        return values

    def _is_quiet(self, result: CandleResult, day: dict[str, Any]) -> bool:
        """Nothing but the progress marker and the day's equity to write (most candles)."""
        return not (
            result.orders
            or result.fills
            or result.round_trips
            or self.record_candles
            or any(isinstance(e, _LOGGED_EVENTS) for e in result.events)
            or (result.balances is not None and result.balances != self._balances_cache)
            or day["date"] != _utc(result.candle.ts).date()
            or self._candles_since_rollup + 1 >= ROLLUP_EVERY
            or not isinstance(self.factory.kw.get("bind"), sa.Engine)
        )

    def _commit_quiet(self, result: CandleResult, day: dict[str, Any]) -> None:
        """`commit_candle` of a quiet candle: the same rows, one Core transaction, no ORM."""
        values = _day_values(day, result)
        engine = self.factory.kw["bind"]
        with translate_errors(engine), engine.begin() as connection:
            connection.execute(
                _PROGRESS, {"bot": self.bot_id, "ts": result.candle.ts, "now": datetime.now(UTC)}
            )
            if values != day:
                connection.execute(self._daily_upsert(engine.dialect.name), values)
        self._candles_since_rollup += 1
        self._day_cache = values

    def _daily_upsert(self, dialect: str) -> Any:
        """INSERT .. ON CONFLICT UPDATE of a `bot_daily` row, built once per dialect."""
        statement = self._daily_upserts.get(dialect)
        if statement is None:
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            base = insert(cast(sa.Table, BotDaily.__table__))
            statement = base.on_conflict_do_update(
                index_elements=["bot_id", "date"],
                set_={c: base.excluded[c] for c in _DAILY_COLUMNS if c not in ("bot_id", "date")},
            )
            self._daily_upserts[dialect] = statement
        return statement

    def _performance_daily(self, session: Session, day: date) -> None:
        """The spec's `performance_daily`: this user's bots of this strategy, summed."""
        bots = sa.select(Bot.id).where(
            Bot.user_id == self.user_id, Bot.strategy_id == self.strategy_id
        )
        rows = session.scalars(
            sa.select(BotDaily).where(BotDaily.date == day, BotDaily.bot_id.in_(bots))
        ).all()
        perf = session.scalar(
            sa.select(PerformanceDaily).where(
                PerformanceDaily.user_id == self.user_id,
                PerformanceDaily.strategy_id == self.strategy_id,
                PerformanceDaily.date == day,
            )
        )
        if perf is None:
            perf = PerformanceDaily(
                user_id=self.user_id,
                strategy_id=self.strategy_id,
                date=day,
                starting_balance=ZERO,
                ending_balance=ZERO,
            )
            session.add(perf)
        start = sum((r.starting_balance for r in rows), ZERO)
        end = sum((r.ending_balance for r in rows), ZERO)
        perf.starting_balance = start
        perf.ending_balance = end
        perf.total_trades = sum(r.total_trades for r in rows)
        perf.winning_trades = sum(r.winning_trades for r in rows)
        perf.losing_trades = sum(r.losing_trades for r in rows)
        perf.total_profit = sum((r.total_profit for r in rows), ZERO)
        perf.total_fees = sum((r.total_fees for r in rows), ZERO)
        perf.max_drawdown = max((r.max_drawdown for r in rows), default=ZERO)
        perf.roi_percentage = (end - start) / start * HUNDRED if start else ZERO

    def set_status(self, status: BotStatus, reason: str | None = None) -> None:
        """Record a lifecycle transition (and bring `performance_daily` up to date on a stop)."""
        with session_scope(self.factory) as session:
            repo = BotRepository(session)
            repo.set_status(repo.get(self.bot_id), status, reason)
            if status in (BotStatus.STOPPED, BotStatus.HALTED) and self._day_cache is not None:
                self._performance_daily(session, self._day_cache["date"])

    def status(self) -> BotStatus:
        """The bot's stored status (a stop request shows here)."""
        with session_scope(self.factory) as session:
            return BotStatus(BotRepository(session).get(self.bot_id).status)

    def heartbeat(self) -> None:
        """Say that this process is still running the bot."""
        with session_scope(self.factory) as session:
            session.execute(
                sa.update(Bot).where(Bot.id == self.bot_id).values(heartbeat_at=datetime.now(UTC))
            )

    def log_error(self, message: str, data: dict[str, Any]) -> None:
        """A `system_logs` row for an error of this bot."""
        self.log("ERROR", message, data)

    def log(self, level: str, message: str, data: dict[str, Any]) -> None:
        """A `system_logs` row of this bot at `level` (INFO, WARNING, ERROR)."""
        with session_scope(self.factory) as session:
            session.add(
                SystemLog(
                    level=level,
                    message=message[:10_000],
                    module="engine",
                    function_name="bot",
                    user_id=self.user_id,
                    additional_data={"bot_id": self.bot_id, **data},
                )
            )


def _reopen_unbooked(orders: list[Order], fills: list[Fill]) -> list[Order]:
    """Orders whose stored executions exceed their recorded fills, taken back as open.

    Whatever the order's status says, its fills are what the books hold: one stored as final
    with fewer fills than it executed (written by an earlier version, or by hand) is polled
    again after the restart, its executions beyond the recorded ones booked then.
    """
    booked: dict[str, tuple[Decimal, Decimal]] = {}
    for fill in fills:
        book_fill(booked, fill)
    for order in orders:
        amount, fee = booked.get(order.client_order_id, (ZERO, ZERO))
        if order.status.is_final and order.filled_amount > amount:
            order.status = OrderStatus.PARTIALLY_FILLED if amount else OrderStatus.OPEN
            order.filled_amount, order.fee = amount, fee
    return orders


def _trip_key(trip: RoundTrip) -> tuple[str, int | None]:
    return trip.pair, trip.exit_ts


def _confidence(signal: Signal | None) -> Decimal | None:
    if signal is None or signal.confidence is None:
        return None
    return float_to_decimal(float(signal.confidence))


def _signal_json(order: Order) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if order.signal is not None:
        data["signal"] = {
            "enter": order.signal.enter,
            "exit": order.signal.exit,
            "stop_loss": str(order.signal.stop_loss) if order.signal.stop_loss else None,
            "take_profit": str(order.signal.take_profit) if order.signal.take_profit else None,
            "data": order.signal.data or {},
        }
    if order.oco_group:
        data["oco_group"] = order.oco_group
    return data


def _update_row(row: Trade, order: Order) -> None:
    row.status = order.status.value
    row.order_id = order.exchange_order_id
    row.error_message = order.error
    row.filled_amount = order.filled_amount
    row.filled_price = order.average_price or ZERO
    row.fees = order.fee
    if order.amount is not None:
        row.amount = order.amount
    elif order.filled_amount:
        row.amount = order.filled_amount
    if order.price is not None:
        row.price = order.price
    elif order.average_price is not None:
        row.price = order.average_price
    if order.status is OrderStatus.FILLED and order.updated_ts is not None:
        row.filled_at = _utc(order.updated_ts)
    if order.exchange_response is not None:
        row.exchange_response = order.exchange_response
    if order.sent_ts is not None:
        row.sent_ts = order.sent_ts


def _order_of(row: Trade) -> Order:
    """The engine's Order from a `trades` row."""
    extra = row.signal_data or {}
    status = OrderStatus(row.status or OrderStatus.PENDING.value)
    created = int(row.candle_ts or 0)
    return Order(
        client_order_id=row.client_order_id or "",
        pair=row.pair or "",
        side=OrderSide(row.side),
        type=OrderType(row.order_type or OrderType.MARKET.value),
        tag=row.tag or "",
        created_ts=created,
        amount=row.amount if row.amount else None,
        price=row.price if row.order_type != OrderType.MARKET.value and row.price else None,
        quote_amount=row.quote_amount,
        status=status,
        filled_amount=row.filled_amount or ZERO,
        average_price=row.filled_price or None,
        fee=row.fees or ZERO,
        exchange_order_id=row.order_id,
        oco_group=extra.get("oco_group"),
        error=row.error_message,
        submitted_ts=created,
        exchange_response=row.exchange_response,
        sent_ts=row.sent_ts,
    )


def _fill_of(fill: OrderFill, trade: Trade) -> Fill:
    return Fill(
        client_order_id=trade.client_order_id or "",
        pair=trade.pair or "",
        side=OrderSide(trade.side),
        amount=fill.amount,
        price=fill.price,
        fee=fill.fee,
        ts=fill.ts,
        tag=trade.tag or "",
        order_type=OrderType(trade.order_type or OrderType.MARKET.value),
        trade_id=fill.exchange_trade_id,
    )
