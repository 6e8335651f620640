"""PaperExchange: the simulated exchange of backtests and paper bots (one fill model for both).

Fill conventions (documented in docs/backtesting.md, tested in tests/unit/execution):

* A MARKET order submitted at the close of candle t fills at the OPEN of the pair's next candle,
  moved by the slippage (buys pay more, sells get less) and put on the price tick when known.
* A market BUY with a quote budget (`quote_amount`, fees included) buys
  amount = budget / (price x (1 + fee)), rounded down to the amount step when known (not
  rounded otherwise): all-in.
* LIMIT buys fill when the low reaches the limit (at the open if the candle opens through it),
  LIMIT sells and TAKE_PROFIT when the high reaches it; STOP_LOSS sells when the low reaches the
  trigger, at the trigger or at the open if the candle gaps through it, less slippage.
* Time is the engine's candle clock: an order sent at the close of candle t carries
  `now_ts` = t's last millisecond and is matched from candle t+1 on, with gap fills at the open.
  An order sent at a candle's open time (a stop placed when the entry fills at the open) is
  matched against the rest of that candle at its own price (no gap fill); a market order sent
  then waits for the next open.
* A stop and a target of one position (an OCO group) both touched in one candle: the stop
  fills (worst case) and the target is cancelled.
* Fees are charged per side on notional, in the quote asset (default 0.1 %, Binance taker).
* Balances are enforced: an order the account cannot pay for is REJECTED, never half-done. The
  pair's minimum notional, when known, is checked at the fill price.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Final

import numpy as np

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.enums import (
    BUY,
    CANCELLED,
    FILLED,
    MARKET,
    OPEN,
    PARTIALLY_FILLED,
    REJECTED,
    SELL,
    STOP_LOSS,
    OrderSide,
    OrderStatus,
)
from aurumbotx.domain.markets import MarketRules
from aurumbotx.domain.trading import ZERO, Fill, Order
from aurumbotx.domain.values import float_to_decimal

_ONE: Final = Decimal(1)
_BPS: Final = Decimal(10_000)


_ASSETS: Final[dict[str, tuple[str, str]]] = {}


def _split(pair: str) -> tuple[str, str]:
    assets = _ASSETS.get(pair)
    if assets is None:
        base, _, quote = pair.partition("/")
        assets = _ASSETS[pair] = (base, quote)
    return assets


class PaperExchange:
    """A simulated spot account: balances, resting orders and the fill model."""

    def __init__(
        self,
        balances: dict[str, Decimal],
        *,
        fee_rate: Decimal = Decimal("0.001"),
        slippage_bps: Decimal = ZERO,
        rules: dict[str, MarketRules | None] | None = None,
    ) -> None:
        self.fee_rate = fee_rate
        self._one_plus_fee = _ONE + fee_rate
        self.slippage = slippage_bps / _BPS
        self._rules = dict(rules or {})
        self._free: dict[str, Decimal] = dict(balances)
        self._locked: dict[str, Decimal] = {}
        # reservation key (OCO group, else client order id) -> asset -> amount
        self._locks: dict[str, tuple[str, Decimal]] = {}
        self._orders: dict[str, Order] = {}
        self._open: dict[str, list[Order]] = {}
        self._checked: dict[str, int] = {}  # client order id -> last candle matched against

    # ------------------------------------------------------------------ account
    def market_rules(self, pair: str) -> MarketRules | None:
        """The pair's rules when known."""
        return self._rules.get(pair)

    def balances(self) -> dict[str, Decimal]:
        """Total (free + locked) balance per asset."""
        assets = set(self._free) | set(self._locked)
        return {a: self._free.get(a, ZERO) + self._locked.get(a, ZERO) for a in sorted(assets)}

    def free(self, asset: str) -> Decimal:
        """Balance not reserved by open orders."""
        return self._free.get(asset, ZERO)

    def resend_wait(self, order: Order) -> float:
        """0: a simulated order is decided when it is submitted; nothing is ever in flight."""
        return 0.0

    def fetch_order(self, client_order_id: str) -> Order | None:
        """An order by client order id."""
        return self._orders.get(client_order_id)

    def open_orders(self, pair: str | None = None) -> list[Order]:
        """Orders still open, oldest first."""
        if pair is not None:
            return list(self._open.get(pair, ()))
        return [o for orders in self._open.values() for o in orders]

    def restore(self, balances: dict[str, Decimal], open_orders: list[Order]) -> None:
        """Rebuild the account after a restart: total balances, then the orders still open."""
        self._free = dict(balances)
        self._locked.clear()
        self._locks.clear()
        self._orders.clear()
        self._open.clear()
        for order in open_orders:
            self._orders[order.client_order_id] = order
            error = self._reserve(order)
            if error is not None:
                raise ValueError(f"cannot restore order {order.client_order_id}: {error}")
            self._open.setdefault(order.pair, []).append(order)

    def restore_open_orders(self, orders: Iterable[Order]) -> list[str]:
        """Nothing to take back: `restore` re-attached the open orders (ExchangeClient)."""
        return []

    # ------------------------------------------------------------------ orders
    def submit_order(self, order: Order, now_ts: int) -> Order:
        """Accept (OPEN) or reject an order; a known client order id returns the stored order."""
        known = self._orders.get(order.client_order_id)
        if known is not None:
            return known
        self._orders[order.client_order_id] = order
        order.submitted_ts = now_ts
        order.updated_ts = now_ts
        error = self._reserve(order)
        if error is not None:
            order.status = REJECTED
            order.error = error
            return order
        order.status = OPEN
        order.exchange_order_id = order.client_order_id
        self._open.setdefault(order.pair, []).append(order)
        return order

    def cancel_order(self, client_order_id: str, now_ts: int) -> Order | None:
        """Cancel an open order and release what it reserved."""
        order = self._orders.get(client_order_id)
        if order is None:
            return None
        if order.status in (OPEN, PARTIALLY_FILLED):
            self._close(order, CANCELLED, now_ts)
        return order

    def _reserve(self, order: Order) -> str | None:
        base, quote = _split(order.pair)
        key = order.oco_group or order.client_order_id
        if key in self._locks:
            return None  # an earlier order of the OCO group reserved for the whole group
        if order.side is BUY:
            need = order.quote_amount
            if need is None:
                if order.amount is None or order.price is None:
                    return "a buy needs a quote budget or an amount and a price"
                need = order.amount * order.price * (_ONE + self.fee_rate)
            asset = quote
        else:
            if order.amount is None or order.amount <= ZERO:
                return "a sell needs a positive amount"
            need, asset = order.amount, base
        free = self._free.get(asset, ZERO)
        if need > free:
            return f"insufficient balance: {order.side} needs {need} {asset}, {free} free"
        self._free[asset] = free - need
        self._locked[asset] = self._locked.get(asset, ZERO) + need
        self._locks[key] = (asset, need)
        return None

    def _close(self, order: Order, status: OrderStatus, ts: int) -> None:
        order.status = status
        order.updated_ts = ts
        checked = self._checked
        if order.client_order_id in checked:  # matched no more
            del checked[order.client_order_id]
        siblings = self._open.get(order.pair)
        if siblings:
            for k, sibling in enumerate(siblings):
                if sibling is order:
                    del siblings[k]
                    break
        else:
            siblings = []
        group = order.oco_group
        if (
            group is not None
            and status is not FILLED
            and any(o.oco_group == group for o in siblings)
        ):
            return  # the group's reservation still covers a sibling
        key = group or order.client_order_id
        lock = self._locks.get(key)
        if lock is not None:
            del self._locks[key]
            asset, amount = lock
            self._locked[asset] -= amount
            self._free[asset] = self._free.get(asset, ZERO) + amount

    # ------------------------------------------------------------------ matching
    def on_candle(self, candle: Candle) -> list[Fill]:
        """Match the pair's open orders against `candle`; each order once per candle."""
        orders = self._open.get(candle.pair)
        if not orders:
            return []
        fills: list[Fill] = []
        filled_groups: set[str] | None = None
        ts = candle.ts
        checked = self._checked
        for order in sorted(orders, key=_match_priority) if len(orders) > 1 else (orders[0],):
            oid = order.client_order_id
            if order.status is not OPEN or checked.get(oid) == ts:
                continue
            submitted = order.submitted_ts if order.submitted_ts is not None else ts
            if submitted > ts:
                continue  # sent after this candle opened and not at its open: next candle
            checked[oid] = ts
            if filled_groups is not None and order.oco_group in filled_groups:
                continue  # cancelled with its group below
            if order.type is MARKET:
                if submitted == ts:
                    continue  # sent at this candle's open: fills at the next open
                price = float_to_decimal(candle.open)
                if self.slippage:
                    price = self._slipped(price, order.side, order.pair)
            else:
                limit = self._match_price(order, candle, submitted == ts)
                if limit is None:
                    continue
                price = limit
            fill = self._execute(order, price, ts)
            if fill is not None:
                fills.append(fill)
                if order.oco_group is not None:
                    if filled_groups is None:
                        filled_groups = set()
                    filled_groups.add(order.oco_group)
        if filled_groups:
            for order in list(self._open.get(candle.pair, ())):
                if order.oco_group in filled_groups:
                    self._close(order, CANCELLED, ts)
        return fills

    def _match_price(self, order: Order, candle: Candle, after_open: bool) -> Decimal | None:
        """Fill price of a LIMIT, STOP_LOSS or TAKE_PROFIT order in `candle`, None if untouched."""
        kind = order.type
        trigger = order.price
        if trigger is None:
            return None
        level = float(trigger)
        sell = order.side is SELL
        if kind is STOP_LOSS:
            if not (candle.low <= level if sell else candle.high >= level):
                return None
            gapped = not after_open and (candle.open < level if sell else candle.open > level)
            return self._slipped(
                float_to_decimal(candle.open) if gapped else trigger, order.side, order.pair
            )
        # LIMIT and TAKE_PROFIT: a price at least as good as the limit.
        if sell:
            if candle.high < level:
                return None
            return (
                float_to_decimal(candle.open) if not after_open and candle.open > level else trigger
            )
        if candle.low > level:
            return None
        return float_to_decimal(candle.open) if not after_open and candle.open < level else trigger

    def _slipped(self, price: Decimal, side: OrderSide, pair: str) -> Decimal:
        if self.slippage:
            price = price * (_ONE + self.slippage if side is BUY else _ONE - self.slippage)
            rules = self._rules.get(pair)
            if rules is not None and rules.price_tick:
                tick = rules.price_tick
                rounding = ROUND_CEILING if side is BUY else ROUND_FLOOR
                price = (price / tick).to_integral_value(rounding=rounding) * tick
        return price

    def _execute(self, order: Order, price: Decimal, ts: int) -> Fill | None:
        pair = order.pair
        base, quote = _ASSETS.get(pair) or _split(pair)
        fee_rate = self.fee_rate
        rules = self._rules.get(pair)
        step = rules.amount_step if rules is not None and rules.amount_step else None
        budget = order.quote_amount if order.side is BUY else None
        if budget is not None:
            # All-in: the largest amount whose cost, fee included, fits the budget. Without a
            # step the division is not rounded; its last digit is nudged down when rounding
            # made the cost exceed the budget by a unit in the 28th digit.
            amount = budget / (price * self._one_plus_fee)
            if step:
                amount = (amount / step).to_integral_value(rounding=ROUND_DOWN) * step
            notional = amount * price
            fee = notional * fee_rate
            cost = notional + fee
            while cost > budget and amount > ZERO:
                amount = amount - step if step else amount.next_toward(ZERO)
                notional = amount * price
                fee = notional * fee_rate
                cost = notional + fee
        else:
            amount = order.amount or ZERO
            if step:
                amount = (amount / step).to_integral_value(rounding=ROUND_DOWN) * step
            notional = amount * price
            fee = notional * fee_rate
            cost = notional + fee
        error = None
        if amount <= ZERO:
            error = "amount rounds to zero at the fill price"
        elif rules is not None and rules.min_notional and notional < rules.min_notional:
            error = f"notional {notional} below the minimum {rules.min_notional}"
        elif rules is not None and rules.min_amount and amount < rules.min_amount:
            error = f"amount {amount} below the minimum {rules.min_amount}"
        elif order.side is BUY:
            lock = self._locks.get(order.client_order_id)
            available = (lock[1] if lock else ZERO) + self._free.get(quote, ZERO)
            if cost > available:
                error = f"insufficient balance at fill: needs {cost} {quote}"
        if error is not None:
            order.error = error
            self._close(order, REJECTED, ts)
            return None
        self._close(order, FILLED, ts)  # releases the reservation first
        free = self._free
        # Same arithmetic, in the same order, as Portfolio.apply_fill: the two never drift.
        if order.side is BUY:
            free[quote] = free.get(quote, ZERO) - cost
            free[base] = free.get(base, ZERO) + amount
        else:
            free[base] = free.get(base, ZERO) - amount
            free[quote] = free.get(quote, ZERO) + (notional - fee)
        order.filled_amount = amount
        order.average_price = price
        order.fee = fee
        return Fill(
            order.client_order_id,
            order.pair,
            order.side,
            amount,
            price,
            fee,
            ts,
            order.tag,
            order.type,
            # Deterministic, so a fill recorded twice after a restart is recognised.
            f"{order.client_order_id}-1",
        )

    # ------------------------------------------------------------------ backtest fast path
    def next_touch(
        self, pair: str, high: np.ndarray, low: np.ndarray, start: int, stop: int
    ) -> int | None:
        """First candle index in [start, stop) where an open order of `pair` could fill.

        The backtest runner uses it to skip candles on which nothing can happen; the matching
        itself still goes through `on_candle`. `high` and `low` are the pair's float64 arrays.
        """
        orders = self._open.get(pair)
        if not orders or start >= stop:
            return None
        best: int | None = None
        for order in orders:
            if order.type is MARKET:
                return start
            if order.price is None:
                continue
            level = float(order.price)
            sell = order.side is SELL
            if order.type is STOP_LOSS:
                hits = low[start:stop] <= level if sell else high[start:stop] >= level
            else:
                hits = high[start:stop] >= level if sell else low[start:stop] <= level
            idx = int(hits.argmax())
            if hits[idx] and (best is None or start + idx < best):
                best = start + idx
        return best


def _match_priority(order: Order) -> int:
    if order.type is MARKET:
        return 0
    if order.type is STOP_LOSS:
        return 1
    return 2
