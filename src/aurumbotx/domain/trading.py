"""Orders, fills, signals and engine events: the vocabulary of backtest, paper and live trading.

Amounts and prices are Decimal. Times are epoch milliseconds (`ts`) inside the engine's hot path
and become tz-aware datetimes at its edges (reports, database, API).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aurumbotx.domain.enums import OrderSide, OrderStatus, OrderType

ZERO = Decimal(0)


class OrderTag:
    """Why an order exists; part of its deterministic client order id."""

    ENTRY = "entry"
    EXIT = "exit"
    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"


@dataclass(slots=True)
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


@dataclass(slots=True)
class OrderIntent:
    """What the engine wants before the risk manager has sized and checked it.

    For an entry, `amount` None means "size it" (risk manager: risk percentage, exposure,
    cash). For an exit, `amount` None means "the whole position".
    """

    pair: str
    side: OrderSide
    type: OrderType
    tag: str
    ts: int  # close time of the candle that produced it (ms)
    amount: Decimal | None = None
    price: Decimal | None = None  # limit price, or trigger price of a stop / take-profit
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    signal: Signal | None = None


@dataclass(slots=True)
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


@dataclass(slots=True)
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


@dataclass(slots=True)
class EngineEvent:
    """Something that happened in the engine, in the past tense (OrderFilled, RiskRejected...)."""

    kind: str
    ts: int
    pair: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
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
