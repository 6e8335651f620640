"""Order router: deterministic client order ids, intent persisted before it is sent.

Exactly-once rests on two rules. (1) The client order id is a pure function of (bot, pair,
candle, intent): replaying the same candle after a crash produces the same id, and the exchange
(or our own store) recognises it instead of creating a second order. (2) The order is written to
the `OrderStore` as PENDING before the exchange hears of it; the answer updates the row.
"""

from __future__ import annotations

import hashlib
from typing import Final, Protocol

from aurumbotx.domain.enums import PENDING, REJECTED
from aurumbotx.domain.errors import ExchangeError
from aurumbotx.domain.trading import Order
from aurumbotx.execution.base import ExchangeClient
from aurumbotx.execution.paper import PaperExchange

# The engine accepts any ExchangeClient. Naming the PaperExchange as well changes nothing for
# the type checker and lets the compiled engine call the simulated exchange of backtests and
# paper bots directly (mypyc tests the exact type and makes a C call; any other exchange goes
# through the protocol's Python-level call). Same for the order store.
Exchange = PaperExchange | ExchangeClient

CLIENT_ID_PREFIX: Final = "abx"


_SEEDED: Final[dict[tuple[str, str], hashlib.blake2b]] = {}  # (bot, pair) -> hasher fed "bot|pair|"
_SEEDED_MAX: Final = 10_000  # bots x pairs of one process; beyond it, ids are hashed from scratch


def client_order_id(bot_id: str, pair: str, candle_ts: int, tag: str) -> str:
    """Deterministic id within Binance's limits (36 chars of [A-Za-z0-9_-]).

    "abx" + the hex blake2b-120 digest of "bot|pair|candle_ts|tag". The digest of the bot and
    pair part is computed once per (bot, pair) and copied: the same bytes give the same id.
    """
    seeded = _SEEDED.get((bot_id, pair))
    if seeded is None:
        seeded = hashlib.blake2b(f"{bot_id}|{pair}|".encode(), digest_size=15)
        if len(_SEEDED) < _SEEDED_MAX:
            _SEEDED[bot_id, pair] = seeded
    digest = seeded.copy()
    digest.update(f"{candle_ts}|{tag}".encode())
    return f"{CLIENT_ID_PREFIX}{digest.hexdigest()}"


class OrderStore(Protocol):
    """Where order intents and their outcomes are kept (database in paper/live)."""

    def save_intent(self, order: Order) -> Order | None:
        """Persist a new PENDING order before it is sent; the stored one when it exists."""
        ...

    def save_result(self, order: Order) -> None:
        """Persist the exchange's answer (status, ids, fills, error)."""
        ...


class MemoryOrderStore:
    """Keeps orders in a dict: backtests (nothing to recover) and tests."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}

    def save_intent(self, order: Order) -> Order | None:
        known = self.orders.get(order.client_order_id)
        if known is None:
            self.orders[order.client_order_id] = order
        return known

    def save_result(self, order: Order) -> None:
        self.orders[order.client_order_id] = order


class OrderRouter:
    """Persists, then sends; maps exchange failures onto the order instead of raising."""

    def __init__(self, exchange: Exchange, store: MemoryOrderStore | OrderStore) -> None:
        self.exchange = exchange
        self.store = store
        self.sent: list[Order] = []  # orders handled since the caller last cleared it

    def send(self, order: Order, now_ts: int) -> Order:
        """Persist `order` as PENDING, send it, persist the answer; return the order.

        An order already decided before a restart (same deterministic id, not PENDING) is
        returned as stored and never sent again.
        """
        known = self.store.save_intent(order)
        if known is not None and known.status is not PENDING:
            return known
        self.sent.append(order)
        try:
            answer = self.exchange.submit_order(order, now_ts)
        except ExchangeError as error:
            order.error = str(error)
            if not error.retryable:
                order.status = REJECTED
            # A temporary failure leaves the order PENDING: it may or may not have reached the
            # exchange, and reconciliation (fetch by client order id) will tell.
            self.store.save_result(order)
            return order
        self.store.save_result(answer)
        return answer

    def cancel(self, order: Order, now_ts: int) -> None:
        """Cancel an open order on the exchange and persist the outcome."""
        answer = self.exchange.cancel_order(order.client_order_id, now_ts)
        if answer is not None:
            self.store.save_result(answer)
