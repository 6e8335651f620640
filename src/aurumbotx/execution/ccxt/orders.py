"""ccxt's unified order and trade dicts turned into our Orders and Fills (no I/O, no ccxt).

Amounts arrive as floats parsed by ccxt from the exchange's decimal strings; `to_decimal`
reads them through their shortest repr, which gives back the exchange's digits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aurumbotx.domain.enums import OrderSide, OrderStatus, OrderType
from aurumbotx.domain.trading import ZERO, Order, OrderTag
from aurumbotx.domain.values import to_decimal

MAX_CLIENT_ORDER_ID = 36  # Binance's newClientOrderId limit
TRIGGER_SUFFIX = "-t"
HELD_TYPES = frozenset({OrderType.STOP_LOSS, OrderType.TAKE_PROFIT})
_STATUSES = {
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
    "expired": OrderStatus.EXPIRED,
}

PriceOf = Callable[[str], Decimal | None]


def dec(value: Any) -> Decimal:
    """A ccxt number (float, str or None) as a Decimal; None is 0."""
    return ZERO if value is None else to_decimal(value)


def trigger_client_order_id(client_order_id: str) -> str:
    """The client order id of the MARKET order that executes a held protective order."""
    derived = client_order_id + TRIGGER_SUFFIX
    if len(derived) <= MAX_CLIENT_ORDER_ID:
        return derived
    digest = hashlib.blake2b(client_order_id.encode(), digest_size=16).hexdigest()
    return digest + TRIGGER_SUFFIX


def order_status(remote: dict[str, Any], filled: Decimal) -> OrderStatus:
    """Our status for a ccxt order whose executed amount is `filled`."""
    status = _STATUSES.get(str(remote.get("status")))
    if status is not None:
        return status
    # ccxt says "open" for NEW and PARTIALLY_FILLED alike (and None for an ACK answer).
    return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN


def net_and_fee(
    side: OrderSide, pair: str, trade: dict[str, Any], price_of: PriceOf
) -> tuple[Decimal, Decimal]:
    """(amount the account really traded, fee in the quote asset) of one ccxt trade.

    A quote-asset fee counts as is. A base-asset fee (Binance's default on a buy) is worth
    fee x price, and the account received that much less base (a sell paying in base gave that
    much more). Any other asset (BNB) is priced by `price_of("BNB/USDT")`; 0 when unknown.
    """
    base, _, quote = pair.partition("/")
    amount, price = dec(trade.get("amount")), dec(trade.get("price"))
    fees = trade.get("fees") or ([trade["fee"]] if trade.get("fee") else [])
    net, total = amount, ZERO
    for entry in fees:
        cost, currency = dec((entry or {}).get("cost")), (entry or {}).get("currency")
        if not cost:
            continue
        if currency in (None, quote):
            total += cost
        elif currency == base:
            total += cost * price
            net += -cost if side is OrderSide.BUY else cost
        else:
            rate = price_of(f"{currency}/{quote}")
            total += cost * rate if rate is not None else ZERO
    return net, total


def order_view(remote: dict[str, Any], pair: str) -> Order:
    """An Order for an exchange order placed by a previous run (or by someone else).

    Its tag follows the engine's long-only convention (a buy is an entry, a sell an exit;
    protective orders never reach the exchange under their own id); its fee is unknown (0)
    until its trades are read.
    """
    buy = remote.get("side") == "buy"
    filled = dec(remote.get("filled"))
    average = remote.get("average")
    return Order(
        client_order_id=str(remote.get("clientOrderId")),
        pair=pair,
        side=OrderSide.BUY if buy else OrderSide.SELL,
        type=OrderType.LIMIT if remote.get("type") == "limit" else OrderType.MARKET,
        tag=OrderTag.ENTRY if buy else OrderTag.EXIT,
        created_ts=int(remote.get("timestamp") or 0),
        amount=dec(remote.get("amount")) or None,
        price=dec(remote.get("price")) or None,
        status=order_status(remote, filled),
        filled_amount=filled,
        average_price=dec(average) if average else None,
        exchange_order_id=str(remote.get("id")),
    )


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """The arguments of ccxt's create_order for one order."""

    pair: str
    kind: str
    side: str
    amount: str | None
    price: str | None
    params: dict[str, Any]


@dataclass(slots=True)
class TrackedOrder:
    """An order a client placed: what it sends, what it reports and what it has booked."""

    order: Order  # the engine's order: fills are reported under its id, tag and type
    send: Order  # what goes to the exchange (a MARKET twin for a triggered protective order)
    reported: set[str] = field(default_factory=set)  # trade ids already turned into fills
    gross: Decimal = ZERO  # executed amount turned into fills (before base-asset fees)
    notional: Decimal = ZERO
    net: Decimal = ZERO
    fee: Decimal = ZERO
    exchange_filled: Decimal = ZERO  # the exchange's executed amount at the last look
    already_booked: Decimal = ZERO  # restored orders: fills the caller booked before a restart
    last_error: str | None = None

    @property
    def pair(self) -> str:
        """The order's pair."""
        return self.order.pair

    @property
    def needs_poll(self) -> bool:
        """True while the order may still change or has executions not yet reported."""
        return not self.order.status.is_final or self.gross < self.exchange_filled
