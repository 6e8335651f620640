"""BotRunner: one bot's TradingEngine fed with closed candles, persisted candle by candle.

Paper and live bots run the same `TradingEngine` as backtests. What a bot adds:

* signals computed live, in O(1) per candle: the strategy's incremental source
  (`Strategy.live_signals`, warmed up on the pair's history), equal to the last row of
  `populate` over that history. Because strategies may not look ahead, that row equals the
  one a backtest computes on the whole file: a paper bot replaying a file makes the
  backtest's trades exactly. A strategy without a source gets `populate` over its last
  `populate_window` candles (the rule and its limits: aurumbotx.strategies.live).
* persistence through a `BotStore` (the database): every order intent is written before it is
  sent (OrderRouter); the effects of a candle (fills, order states, balances, progress, daily
  figures) are committed in one transaction, so a crash loses at most the candle in flight,
  which is processed again on restart with the same deterministic client order ids.
* reconciliation on (re)start: the engine is rebuilt from the stored fills and open orders, the
  exchange is asked about every order whose outcome is unknown, and only then does it trade.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol, cast

import numpy as np
import pandas as pd

from aurumbotx.domain.candles import CANDLE_COLUMNS, INDEX_NAME, Candle
from aurumbotx.domain.enums import BotStatus, OrderStatus, TradingMode
from aurumbotx.domain.errors import AurumBotXError, DataError
from aurumbotx.domain.events import (
    CandleGap,
    Event,
    OrderFilled,
    SignalGenerated,
    StrategyFailed,
    owned,
)
from aurumbotx.domain.timeframes import timeframe_to_ms
from aurumbotx.domain.trading import ZERO, Fill, Order, RoundTrip, Signal
from aurumbotx.domain.values import float_to_decimal, money_arithmetic
from aurumbotx.engine.core import TradingEngine
from aurumbotx.engine.orders import OrderRouter, OrderStore
from aurumbotx.engine.portfolio import Portfolio
from aurumbotx.execution.base import ExchangeClient
from aurumbotx.risk.manager import EquityMarks, RiskManager
from aurumbotx.strategies.base import LiveSignals, Strategy, compute_signals, warmed_up
from aurumbotx.strategies.live import UndecidedSignal, populate_window

HISTORY_LIMIT = 10_000  # candles kept per pair for live signals
_SIGNAL_DATA_LIMIT = 12  # indicator values kept with an order (why it was placed)


@dataclass
class BotSpec:
    """What a bot is: its row in `bots`, as the engine needs it."""

    id: int
    user_id: int
    name: str
    strategy: str
    parameters: dict[str, Any]
    pairs: list[str]
    timeframe: str
    capital: Decimal
    mode: TradingMode
    feed: str = "live"
    speed: str | None = None
    model_version: str | None = None
    status: BotStatus = BotStatus.CREATED
    last_candle_ts: int | None = None
    quote: str = "USDT"


@dataclass
class BotState:
    """What the store holds about a bot, to rebuild its engine after a restart."""

    fills: list[Fill] = field(default_factory=list)  # in the order they happened
    open_orders: list[Order] = field(default_factory=list)  # OPEN / PARTIALLY_FILLED
    pending_orders: list[Order] = field(default_factory=list)  # intents of unknown outcome
    paper_balances: dict[str, Decimal] | None = None
    recent_order_ts: list[int] = field(default_factory=list)  # last hour, for the rate limit
    equity_marks: EquityMarks | None = None  # the daily-loss and drawdown limits' memory


@dataclass
class CandleResult:
    """Everything one candle changed, committed by the store in one transaction."""

    candle: Candle
    orders: list[Order]
    fills: list[Fill]
    round_trips: list[RoundTrip]
    equity: Decimal
    balances: dict[str, Decimal] | None
    events: list[Event]  # owned: bot and user id filled in


class BotStore(OrderStore, Protocol):
    """Persistence of one bot (implemented over the database in aurumbotx.db)."""

    def load_state(self) -> BotState:
        """Stored fills, open and pending orders, paper balances."""
        ...

    def commit_candle(self, result: CandleResult) -> None:
        """Persist one candle's effects and the bot's progress, atomically."""
        ...

    def set_status(self, status: BotStatus, reason: str | None = None) -> None:
        """Record a lifecycle transition."""
        ...


class _History:
    """A pair's candles since the feed's first one, in growable arrays (no copy per candle)."""

    def __init__(self, pair: str, timeframe: str, capacity: int = 1024) -> None:
        self.pair = pair
        self.timeframe = timeframe
        self.ts = np.empty(capacity, dtype=np.int64)
        self.values = np.empty((capacity, len(CANDLE_COLUMNS)), dtype=np.float64)
        self.size = 0

    def append(self, candle: Candle) -> None:
        if self.size and candle.ts <= self.ts[self.size - 1]:
            raise DataError(
                f"{candle.pair}: candle {candle.ts} is not after the last one "
                f"({int(self.ts[self.size - 1])}); the feed must deliver candles in order"
            )
        if self.size == len(self.ts):
            if self.size >= HISTORY_LIMIT:
                keep = HISTORY_LIMIT // 2
                self.ts[:keep] = self.ts[self.size - keep : self.size]
                self.values[:keep] = self.values[self.size - keep : self.size]
                self.size = keep
            else:
                self.ts = np.resize(self.ts, self.size * 2)
                self.values = np.resize(self.values, (self.size * 2, len(CANDLE_COLUMNS)))
        self.ts[self.size] = candle.ts
        self.values[self.size] = (candle.open, candle.high, candle.low, candle.close, candle.volume)
        self.size += 1

    def frame(self, drop_last: bool = False, last: int | None = None) -> pd.DataFrame:
        n = self.size - 1 if drop_last else self.size
        start = max(0, n - last) if last is not None else 0
        index = pd.DatetimeIndex(self.ts[start:n].astype("datetime64[ms]"), name=INDEX_NAME)
        frame = pd.DataFrame(
            self.values[start:n], index=index.tz_localize("UTC"), columns=list(CANDLE_COLUMNS)
        )
        frame.attrs.update(pair=self.pair, timeframe=self.timeframe)
        return frame


class BotRunner:
    """Runs one bot's engine candle by candle; synchronous (live drivers use a thread)."""

    #: Signals from the strategy's incremental source, else `populate` over a bounded window
    #: (strategies.live). False: `populate` over the whole history at every candle, the old
    #: O(history) path, to measure what the sources save (docs/benchmarks.md, "Replay speed").
    incremental: ClassVar[bool] = True

    def __init__(
        self,
        spec: BotSpec,
        strategy: Strategy,
        exchange: ExchangeClient,
        store: BotStore,
        risk: RiskManager,
        *,
        listener: Callable[[Event], None] | None = None,
        on_record: Callable[[Any], None] | None = None,
        max_strategy_failures: int = 3,
        balance_check_seconds: float = 300.0,
    ) -> None:
        self.spec = spec
        self.strategy = strategy
        self.exchange = exchange
        self.store = store
        self.timeframe_ms = timeframe_to_ms(spec.timeframe)
        self.router = OrderRouter(exchange, _IntentsFirst(store))
        self.engine = TradingEngine(
            bot_id=f"bot{spec.id}",
            exchange=exchange,
            router=self.router,
            portfolio=Portfolio(spec.capital, spec.quote),
            risk=risk,
            timeframe_ms=self.timeframe_ms,
            stop_loss_pct=strategy.stop_loss_pct,
            take_profit_pct=strategy.take_profit_pct,
            listener=self._collect,
        )
        self.listener = listener
        self.history = {pair: _History(pair, spec.timeframe) for pair in spec.pairs}
        # Incremental signal sources (strategies that offer one, e.g. ai_adaptive), per pair;
        # False once a strategy said it has none.
        self._live: dict[str, LiveSignals | bool] = {}
        self.on_record = on_record
        self.last_candle_ts: dict[str, int | None] = dict.fromkeys(spec.pairs, spec.last_candle_ts)
        self._events: list[Event] = []
        self.reconciled = False
        # A strategy that fails on this many candles in a row halts the bot: its positions
        # would otherwise go unmanaged for ever.
        self.max_strategy_failures = max_strategy_failures
        self.sleep: Callable[[float], None] = time.sleep  # reconciliation's waits (tests: fake)
        # Live: the books are compared with the account's balances this often (and after
        # reconciliation); a shortfall halts the bot (`failed_reason`).
        self.balance_check_seconds = balance_check_seconds
        self._books_checked_at = float("-inf")
        # Net amount and fee of each order's fills booked so far (stored with their candles).
        self._booked: dict[str, tuple[Decimal, Decimal]] = {}
        self._awaiting: dict[str, Order] = {}  # stored short of their executions, by id
        self.strategy_failures = 0  # consecutive
        self.failed_reason: str | None = None

    # ------------------------------------------------------------------ lifecycle
    def reconcile(self) -> list[str]:
        """Rebuild the engine from the store and agree with the exchange; notes for the log."""
        with money_arithmetic():
            return self._reconcile()

    def _reconcile(self) -> list[str]:
        """Rebuild the engine from the store and agree with the exchange (see `reconcile`).

        Orders whose answer was never stored (PENDING) are looked up on the exchange by client
        order id: adopted when it has them, left PENDING when it does not (the candle that made
        them is processed again and sends them then). Nothing is ever sent twice.
        """
        notes: list[str] = []
        state = self.store.load_state()
        open_orders = list(state.open_orders)
        if self.spec.mode is TradingMode.PAPER:
            # The simulated account is ours: what was not committed never happened.
            self.exchange.restore(
                state.paper_balances or {self.spec.quote: self.spec.capital}, open_orders
            )
        for order in state.pending_orders:
            known = self.exchange.fetch_order(order.client_order_id)
            wait = self.exchange.resend_wait(order) if known is None else 0.0
            if wait > 0:
                # Its request may still be in flight and valid: sending the order again now
                # could execute it twice. Wait until the exchange would refuse that request,
                # then ask again (docs/engine.md, "Exactly once").
                notes.append(
                    f"order {order.client_order_id}: unknown to the exchange while its last "
                    f"request may still execute; waited {wait:.1f} s before asking again"
                )
                self.sleep(wait)
                known = self.exchange.fetch_order(order.client_order_id)
            if known is None:
                expired = " (its last request can no longer execute)" if wait > 0 else ""
                notes.append(f"order {order.client_order_id}: never reached the exchange{expired}")
                continue
            self.store.save_result(known)
            open_orders.append(known)
            notes.append(
                f"order {order.client_order_id}: adopted from the exchange ({known.status})"
            )
        if self.spec.mode is TradingMode.LIVE:
            notes.extend(self.exchange.restore_open_orders(open_orders))
        for fill in state.fills:
            book_fill(self._booked, fill)
        self.engine.restore(
            state.fills, [o for o in open_orders if o.status is not OrderStatus.REJECTED]
        )
        self.engine.risk.restore_order_times(state.recent_order_ts)
        if state.equity_marks is not None:
            self.engine.risk.restore_equity(state.equity_marks)
        self.reconciled = True
        self.failed_reason = self.check_books()
        return notes

    def _gap(self, pair: str, last: int, ts: int) -> CandleGap:
        """A CandleGap event: candles the feed never delivered (the exchange has none).

        A live feed back-fills from the exchange before it moves on, so what still lacks here
        was never produced (an outage, a halted market). The rule is the backtest's: nothing is
        invented, indicators run over the candles that exist; the gap is recorded.
        """
        missing = (ts - last) // self.timeframe_ms - 1
        when = f"{_utc(last + self.timeframe_ms)} .. {_utc(ts - self.timeframe_ms)}"
        reason = (
            f"{pair}: {missing} {self.spec.timeframe} candle(s) missing ({when} UTC), none on the "
            "exchange; trading on the candles that exist"
        )
        spec = self.spec
        return CandleGap(
            ts=ts, bot_id=spec.id, user_id=spec.user_id, pair=pair, missing=missing, reason=reason
        )

    # ------------------------------------------------------------------ books
    def check_books(self) -> str | None:
        """Live: does the account hold what the books say? The reason to halt when it does not.

        Checked when nothing is in flight (no order of this bot waits on the exchange or on
        booking), so an execution not booked yet is never mistaken for a difference. The
        account may hold more (the user's own coins, other bots on the key): only a shortfall
        beyond dust (the pair's amount step for a base asset, 0.01 for the quote asset, or a
        millionth of the booked amount, whichever is larger) halts. docs/engine.md, "Books".
        """
        if self.spec.mode is not TradingMode.LIVE or self._in_flight():
            return None
        self._books_checked_at = time.monotonic()
        engine = self.engine
        books: dict[str, tuple[Decimal, Decimal]] = {
            self.spec.quote: (engine.portfolio.cash, Decimal("0.01"))
        }
        for pair, position in engine.portfolio.positions.items():
            rules = self.exchange.market_rules(pair)
            step = rules.amount_step if rules is not None and rules.amount_step else Decimal("1e-8")
            base = pair.split("/")[0]
            booked = books.get(base, (ZERO, step))[0] + position.amount
            books[base] = (booked, step)
        held = self.exchange.balances()
        short = [
            f"{booked} {asset} in the books, {held.get(asset, ZERO)} on the exchange"
            for asset, (booked, step) in sorted(books.items())
            if booked - held.get(asset, ZERO) > max(step, booked * Decimal("1e-6"))
        ]
        if not short:
            return None
        return (
            "books differ from the exchange: "
            + "; ".join(short)
            + " (halted rather than trade on wrong books)"
        )

    def _in_flight(self) -> bool:
        engine = self.engine
        return bool(
            engine.pending_entries or engine.pending_exits or self._awaiting or self.router.sent
        )

    def warm_up(self, candle: Candle) -> None:
        """Add history without trading on it (candles at or before the progress marker)."""
        self.history[candle.pair].append(candle)

    # ------------------------------------------------------------------ the loop
    def on_candle(self, candle: Candle) -> CandleResult:
        """Process one closed candle: signal, engine, persistence (one transaction)."""
        with money_arithmetic():
            return self._on_candle(candle)

    def _on_candle(self, candle: Candle) -> CandleResult:
        if not self.reconciled:
            raise RuntimeError("reconcile() must run before the first candle")
        pair = candle.pair
        last = self.last_candle_ts.get(pair)
        if last is not None and candle.ts <= last:
            raise DataError(f"{pair}: candle {candle.ts} already processed (last {last})")
        self.history[pair].append(candle)
        self._events = []
        if last is not None and candle.ts > last + self.timeframe_ms:
            self._events.append(self._gap(pair, last, candle.ts))
        signal = self.signal(pair, candle)
        if signal is not None:
            self._events.append(self._signalled(pair, candle, signal))
        before = {o.client_order_id: o for o in self._engine_orders(pair)}
        self.router.sent.clear()
        closed_before = len(self.engine.portfolio.closed)
        self.engine.on_candle(candle, signal)
        touched = dict(before)
        # Orders answered with executions not booked yet: written again once they are.
        touched.update({cid: o for cid, o in self._awaiting.items() if o.pair == pair})
        for order in self.router.sent:
            touched[order.client_order_id] = order
        fills = [e.fill for e in self._events if isinstance(e, OrderFilled)]
        for fill in fills:
            book_fill(self._booked, fill)
        result = CandleResult(
            candle=candle,
            orders=[self._as_booked(order) for order in touched.values()],
            fills=fills,
            round_trips=self.engine.portfolio.closed[closed_before:],
            equity=self.engine.portfolio.equity(),
            balances=self.exchange.balances() if self.spec.mode is TradingMode.PAPER else None,
            events=self._events,
        )
        self.store.commit_candle(result)
        self.last_candle_ts[pair] = candle.ts
        if (
            self.spec.mode is TradingMode.LIVE
            and self.failed_reason is None
            and time.monotonic() - self._books_checked_at >= self.balance_check_seconds
        ):
            self.failed_reason = self.check_books()
        if self.listener is not None:
            for event in self._events:
                self.listener(event)
        return result

    def _as_booked(self, order: Order) -> Order:
        """The order as far as its fills are booked: what the store may write with them.

        A live exchange answers with executions that the engine books at the pair's next
        candle. Stored FILLED before its fills, an order killed in between would lose them for
        good (reconciliation skips final orders); stored as far as it is booked, it is polled
        again after a restart and its fills are booked then, exactly once.
        """
        amount, fee = self._booked.get(order.client_order_id, (ZERO, ZERO))
        if order.filled_amount <= amount:
            self._awaiting.pop(order.client_order_id, None)
            return order
        self._awaiting[order.client_order_id] = order
        # replace(), not copy: a compiled Order (make native) has no copy protocol.
        return replace(
            order,
            status=OrderStatus.PARTIALLY_FILLED if amount else OrderStatus.OPEN,
            filled_amount=amount,
            fee=fee,
            average_price=order.average_price if amount else None,
        )

    def signal(self, pair: str, candle: Candle | None = None) -> Signal | None:
        """The strategy's decision at the close of the pair's latest candle.

        Strategy code (populate, live_signals and its source) is user code: whatever it
        raises loses that candle's signal and is recorded (StrategyFailed); after
        `max_strategy_failures` candles in a row, `failed_reason` says the bot must halt.
        """
        history = self.history[pair]
        if not warmed_up(self.strategy, history.size):
            return None
        try:
            signal = self._strategy_signal(pair, history, candle)
        except Exception as error:  # any failure of strategy code, see above
            self._strategy_failed(pair, history, error)
            return None
        self.strategy_failures = 0
        return signal

    def _strategy_signal(
        self, pair: str, history: _History, candle: Candle | None
    ) -> Signal | None:
        live = self._live_source(pair, history) if candle is not None else None
        if live is not None and candle is not None:
            try:
                return live.on_candle(candle)
            except UndecidedSignal:
                frame = compute_signals(self.strategy, history.frame())  # rare: exact
        else:
            window = populate_window(self.strategy.startup_candles)
            frame = compute_signals(
                self.strategy, history.frame(last=window if self.incremental else None)
            )
        row = frame.iloc[-1]
        enter, leave = bool(row["enter_long"]), bool(row["exit_long"])
        if not (enter or leave):
            return None
        confidence = row.get("confidence")
        return Signal(
            enter=enter,
            exit=leave,
            stop_loss=_price(row.get("stop_loss")),
            take_profit=_price(row.get("take_profit")),
            confidence=float(confidence) if isinstance(confidence, float | int) else None,
            data=_signal_data(row),
        )

    def _strategy_failed(self, pair: str, history: _History, error: Exception) -> None:
        self._live.pop(pair, None)  # rebuilt from the history at the next candle
        name = self.strategy.name
        reason = (
            str(error)
            if isinstance(error, AurumBotXError)
            else f"strategy {name!r} failed: {type(error).__name__}: {error}"
        )
        self.strategy_failures += 1
        ts = int(history.ts[history.size - 1])
        spec = self.spec
        self._events.append(
            StrategyFailed(ts=ts, bot_id=spec.id, user_id=spec.user_id, pair=pair, reason=reason)
        )
        if self.strategy_failures >= self.max_strategy_failures:
            self.failed_reason = (
                f"strategy {name!r} failed on {self.strategy_failures} candles in a row "
                f"(last: {reason})"
            )

    def _live_source(self, pair: str, history: _History) -> LiveSignals | None:
        """The strategy's incremental source, warmed up on the history before this candle."""
        source = self._live.get(pair)
        if source is None and not self.incremental:
            source = self._live[pair] = False
        if source is None:
            source = self.strategy.live_signals(history.frame(drop_last=True), self.on_record)
            self._live[pair] = source if source is not None else False
        if source is False:
            return None
        return cast(LiveSignals, source)

    def _signalled(self, pair: str, candle: Candle, signal: Signal) -> SignalGenerated:
        spec = self.spec
        return SignalGenerated(
            ts=candle.ts + self.timeframe_ms - 1,  # the candle's close, as the engine's `now`
            bot_id=spec.id,
            user_id=spec.user_id,
            pair=pair,
            enter=signal.enter,
            exit=signal.exit,
            confidence=signal.confidence,
        )

    def _collect(self, event: Event) -> None:
        """The engine's events, stamped with their owner (the engine core knows neither id)."""
        self._events.append(owned(event, bot_id=self.spec.id, user_id=self.spec.user_id))

    @property
    def last_events(self) -> list[Event]:
        """The events of the last processed candle."""
        return self._events

    def _engine_orders(self, pair: str) -> list[Order]:
        """The pair's orders the engine waits on (asking the exchange would cost a request)."""
        engine = self.engine
        orders = list(engine.protective.get(pair, ()))
        for book in (engine.pending_entries, engine.pending_exits):
            if pair in book:
                orders.append(book[pair])
        return orders

    def is_flat(self) -> bool:
        """No position and no order the engine waits on."""
        engine = self.engine
        return not (
            engine.portfolio.positions
            or engine.pending_entries
            or engine.pending_exits
            or any(engine.protective.values())
        )

    @property
    def halted_reason(self) -> str | None:
        """Why the risk manager halted the bot, if it did."""
        return self.engine.risk.halted_reason


