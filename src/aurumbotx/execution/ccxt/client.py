"""CcxtExchangeClient: the live ExchangeClient over a ccxt exchange (Binance spot first).

Semantics follow the PaperExchange wherever a real exchange allows it:

* Idempotent submit. The engine's client order id (deterministic, <= 36 chars) is sent as
  Binance's ``newClientOrderId``. Before sending, and again after every failure whose outcome
  is unknown (network error, timeout, dropped answer, 5xx), the order is looked up by that id
  (``origClientOrderId``); an order the exchange knows is adopted, only an unknown one is
  (re)sent. Binance refuses a duplicate id only while the first order is OPEN: a filled order's
  id can be reused, so this look-up is what keeps a retry or a restarted bot from buying twice.
* Retries: temporary errors (`TemporaryExchangeError`) are retried with backoff under the
  `RetryPolicy` (`domain/retry.py`), waiting exactly the Retry-After of a 429/418; a -1021
  (clock out of the recvWindow) resynchronises the clock first. Permanent refusals
  (insufficient funds, filter failures, unknown market) come back as a REJECTED order carrying
  the exchange's message; `AuthenticationError` is raised, because no order can succeed until
  a person fixes the keys. A submit that still fails temporarily raises, and the router keeps
  the order PENDING; the client tracks it and settles it on the next candle: adopted if the
  exchange has it, REJECTED if not (a request older than the recvWindow can no longer be
  executed).
* A market BUY with a quote budget (fees included, as the engine sizes it) is sent as
  ``quoteOrderQty = budget / (1 + fee_rate)``, cut to the price tick, so that notional plus fee
  fits the budget whatever asset the fee is charged in; other orders send ``amount`` rounded
  DOWN to the step (ccxt's ``amount_to_precision``), limits ``price_to_precision``.
* Fees are read per execution from the exchange's answer (commission, commissionAsset) and
  converted into the quote asset: a quote fee as is; a base-asset fee (Binance's default on a
  buy) at the fill price, and the fill's amount is what the account really received (net of
  that fee), so that selling "the whole position" never exceeds the balance; any other asset
  (BNB) at its last ticker price against the quote asset (0 and a warning when none).
* Fills: `on_candle` returns the new executions of this client's orders of the candle's pair
  since the last call, one Fill per exchange trade (deduplicated by trade id, partial fills
  included), stamped with the candle's open time: the engine's clock, as with the
  PaperExchange, so that a replayed candle books the same fills at the same time.
* STOP_LOSS / TAKE_PROFIT (the engine's protective OCO pairs) are held client-side: accepted
  OPEN without a request, triggered in `on_candle` when the candle's range reaches them (stops
  first) by a MARKET sell whose client order id is derived from the protective order's
  (`orders.trigger_client_order_id`), and the sibling of the OCO group is cancelled.
  Simple and robust; an exchange-side OCO order list (Binance ``orderList/oco``) is a later
  improvement. Held orders live in this process only: after a restart the caller hands them
  back with `restore_open_orders`, which also adopts a trigger sent before the crash.
* One ccxt instance per (exchange, key, endpoint), shared by every bot using the key
  (`shared.shared_ccxt`): ccxt's throttler is per instance while the exchange limits per
  key and IP. The sync ccxt client is not thread-safe, so each call takes the instance's lock.

Secrets never reach a message or a log line: ccxt's error texts hold the exchange's answer,
never the key or the secret.
"""

from __future__ import annotations

import contextlib
import decimal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal
from functools import partial
from typing import Any, TypeVar

import ccxt
import structlog

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.enums import OrderSide, OrderStatus, OrderType
from aurumbotx.domain.errors import (
    AuthenticationError,
    InvalidOrderError,
    OrderNotFoundError,
    PermanentExchangeError,
    RateLimitedError,
    TemporaryExchangeError,
)
from aurumbotx.domain.markets import MarketRules
from aurumbotx.domain.retry import RetryPolicy
from aurumbotx.domain.trading import Fill, Order
from aurumbotx.execution.ccxt.errors import translate_ccxt_errors
from aurumbotx.execution.ccxt.markets import market_rules_from_ccxt, precision_is_tick
from aurumbotx.execution.ccxt.orders import (
    HELD_TYPES,
    OrderRequest,
    TrackedOrder,
    dec,
    net_and_fee,
    order_status,
    order_view,
    trigger_client_order_id,
)
from aurumbotx.execution.ccxt.shared import CcxtAccount, SharedExchange, shared_ccxt

