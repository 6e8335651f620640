"""TradingEngine: one bot's candle -> signal -> risk -> router -> exchange loop.

The same class runs a backtest (driven by the simulated clock of `aurumbotx.backtest`), a paper
bot and a live bot (driven by a live or replayed feed). For every closed candle of a pair:

1. the exchange reports the fills the candle produced (the PaperExchange matches resting orders
   against its range; a real exchange is polled), and the portfolio books them; an entry fill
   places the position's protective stop-loss / take-profit as one OCO group;
2. the candle's close marks the portfolio; equity limits (daily loss, drawdown) may halt;
3. the strategy's signal for that candle becomes intents: an exit sells the whole position
   (after cancelling its protective orders), an entry is sized by the risk manager and bought
   with a market order that fills at the next candle's open.

Signals with both an entry and an exit on one candle are ignored (vectorbt's default). Orders
carry the engine's candle clock: `now` is the last millisecond of the candle being closed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Final

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.enums import (
    BUY,
    FILLED,
    MARKET,
    OPEN,
    REJECTED,
    SELL,
    STOP_LOSS,
    TAKE_PROFIT,
    is_final_status,
)
from aurumbotx.domain.events import (
    BotHalted,
    Event,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    RiskLimitHit,
    TradeClosed,
)
from aurumbotx.domain.trading import ZERO, Fill, Order, OrderTag, RoundTrip, Signal
from aurumbotx.engine.orders import Exchange, OrderRouter, client_order_id
from aurumbotx.engine.portfolio import Portfolio
from aurumbotx.risk.manager import RiskManager

Listener = Callable[[Event], None]


class TradingEngine:
    """The decision loop of one bot over one or more pairs sharing one cash balance."""

    def __init__(
        self,
        *,
        bot_id: str,
        exchange: Exchange,
        router: OrderRouter,
        portfolio: Portfolio,
        risk: RiskManager,
        timeframe_ms: int,
        stop_loss_pct: Decimal | None = None,
        take_profit_pct: Decimal | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.bot_id = bot_id
        self.exchange = exchange
        self.router = router
        self.portfolio = portfolio
        self.risk = risk
        self.timeframe_ms = timeframe_ms
        self.stop_loss_pct = stop_loss_pct
        self.take_profit_pct = take_profit_pct
        self.listener = listener
        self.pending_entries: dict[str, Order] = {}
        self.pending_exits: dict[str, Order] = {}
        self.protective: dict[str, list[Order]] = {}
        self.rejections: list[OrderRejected | RiskLimitHit] = []
        self._watch_equity = risk.limits.watches_equity
        # Whether an entry fill gets protective orders without the signal asking for them.
        self._protects = any(
            pct is not None
            for pct in (
                stop_loss_pct,
                take_profit_pct,
                risk.limits.stop_loss_pct,
                risk.limits.take_profit_pct,
            )
        )
        self._placed_at_open = False
        self.fill_count = 0
        self.halted_at: int | None = None

    # ------------------------------------------------------------------ the loop
    def on_candle(self, candle: Candle, signal: Signal | None) -> None:
        """Process one closed candle of one pair, with the strategy's signal for it."""
        exchange = self.exchange
        pair = candle.pair
        if self._watch_equity and self.risk.needs_opening_mark():
            # The first day's start: the equity before this candle, at its open.
            if pair not in self.portfolio.closes:
                self.portfolio.closes[pair] = candle.open
            self.risk.mark_opening(self.portfolio.equity())
        fills = exchange.on_candle(candle)
        while fills:
            self._placed_at_open = False
            for fill in fills:
                self._on_fill(fill, candle)
            # Protective orders placed at this candle's open may fill inside it.
            fills = exchange.on_candle(candle) if self._placed_at_open else []
        if self.pending_entries or self.pending_exits:
            self._drop_dead_orders(pair, candle.ts)
        self.portfolio.closes[pair] = candle.close
        now = candle.ts + self.timeframe_ms - 1
        if self._watch_equity:
            reason = self.risk.on_equity(now, self.portfolio.equity())
            if reason is not None:
                self.halted_at = now
                self._emit(BotHalted(ts=now, pair=pair, reason=reason))
        if signal is None or signal.enter == signal.exit:
            return  # no signal, or both an entry and an exit: ignored
        position = self.portfolio.positions.get(pair)
        if signal.exit:
            if position is not None and pair not in self.pending_exits:
                self._exit(pair, position.amount, candle.ts, now, signal)
        elif position is None and pair not in self.pending_entries:
            self._enter(candle, signal, now)

    def _enter(self, candle: Candle, signal: Signal, now: int) -> None:
        pair = candle.pair
        portfolio = self.portfolio
        risk = self.risk
        rules = self.exchange.market_rules(pair)
        # The reference price (the close as a Decimal) sizes an entry against its stop and checks
        # the pair's rules; sizing without either (all-in, a share of equity) does not need it.
        stopped = (
            signal.stop_loss is not None
            or self.stop_loss_pct is not None
            or risk.limits.stop_loss_pct is not None
        )
        price = portfolio.price(pair) if stopped or rules is not None else None
        stop = (
            risk.stop_price(price, signal.stop_loss, self.stop_loss_pct)
            if price is not None
            else None
        )
        positions = portfolio.positions
        cash = portfolio.cash
        if self.pending_entries:  # cash already promised to entries not filled yet
            cash -= sum((o.quote_amount or ZERO for o in self.pending_entries.values()), ZERO)
        decision = risk.check_entry(
            pair=pair,
            price=price,
            equity=portfolio.equity() if positions else portfolio.cash,
            cash=cash,
            pair_exposure=portfolio.exposure(pair) if positions else ZERO,
            total_exposure=portfolio.total_exposure() if positions else ZERO,
            open_positions=len(positions) + len(self.pending_entries),
            now_ts=now,
            stop_loss=stop,
            rules=rules,
        )
        if not decision.approved:
            self._refused(
                RiskLimitHit(
                    ts=now, pair=pair, tag=OrderTag.ENTRY, reason=decision.reason or "refused"
                )
            )
            return
        order = Order(
            client_order_id=client_order_id(self.bot_id, pair, candle.ts, OrderTag.ENTRY),
            pair=pair,
            side=BUY,
            type=MARKET,
            tag=OrderTag.ENTRY,
            created_ts=now,
            amount=None,
            quote_amount=decision.quote_amount,
            signal=signal,
        )
        sent = self.router.send(order, now)
        if sent.status is REJECTED:
            self._reject(now, pair, OrderTag.ENTRY, sent.error or "rejected by the exchange")
        elif not is_final_status(sent.status):
            self.pending_entries[pair] = sent
        elif sent.status is not FILLED and sent.filled_amount > 0:
            self._cancelled(now, pair, sent, sent.status.value.lower())

    def _exit(
        self, pair: str, amount: Decimal, candle_ts: int, now: int, signal: Signal | None
    ) -> None:
        for order in self.protective.pop(pair, ()):
            if order.status is OPEN:
                self.router.cancel(order, now)
        entry = self.pending_entries.pop(pair, None)
        if entry is not None and not is_final_status(entry.status):
            self.router.cancel(entry, now)  # the rest of a partly filled entry
            self._cancelled(now, pair, entry, "cancelled before the exit")
        self.risk.record_exit(now)
        order = Order(
            client_order_id=client_order_id(self.bot_id, pair, candle_ts, OrderTag.EXIT),
            pair=pair,
            side=SELL,
            type=MARKET,
            tag=OrderTag.EXIT,
            created_ts=now,
            amount=amount,
            signal=signal,
        )
        sent = self.router.send(order, now)
        if sent.status is REJECTED:
            self._reject(now, pair, OrderTag.EXIT, sent.error or "rejected by the exchange")
        elif not is_final_status(sent.status):
            self.pending_exits[pair] = sent
        elif sent.status is not FILLED and sent.filled_amount > 0:
            self._cancelled(now, pair, sent, sent.status.value.lower())

    # ------------------------------------------------------------------ fills
    def _on_fill(self, fill: Fill, candle: Candle) -> None:
        self.fill_count += 1
        pair = fill.pair
        if fill.side is BUY:
            entry = self._settled(self.pending_entries, pair, fill)
            self.portfolio.apply_fill(fill)
            position = self.portfolio.positions[pair]
            signal = entry.signal if entry is not None else position.signal
            position.signal = signal
            if entry is not None and is_final_status(entry.status) and entry.status is not FILLED:
                # Partly filled, and the rest expired or was cancelled by the exchange: the
                # position is what executed, and it is protected like a whole entry.
                self._cancelled(fill.ts, pair, entry, entry.status.value.lower())
            if (entry is None or is_final_status(entry.status)) and self._wants_protection(signal):
                self._protect(pair, position.entry_price, candle.ts, signal)
            if self.listener is not None:
                self._emit(OrderFilled(ts=fill.ts, pair=pair, fill=fill))
            return
        self._settled(self.pending_exits, pair, fill)
        if fill.tag in (OrderTag.STOP_LOSS, OrderTag.TAKE_PROFIT):
            self.protective.pop(pair, None)
        trip = self.portfolio.apply_fill(fill, reason=_EXIT_REASONS.get(fill.tag, "signal"))
        if self.listener is not None:
            self._emit(OrderFilled(ts=fill.ts, pair=pair, fill=fill))
            if trip is not None:
                self._emit(TradeClosed(ts=fill.ts, pair=pair, round_trip=trip))

    @staticmethod
    def _settled(book: dict[str, Order], pair: str, fill: Fill) -> Order | None:
        """The pending order this fill belongs to; forgotten once it is completely filled."""
        order = book.get(pair)
        if order is None or order.client_order_id != fill.client_order_id:
            return None
        if is_final_status(order.status):
            del book[pair]
        return order

    def _wants_protection(self, signal: Signal | None) -> bool:
        return self._protects or (
            signal is not None and (signal.stop_loss is not None or signal.take_profit is not None)
        )

    def _protect(self, pair: str, entry: Decimal, candle_ts: int, signal: Signal | None) -> None:
        risk = self.risk
        stop = risk.stop_price(entry, signal.stop_loss if signal else None, self.stop_loss_pct)
        target = risk.take_profit_price(
            entry, signal.take_profit if signal else None, self.take_profit_pct
        )
        if stop is None and target is None:
            return
        amount = self.portfolio.positions[pair].amount
        rules = self.exchange.market_rules(pair)
        tick = rules.price_tick if rules is not None else None
        group = client_order_id(self.bot_id, pair, candle_ts, "oco")
        orders = []
        for tag, kind, price, rounding in (
            (OrderTag.STOP_LOSS, STOP_LOSS, stop, ROUND_FLOOR),
            (OrderTag.TAKE_PROFIT, TAKE_PROFIT, target, ROUND_CEILING),
        ):
            if price is None:
                continue
            if tick:
                price = (price / tick).to_integral_value(rounding=rounding) * tick
            order = Order(
                client_order_id=client_order_id(self.bot_id, pair, candle_ts, tag),
                pair=pair,
                side=SELL,
                type=kind,
                tag=tag,
                created_ts=candle_ts,
                amount=amount,
                price=price,
                oco_group=group,
            )
            sent = self.router.send(order, candle_ts)
            if sent.status is REJECTED:
                self._reject(candle_ts, pair, tag, sent.error or "rejected by the exchange")
            else:
                orders.append(sent)
        if orders:
            self.protective[pair] = orders
            self._placed_at_open = True

    def _drop_dead_orders(self, pair: str, ts: int) -> None:
        """Forget pending orders the exchange rejected or cancelled at fill time."""
        for book in (self.pending_entries, self.pending_exits):
            order = book.get(pair)
            if order is not None and is_final_status(order.status) and order.status is not FILLED:
                del book[pair]
                if order.filled_amount <= 0:
                    self._reject(ts, pair, order.tag, order.error or order.status.value)
                    continue
                # Partly filled earlier; the rest ended without a fill now (expired, cancelled).
                self._cancelled(ts, pair, order, order.status.value.lower())
                position = self.portfolio.positions.get(pair)
                if (
                    book is self.pending_entries
                    and position is not None
                    and pair not in self.protective
                    and self._wants_protection(order.signal)
                ):
                    self._protect(pair, position.entry_price, ts, order.signal)

    # ------------------------------------------------------------------ events
    def _cancelled(self, ts: int, pair: str, order: Order, how: str) -> None:
        """Tell that the rest of a partly filled order will not execute (booked: what did)."""
        asked = order.amount if order.amount is not None else order.quote_amount
        unit = "" if order.amount is not None else " quote"
        reason = (
            f"{order.tag} {order.client_order_id} partly filled: {order.filled_amount} executed"
            f" of {asked}{unit}; the rest {how}"
        )
        self._emit(
            OrderCancelled(
                ts=ts,
                pair=pair,
                tag=order.tag,
                client_order_id=order.client_order_id,
                reason=reason,
                filled=order.filled_amount,
                asked=asked,
            )
        )

    def _reject(self, ts: int, pair: str, tag: str, reason: str) -> None:
        self._refused(OrderRejected(ts=ts, pair=pair, tag=tag, reason=reason))

    def _refused(self, event: OrderRejected | RiskLimitHit) -> None:
        """An order that will not be sent (risk) or was not accepted (exchange)."""
        self.rejections.append(event)
        if self.listener is not None:
            self.listener(event)

    def _emit(self, event: Event) -> None:
        if self.listener is not None:
            self.listener(event)

    def restore(self, fills: list[Fill], open_orders: list[Order]) -> None:
        """Rebuild state after a restart: replay the bot's fills in order, re-attach open orders.

        The portfolio that results is the one the uninterrupted run had: the same fills applied
        in the same order give the same Decimal arithmetic.
        """
        for fill in fills:
            if fill.side is BUY:
                self.portfolio.apply_fill(fill)
            else:
                self.portfolio.apply_fill(fill, reason=_EXIT_REASONS.get(fill.tag, "signal"))
        self.fill_count += len(fills)
        for order in open_orders:
            if order.tag == OrderTag.ENTRY:
                self.pending_entries[order.pair] = order
            elif order.tag == OrderTag.EXIT:
                self.pending_exits[order.pair] = order
            else:
                self.protective.setdefault(order.pair, []).append(order)

    def open_round_trips(self) -> list[RoundTrip]:
        """Positions still open, marked at their last prices."""
        return self.portfolio.open_round_trips()


_EXIT_REASONS: Final = {OrderTag.STOP_LOSS: "stop_loss", OrderTag.TAKE_PROFIT: "take_profit"}
"""Why a SELL fill closed a position, by order tag; anything else is "signal"."""
