"""Orders, fills and signals: the vocabulary of backtest, paper and live trading.

Amounts and prices are Decimal. Times are epoch milliseconds (`ts`) inside the engine's hot path
and become tz-aware datetimes at its edges (reports, database, API).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from aurumbotx.domain.enums import OrderSide, OrderStatus, OrderType

ZERO: Final = Decimal(0)


class OrderTag:
    """Why an order exists; part of its deterministic client order id."""

    ENTRY: Final = "entry"
    EXIT: Final = "exit"
    STOP_LOSS: Final = "stop_loss"
    TAKE_PROFIT: Final = "take_profit"


# The hot classes below spell out their __init__ (init=False): compiled with mypyc, a generated
# dataclass __init__ would stay interpreted Python and cost more than the rest of the engine.
# tests/unit/domain/test_explicit_inits.py checks that each __init__ takes exactly the
# fields, defaults included.


@dataclass(slots=True, init=False)
class Signal:
    """A strategy's decision at the close of one candle of one pair.

    `stop_loss` and `take_profit` are absolute prices for the position an entry opens (None: the
    strategy's or the risk manager's percentage applies). `data` is kept with the trade
    (`trades.signal_data`) so that every trade can answer "why".
    """

    enter: bool = False
    exit: bool = False
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    confidence: float | None = None
    data: dict[str, Any] | None = None

    def __init__(
        self,
        enter: bool = False,
        exit: bool = False,
        stop_loss: Decimal | None = None,
        take_profit: Decimal | None = None,
        confidence: float | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.enter = enter
        self.exit = exit
        self.stop_loss = stop_loss
        self.take_profit = take_profit
        self.confidence = confidence
        self.data = data


@dataclass(slots=True, init=False)
class Order:
    """An order as the engine tracks it, from intent (PENDING) to a final status.

    Exactly one of `amount` and `quote_amount` drives the size: a market BUY may be given a quote
    budget (fees included) that the exchange turns into an amount at the fill price, which is
    how an all-in order spends exactly the available cash.
    """

    client_order_id: str
    pair: str
    side: OrderSide
    type: OrderType
    tag: str
    created_ts: int
    amount: Decimal | None
    price: Decimal | None = None
    quote_amount: Decimal | None = None
    status: OrderStatus = OrderStatus.PENDING
    filled_amount: Decimal = ZERO
    average_price: Decimal | None = None
    fee: Decimal = ZERO
    exchange_order_id: str | None = None
    oco_group: str | None = None
    error: str | None = None
    updated_ts: int | None = None
    signal: Signal | None = None
    submitted_ts: int | None = None  # when the exchange accepted it
    exchange_response: dict[str, Any] | None = None  # a real exchange's last answer, as sent
    sent_ts: int | None = None  # a live request's `timestamp` (exchange clock, ms), latest attempt

    def __init__(
        self,
        client_order_id: str,
        pair: str,
        side: OrderSide,
        type: OrderType,
        tag: str,
        created_ts: int,
        amount: Decimal | None,
        price: Decimal | None = None,
        quote_amount: Decimal | None = None,
        status: OrderStatus = OrderStatus.PENDING,
        filled_amount: Decimal = ZERO,
        average_price: Decimal | None = None,
        fee: Decimal = ZERO,
        exchange_order_id: str | None = None,
        oco_group: str | None = None,
        error: str | None = None,
        updated_ts: int | None = None,
        signal: Signal | None = None,
        submitted_ts: int | None = None,
        exchange_response: dict[str, Any] | None = None,
        sent_ts: int | None = None,
    ) -> None:
        self.client_order_id = client_order_id
        self.pair = pair
        self.side = side
        self.type = type
        self.tag = tag
        self.created_ts = created_ts
        self.amount = amount
        self.price = price
        self.quote_amount = quote_amount
        self.status = status
        self.filled_amount = filled_amount
        self.average_price = average_price
        self.fee = fee
        self.exchange_order_id = exchange_order_id
        self.oco_group = oco_group
        self.error = error
        self.updated_ts = updated_ts
        self.signal = signal
        self.submitted_ts = submitted_ts
        self.exchange_response = exchange_response
        self.sent_ts = sent_ts


@dataclass(slots=True, init=False)
class Fill:
    """One execution of (part of) an order; fee in the quote asset. Treat it as immutable."""

    client_order_id: str
    pair: str
    side: OrderSide
    amount: Decimal
    price: Decimal
    fee: Decimal
    ts: int
    tag: str
    order_type: OrderType
    trade_id: str | None = None

    def __init__(
        self,
        client_order_id: str,
        pair: str,
        side: OrderSide,
        amount: Decimal,
        price: Decimal,
        fee: Decimal,
        ts: int,
        tag: str,
        order_type: OrderType,
        trade_id: str | None = None,
    ) -> None:
        self.client_order_id = client_order_id
        self.pair = pair
        self.side = side
        self.amount = amount
        self.price = price
        self.fee = fee
        self.ts = ts
        self.tag = tag
        self.order_type = order_type
        self.trade_id = trade_id


@dataclass(slots=True, init=False)
class RoundTrip:
    """A position from its first entry fill to its exit (exit fields None while open)."""

    pair: str
    entry_ts: int
    entry_price: Decimal  # average fill price of the entries
    amount: Decimal
    entry_fee: Decimal
    exit_ts: int | None = None
    exit_price: Decimal | None = None
    exit_fee: Decimal = ZERO
    exit_reason: str | None = None
    profit_loss: Decimal = ZERO  # net of both fees once closed
    signal: Signal | None = None

    def __init__(
        self,
        pair: str,
        entry_ts: int,
        entry_price: Decimal,
        amount: Decimal,
        entry_fee: Decimal,
        exit_ts: int | None = None,
        exit_price: Decimal | None = None,
        exit_fee: Decimal = ZERO,
        exit_reason: str | None = None,
        profit_loss: Decimal = ZERO,
        signal: Signal | None = None,
    ) -> None:
        self.pair = pair
        self.entry_ts = entry_ts
        self.entry_price = entry_price
        self.amount = amount
        self.entry_fee = entry_fee
        self.exit_ts = exit_ts
        self.exit_price = exit_price
        self.exit_fee = exit_fee
        self.exit_reason = exit_reason
        self.profit_loss = profit_loss
        self.signal = signal