T = TypeVar("T")
log = structlog.get_logger(__name__)

ONE = Decimal(1)
_DUPLICATE = "duplicate order"  # Binance -2010 "Duplicate order sent."
#: Added to a request's recvWindow before a restart may send its order again: the error of our
#: estimate of the exchange's clock (ccxt's timeDifference, measured at -1021) and the time the
#: exchange takes to act on a request it has validated. docs/engine.md, "Exactly once".
CLOCK_MARGIN_MS = 2_000


def _refused(error: TemporaryExchangeError) -> bool:
    """The exchange answered that it did not take the request (429/418, -1021): not in doubt."""
    return isinstance(error, RateLimitedError) or isinstance(error.__cause__, ccxt.InvalidNonce)


# ---------------------------------------------------------------------------- the client


class CcxtExchangeClient:
    """Orders, fills and balances of one exchange account through ccxt (ExchangeClient)."""

    def __init__(
        self,
        shared: SharedExchange,
        *,
        fee_rate: Decimal = Decimal("0.001"),
        retry: RetryPolicy | None = None,
        pairs: Iterable[str] = (),
        on_send: Callable[[Order], None] | None = None,
        clock_margin_ms: int = CLOCK_MARGIN_MS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.fee_rate = fee_rate
        self._shared = shared
        self.clock_margin_ms = clock_margin_ms
        self._sleep = sleep
        # Orders whose last request failed with an unknown outcome (timeout, lost connection,
        # 5xx): none is sent again before that request can no longer execute.
        self._in_doubt: set[str] = set()
        # Called with `order.sent_ts` set, before every order request leaves; it must persist
        # the time (a bot's store commits it) or raise, and then nothing is sent.
        self.on_send = on_send
        self._retry = retry or RetryPolicy()
        self._tracked: dict[str, TrackedOrder] = {}
        self._held: dict[str, Order] = {}
        self._unreported: dict[str, list[Fill]] = {}
        # Binance finds an order by client id only within a symbol: the bot's pairs are where
        # fetch_order looks for an order this process has not seen (reconciliation).
        self._pairs: set[str] = set(pairs)
        self._rules: dict[str, MarketRules | None] = {}

    @classmethod
    def connect(
        cls,
        account: CcxtAccount,
        *,
        fee_rate: Decimal = Decimal("0.001"),
        retry: RetryPolicy | None = None,
        pairs: Iterable[str] = (),
        on_send: Callable[[Order], None] | None = None,
        clock_margin_ms: int = CLOCK_MARGIN_MS,
    ) -> CcxtExchangeClient:
        """A client on the shared ccxt instance of this account (see `shared_ccxt`)."""
        return cls(
            shared_ccxt(account),
            fee_rate=fee_rate,
            retry=retry,
            pairs=pairs,
            on_send=on_send,
            clock_margin_ms=clock_margin_ms,
        )

    @property
    def exchange(self) -> Any:
        """The shared ccxt instance (call it only under `self.lock`)."""
        return self._shared.exchange

    @property
    def lock(self) -> threading.RLock:
        """The lock of the shared ccxt instance."""
        return self._shared.lock

    @property
    def recv_window_ms(self) -> int:
        """How long after its `timestamp` the exchange may still execute a request we sent."""
        return int(self._shared.exchange.options.get("recvWindow") or 10_000)

    def _exchange_now(self) -> int:
        """Now on the exchange's clock as ccxt estimates it (its nonce: local - timeDifference)."""
        return int(self._once(lambda ex: ex.nonce()))

    def resend_wait(self, order: Order) -> float:
        """Seconds until every request sent for `order` can no longer execute (0: none can).

        A request carries `timestamp = order.sent_ts` and the recvWindow; the exchange refuses
        it once its clock passes timestamp + recvWindow, so after that (plus CLOCK_MARGIN_MS)
        an order the exchange does not know was never accepted and may be sent again.
        """
        if order.sent_ts is None:
            return 0.0  # no request ever left (the time is stored before each one)
        safe = order.sent_ts + self.recv_window_ms + self.clock_margin_ms
        return max(0.0, (safe - self._exchange_now()) / 1000)

    # ------------------------------------------------------------------ calls
    def _once(self, call: Callable[[Any], T]) -> T:
        # localcontext(): ccxt's precision helpers set ROUND_HALF_UP on the caller's decimal
        # context and leave it so; the change stays inside this call.
        with translate_ccxt_errors(), self._shared.lock, decimal.localcontext():
            return call(self._shared.exchange)

    def _retrying(self, fn: Callable[[], T]) -> T:
        def on_retry(attempt: int, error: TemporaryExchangeError, delay: float) -> None:
            log.warning(
                "exchange call failed, retrying",
                attempt=attempt,
                delay_s=round(delay, 3),
                error=error.message,
            )
            if isinstance(error.__cause__, ccxt.InvalidNonce):
                self._resync_clock()

        return self._retry.call(translate_ccxt_errors()(fn), on_retry=on_retry)

    def _resync_clock(self) -> None:
        try:
            self._once(lambda ex: ex.load_time_difference())
        except TemporaryExchangeError as error:
            log.warning("cannot read the exchange's clock", error=error.message)

    def _markets(self) -> dict[str, Any]:
        markets: dict[str, Any] = self._retrying(lambda: self._once(lambda ex: ex.load_markets()))
        return markets

    # ------------------------------------------------------------------ account
    def market_rules(self, pair: str) -> MarketRules | None:
        """The pair's tick, step, minimum amount and notional from the exchange's markets."""
        self._pairs.add(pair)
        if pair not in self._rules:
            market = self._markets().get(pair)
            self._rules[pair] = (
                market_rules_from_ccxt(market, precision_is_tick(self.exchange))
                if market is not None and market.get("spot")
                else None
            )
        return self._rules[pair]

    def balances(self) -> dict[str, Decimal]:
        """Total (free + locked) balance per asset."""
        raw = self._retrying(lambda: self._once(lambda ex: ex.fetch_balance()))
        totals = {}
        for asset in sorted(raw.get("total") or {}):
            entry = raw.get(asset) or {}
            totals[asset] = dec(entry.get("free")) + dec(entry.get("used"))
        return totals

    # ------------------------------------------------------------------ submit
    def submit_order(self, order: Order, now_ts: int) -> Order:
        """Send `order` once per client order id; permanent refusals return it REJECTED."""
        cid = order.client_order_id
        known = self._tracked.get(cid)
        if known is not None:
            if known.order.status is OrderStatus.PENDING:
                self._place(known, now_ts)  # outcome still unknown: look up, send if absent
            return known.order
        if cid in self._held:
            return self._held[cid]
        self._pairs.add(order.pair)
        order.submitted_ts = now_ts
        order.updated_ts = now_ts
        if order.type in HELD_TYPES:
            order.status = OrderStatus.OPEN
            self._held[cid] = order
            return order
        tracked = TrackedOrder(order, order)
        self._tracked[cid] = tracked
        self._place(tracked, now_ts)
        return order

    def _place(self, tracked: TrackedOrder, now_ts: int) -> None:
        """Look up, send if unknown, adopt the answer; REJECTED on a permanent refusal."""
        order = tracked.order
        try:
            request = self._request(tracked.send)
            remote = self._retrying(lambda: self._lookup_or_send(tracked, request))
        except AuthenticationError:
            raise
        except PermanentExchangeError as error:
            order.status = OrderStatus.REJECTED
            order.error = error.message
            order.updated_ts = now_ts
            return
        except TemporaryExchangeError as error:
            tracked.last_error = order.error = error.message
            raise
        self._apply(tracked, remote, now_ts)

    def _request(self, order: Order) -> OrderRequest:
        pair = order.pair
        rules = self.market_rules(pair)
        if rules is None:
            raise InvalidOrderError(f"invalid order: unknown market {pair}")
        side = "buy" if order.side is OrderSide.BUY else "sell"
        params: dict[str, Any] = {"newClientOrderId": order.client_order_id}
        if order.type is OrderType.MARKET and order.side is OrderSide.BUY and order.quote_amount:
            # Budget includes the fee: notional + fee <= budget whatever asset pays the fee.
            cost = order.quote_amount / (ONE + self.fee_rate)
            quantum = rules.price_tick or Decimal("0.00000001")
            cost = (cost / quantum).to_integral_value(ROUND_DOWN) * quantum
            params["quoteOrderQty"] = format(cost.normalize(), "f")
            return OrderRequest(pair, "market", side, None, None, params)
        size, limit = order.amount, order.price
        if size is None or size <= 0:
            raise InvalidOrderError(f"invalid order: {order.type} {side} needs a positive amount")
        # Rounded DOWN to the step by ccxt (TRUNCATE): never more than the engine asked for.
        amount: str = self._once(lambda ex: ex.amount_to_precision(pair, float(size)))
        if order.type is OrderType.MARKET:
            return OrderRequest(pair, "market", side, amount, None, params)
        if order.type is not OrderType.LIMIT or limit is None:
            raise InvalidOrderError(f"invalid order: cannot send a {order.type} order")
        price: str = self._once(lambda ex: ex.price_to_precision(pair, float(limit)))
        return OrderRequest(pair, "limit", side, amount, price, params)

    def _lookup_or_send(self, tracked: TrackedOrder, request: OrderRequest) -> dict[str, Any]:
        """One attempt: adopt what the exchange knows under the id, else send the order."""
        order = tracked.send
        remote = self._remote(order.pair, order.client_order_id)
        in_doubt = order.client_order_id in self._in_doubt
        wait = self.resend_wait(order) if remote is None and in_doubt else 0.0
        if wait > 0:
            # An earlier attempt whose outcome is unknown (timeout, dropped answer, 5xx) may
            # still execute: look again once it no longer can, and only then send.
            log.warning(
                "waiting until the last request can no longer execute",
                client_order_id=order.client_order_id,
                seconds=round(wait, 3),
            )
            self._sleep(wait)
            remote = self._remote(order.pair, order.client_order_id)
        if remote is not None:
            log.info("order found on the exchange, adopted", client_order_id=order.client_order_id)
            return remote
        r = request
        # The request's timestamp is chosen and stored before it leaves: it bounds when the
        # exchange may still execute it (timestamp + recvWindow), which a restart relies on.
        order.sent_ts = self._exchange_now()
        # A trigger's request is stored on its protective order (the twin has no row of its own).
        tracked.order.sent_ts = order.sent_ts
        if self.on_send is not None:
            self.on_send(tracked.order)
        params = {**r.params, "timestamp": order.sent_ts, "recvWindow": self.recv_window_ms}
        try:
            sent: dict[str, Any] = self._once(
                lambda ex: ex.create_order(r.pair, r.kind, r.side, r.amount, r.price, params)
            )
        except TemporaryExchangeError as error:
            if not _refused(error):
                self._in_doubt.add(order.client_order_id)  # it may have executed, or may yet
            raise
        except InvalidOrderError as error:
            if _DUPLICATE not in error.message.lower():
                raise
            # An OPEN order has the id after all (an earlier attempt landed late): adopt it.
            remote = self._remote(order.pair, order.client_order_id)
            if remote is None:
                raise TemporaryExchangeError(error.message) from error
            return remote
        return sent

    def _remote(self, pair: str, client_order_id: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self._once(
                lambda ex: ex.fetch_order(None, pair, {"origClientOrderId": client_order_id})
            )
        except OrderNotFoundError:
            return None
        return found

    # ------------------------------------------------------------------ fills
    def _apply(self, tracked: TrackedOrder, remote: dict[str, Any], ts: int) -> None:
        """Bring the order up to date with the exchange's view and collect new executions."""
        order = tracked.order
        if remote.get("id") is not None:
            order.exchange_order_id = str(remote["id"])
        if isinstance(remote.get("info"), dict):
            order.exchange_response = remote["info"]
        tracked.exchange_filled = max(tracked.exchange_filled, dec(remote.get("filled")))
        self._collect(tracked, remote.get("trades") or [])
        if tracked.gross < tracked.exchange_filled:
            try:
                self._collect(tracked, self._trades_of(tracked))
            except TemporaryExchangeError as error:
                log.warning("cannot read the order's trades yet", error=error.message)
        status = order_status(remote, tracked.exchange_filled)
        if status is not order.status:
            order.status = status
            order.updated_ts = ts
        if status in (OrderStatus.REJECTED, OrderStatus.EXPIRED) and order.error is None:
            order.error = f"{status.value.lower()} by the exchange"

    def _trades_of(self, tracked: TrackedOrder) -> list[dict[str, Any]]:
        order_id = tracked.order.exchange_order_id
        trades: list[dict[str, Any]] = self._retrying(
            lambda: self._once(
                lambda ex: ex.fetch_my_trades(tracked.pair, None, None, {"orderId": order_id})
            )
        )
        return trades

    def _collect(self, tracked: TrackedOrder, trades: Iterable[dict[str, Any]]) -> None:
        order = tracked.order
        for trade in trades:
            trade_id = trade.get("id")
            if trade_id is None or str(trade_id) in tracked.reported:
                continue  # without an id a trade cannot be deduplicated: myTrades has them
            tracked.reported.add(str(trade_id))
            amount, price = dec(trade.get("amount")), dec(trade.get("price"))
            net, fee = net_and_fee(order.side, order.pair, trade, self._last_price)
            tracked.gross += amount
            tracked.notional += amount * price
            tracked.net += net
            tracked.fee += fee
            fill = Fill(
                order.client_order_id,
                order.pair,
                order.side,
                net,
                price,
                fee,
                0,
                order.tag,
                order.type,
                str(trade_id),
            )
            if tracked.net <= tracked.already_booked:
                continue  # booked by the caller before a restart (restore_open_orders)
            self._unreported.setdefault(order.pair, []).append(fill)
        if tracked.gross > 0:
            order.filled_amount = tracked.net
            order.average_price = tracked.notional / tracked.gross
            order.fee = tracked.fee

    def _last_price(self, pair: str) -> Decimal | None:
        """Last ticker price of `pair` (to value a fee paid in a third asset), else None."""
        try:
            ticker = self._retrying(lambda: self._once(lambda ex: ex.fetch_ticker(pair)))
        except AuthenticationError:
            raise
        except (TemporaryExchangeError, PermanentExchangeError):
            log.warning("fee asset has no price, fee booked as 0", pair=pair)
            return None
        last = ticker.get("last")
        return dec(last) if last else None

    # ------------------------------------------------------------------ polling
    def on_candle(self, candle: Candle) -> list[Fill]:
        """New fills of the pair's orders since the last call, and triggered protective fills."""
        pair = candle.pair
        self._pairs.add(pair)
        for tracked in [t for t in self._tracked.values() if t.pair == pair and t.needs_poll]:
            self._poll(tracked, candle.ts)
        self._trigger(candle)
        return [replace(fill, ts=candle.ts) for fill in self._unreported.pop(pair, ())]

    def _poll(self, tracked: TrackedOrder, ts: int) -> None:
        order = tracked.order
        try:
            remote = self._retrying(
                lambda: self._remote(tracked.pair, tracked.send.client_order_id)
            )
            if remote is not None:
                self._apply(tracked, remote, ts)
            elif order.status is OrderStatus.PENDING and self.resend_wait(tracked.send) > 0:
                pass  # the request may still execute: look again at the next candle
            elif order.status is OrderStatus.PENDING:
                # Never accepted: a request older than the recvWindow cannot execute any more.
                order.status = OrderStatus.REJECTED
                order.error = f"never reached the exchange ({tracked.last_error or 'no answer'})"
                order.updated_ts = ts
        except AuthenticationError:
            raise
        except (TemporaryExchangeError, PermanentExchangeError) as error:
            log.warning(
                "cannot poll the order", client_order_id=order.client_order_id, error=error.message
            )

    def _trigger(self, candle: Candle) -> None:
        """Execute the held protective orders of the pair whose level the candle reached."""
        due = [
            o
            for o in self._held.values()
            if o.pair == candle.pair
            and o.status is OrderStatus.OPEN
            and (o.submitted_ts or 0) <= candle.ts  # sent at this candle's close: next one
        ]
        due.sort(key=lambda o: o.type is not OrderType.STOP_LOSS)  # worst case first
        done: set[str] = set()
        for order in due:
            if order.oco_group is not None and order.oco_group in done:
                continue
            level = float(order.price) if order.price is not None else None
            if level is None:
                continue
            sell = order.side is OrderSide.SELL
            stop = order.type is OrderType.STOP_LOSS
            # A sell stop or a buy target fires on the way down, the others on the way up.
            hit = candle.low <= level if stop == sell else candle.high >= level
            if hit and self._fire(order, candle.ts):
                done.add(order.oco_group or order.client_order_id)
        for order in self._held.values():
            if order.oco_group in done and order.status is OrderStatus.OPEN:
                order.status = OrderStatus.CANCELLED
                order.updated_ts = candle.ts

    def _fire(self, order: Order, ts: int) -> bool:
        twin = Order(
            client_order_id=trigger_client_order_id(order.client_order_id),
            pair=order.pair,
            side=order.side,
            type=OrderType.MARKET,
            tag=order.tag,
            created_ts=ts,
            amount=order.amount,
            sent_ts=order.sent_ts,  # an earlier trigger request may still execute: see resend_wait
        )
        tracked = TrackedOrder(order, twin)
        try:
            self._place(tracked, ts)
        except TemporaryExchangeError as error:
            # Still OPEN: the next candle tries again under the same derived id (idempotent).
            order.status = OrderStatus.OPEN
            log.warning("protective order not executed yet", error=error.message)
            return False
        del self._held[order.client_order_id]
        self._tracked[order.client_order_id] = tracked
        return order.status is not OrderStatus.REJECTED

    # ------------------------------------------------------------------ queries
    def fetch_order(self, client_order_id: str, pair: str | None = None) -> Order | None:
        """The exchange's view of an order by client order id; None when it is unknown.

        Binance needs the pair: the tracked order's, `pair`, else each of the bot's pairs (given
        at construction, or seen since). An order of a previous run found this way is ADOPTED:
        reconciliation asks because the answer was never stored, so its executions were never
        booked, and the next `on_candle` of its pair reports them. Do not use it to browse
        orders whose fills were booked already.
        """
        held = self._held.get(client_order_id)
        if held is not None:
            return held
        tracked = self._tracked.get(client_order_id)
        if tracked is not None:
            if tracked.needs_poll:
                ts = tracked.order.updated_ts or tracked.order.created_ts
                self._apply_remote(tracked, ts)
            return tracked.order
        for candidate in [pair] if pair is not None else sorted(self._pairs):
            remote = self._retrying(partial(self._remote, candidate, client_order_id))
            if remote is not None:
                view = order_view(remote, candidate)
                adopted = self._tracked[client_order_id] = TrackedOrder(view, view)
                self._apply(adopted, remote, view.created_ts)
                return view
        return None

    def _apply_remote(self, tracked: TrackedOrder, ts: int) -> None:
        remote = self._retrying(lambda: self._remote(tracked.pair, tracked.send.client_order_id))
        if remote is not None:
            self._apply(tracked, remote, ts)

    def open_orders(self, pair: str | None = None) -> list[Order]:
        """The exchange's open orders (of `pair`, or all) and the held protective orders."""
        remote = self._retrying(lambda: self._once(lambda ex: ex.fetch_open_orders(pair)))
        by_exchange_id = {t.send.client_order_id: t for t in self._tracked.values()}
        result = []
        for entry in remote:
            tracked = by_exchange_id.get(str(entry.get("clientOrderId")))
            if tracked is None:
                result.append(order_view(entry, str(entry.get("symbol"))))
                continue
            self._apply(tracked, entry, tracked.order.updated_ts or tracked.order.created_ts)
            result.append(tracked.order)
        held = [
            o
            for o in self._held.values()
            if o.status is OrderStatus.OPEN and (pair is None or o.pair == pair)
        ]
        return result + held

    # ------------------------------------------------------------------ cancel and restore
    def cancel_order(self, client_order_id: str, now_ts: int) -> Order | None:
        """Cancel an open order; None when neither this client nor the exchange knows it."""
        held = self._held.get(client_order_id)
        if held is not None:
            if held.status is OrderStatus.OPEN:
                held.status = OrderStatus.CANCELLED
                held.updated_ts = now_ts
            return held
        if client_order_id not in self._tracked and self.fetch_order(client_order_id) is None:
            return None
        tracked = self._tracked[client_order_id]
        if tracked.order.status.is_final:
            return tracked.order
        try:
            self._retrying(partial(self._cancel_remote, tracked.pair, tracked.send.client_order_id))
            self._apply_remote(tracked, now_ts)
        except AuthenticationError:
            raise
        except (TemporaryExchangeError, PermanentExchangeError) as error:
            log.warning(
                "cannot cancel the order", client_order_id=client_order_id, error=error.message
            )
            tracked.order.error = error.message
        return tracked.order

    def _cancel_remote(self, pair: str, client_order_id: str) -> None:
        # Not found: no longer open (filled or cancelled meanwhile); the refresh that follows
        # tells which.
        with contextlib.suppress(OrderNotFoundError):
            self._once(
                lambda ex: ex.cancel_order(None, pair, {"origClientOrderId": client_order_id})
            )

    def restore(self, balances: dict[str, Decimal], open_orders: list[Order]) -> None:
        """Nothing to rebuild: a real account keeps its own balances and orders."""

    def restore_open_orders(self, orders: Iterable[Order]) -> list[str]:
        """Take back the open orders of a previous run (after a restart), before trading.

        Protective orders are held again, unless their trigger reached the exchange before
        the crash (then it is adopted). A trigger request sent before the crash (its time is
        stored on the protective order) may still be in flight: the exchange is asked again
        once it can no longer execute. Exchange orders are polled again, their executions up
        to `filled_amount` counted as already booked. Orders already adopted by `fetch_order`
        are left as they are. Returns a note for every wait, for the bot's log.
        """
        notes: list[str] = []
        for order in orders:
            cid = order.client_order_id
            if order.status.is_final or cid in self._tracked or cid in self._held:
                continue
            self._pairs.add(order.pair)
            if order.type in HELD_TYPES:
                twin_id = trigger_client_order_id(cid)
                remote = self._retrying(partial(self._remote, order.pair, twin_id))
                wait = self.resend_wait(order) if remote is None else 0.0
                if wait > 0:
                    notes.append(
                        f"order {cid}: its trigger {twin_id} is unknown to the exchange while "
                        f"that request may still execute; waited {wait:.1f} s before asking again"
                    )
                    self._sleep(wait)
                    remote = self._retrying(partial(self._remote, order.pair, twin_id))
                if remote is None:
                    order.status = OrderStatus.OPEN
                    self._held[cid] = order
                    continue
                twin = replace(order, client_order_id=twin_id, type=OrderType.MARKET)
                tracked = TrackedOrder(order, twin, already_booked=order.filled_amount)
                self._tracked[cid] = tracked
                self._apply(tracked, remote, order.updated_ts or order.created_ts)
                continue
            self._tracked[cid] = TrackedOrder(order, order, already_booked=order.filled_amount)
        return notes