class _IntentsFirst:
    """The router's store: intents are committed at once, answers with their candle.

    An answer stored apart from the candle's fills could say FILLED while the position it
    opened was never committed; deferring it keeps order states and portfolio in step.
    """

    def __init__(self, store: BotStore) -> None:
        self.store = store

    def save_intent(self, order: Order) -> Order | None:
        return self.store.save_intent(order)

    def save_result(self, order: Order) -> None:
        """Committed by `commit_candle` with the rest of the candle."""


def _price(value: object) -> Decimal | None:
    if isinstance(value, float | int) and np.isfinite(value) and value > 0:
        return float_to_decimal(float(value))
    return None


def _signal_data(row: pd.Series) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in row.items():
        if len(data) >= _SIGNAL_DATA_LIMIT:
            break
        if isinstance(value, bool | np.bool_):
            data[str(key)] = bool(value)
        elif isinstance(value, float | int | np.floating | np.integer) and np.isfinite(value):
            data[str(key)] = float(value)
    return data


def book_fill(booked: dict[str, tuple[Decimal, Decimal]], fill: Fill) -> None:
    """Add `fill` to its order's booked (net amount, fee)."""
    amount, fee = booked.get(fill.client_order_id, (ZERO, ZERO))
    booked[fill.client_order_id] = (amount + fill.amount, fee + fill.fee)


def order_is_open(order: Order) -> bool:
    """OPEN or PARTIALLY_FILLED."""
    return order.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


def _utc(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
