"""Domain events: what happened to a bot, in the past tense, typed and versioned.

The engine, the bot runner and the engine service emit these; the event bus, the WebSocket and
notifications carry the JSON that `event_to_dict` makes of them (and only that), and
`event_from_dict` reads it back. Every event names its owner (`user_id`, `bot_id`): None where
the emitter does not know it (the engine core, a backtest); the bot runner, which knows its bot
and user, stamps both on what its engine emits (`owned`).

JSON shape (docs/engine.md, "Events"): ``{"type": "<class name>", "schema_version": 1, "ts": ms,
"bot_id": int|null, "user_id": int|null, <the event's own fields>}``; Decimals are strings,
enums their values, a fill or a round trip a nested object.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, TypeVar

from aurumbotx.domain.enums import BotStatus, OrderSide, OrderType
from aurumbotx.domain.trading import Fill, RoundTrip


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """What every event carries: when (epoch ms) and whose."""

    schema_version: ClassVar[int] = 1

    ts: int
    bot_id: int | None = None
    user_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(Event):
    """An order executed (in part or in full); the portfolio has booked the fill."""

    pair: str
    fill: Fill


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeClosed(Event):
    """A SELL fill closed a position: the round trip from entry to exit, net profit included."""

    pair: str
    round_trip: RoundTrip


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRejected(Event):
    """The exchange refused an order (or it ended unfilled); nothing was booked."""

    pair: str
    tag: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskLimitHit(Event):
    """The risk manager refused an entry (a limit, the kill switch, the order rate...)."""

    pair: str
    tag: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelled(Event):
    """The rest of a partly filled order will not execute; what did is booked."""

    pair: str
    tag: str
    client_order_id: str
    reason: str
    filled: Decimal
    asked: Decimal | None  # the order's amount, else its quote budget


@dataclass(frozen=True, slots=True, kw_only=True)
class CandleGap(Event):
    """Candles the feed never delivered (none on the exchange); trading goes on without them."""

    pair: str
    missing: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalGenerated(Event):
    """The strategy's decision at the close of a candle (emitted only when it says something)."""

    pair: str
    enter: bool
    exit: bool
    confidence: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategyFailed(Event):
    """Strategy code raised: the candle's signal is lost; the bot halts after several in a row."""

    pair: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BotHalted(Event):
    """An equity limit (daily loss, drawdown) halted the bot: no new entries from now on."""

    pair: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BotStatusChanged(Event):
    """A lifecycle transition (reconciling, running, stopping, stopped, halted), persisted."""

    status: BotStatus
    reason: str | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        OrderFilled,
        TradeClosed,
        OrderRejected,
        RiskLimitHit,
        OrderCancelled,
        CandleGap,
        SignalGenerated,
        StrategyFailed,
        BotHalted,
        BotStatusChanged,
    )
}

E = TypeVar("E", bound=Event)


def owned(event: E, *, bot_id: int, user_id: int) -> E:
    """`event` with its owner filled in (by the bot runner, which knows both)."""
    return dataclasses.replace(event, bot_id=bot_id, user_id=user_id)


# ---------------------------------------------------------------------- serialisation
_FILL_FIELDS = (
    "client_order_id",
    "pair",
    "side",
    "amount",
    "price",
    "fee",
    "ts",
    "tag",
    "order_type",
    "trade_id",
)
_TRIP_FIELDS = (
    "pair",
    "entry_ts",
    "entry_price",
    "amount",
    "entry_fee",
    "exit_ts",
    "exit_price",
    "exit_fee",
    "exit_reason",
    "profit_loss",
)


def _plain(value: object) -> Any:
    """A field's JSON value: Decimals as exact strings, enums as values, fills as objects."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Fill):
        return {name: _plain(getattr(value, name)) for name in _FILL_FIELDS}
    if isinstance(value, RoundTrip):
        return {name: _plain(getattr(value, name)) for name in _TRIP_FIELDS}
    return value


def event_to_dict(event: Event) -> dict[str, Any]:
    """The event as the JSON object the bus, the WebSocket and notifications carry."""
    out: dict[str, Any] = {"type": type(event).__name__, "schema_version": event.schema_version}
    for item in dataclasses.fields(event):
        out[item.name] = _plain(getattr(event, item.name))
    return out


def to_json(event: Event) -> str:
    """`event_to_dict` as compact JSON text."""
    return json.dumps(event_to_dict(event), separators=(",", ":"))


def _decimal(raw: Any) -> Decimal | None:
    return None if raw is None else Decimal(raw)


def _fill(raw: dict[str, Any]) -> Fill:
    return Fill(
        client_order_id=raw["client_order_id"],
        pair=raw["pair"],
        side=OrderSide(raw["side"]),
        amount=Decimal(raw["amount"]),
        price=Decimal(raw["price"]),
        fee=Decimal(raw["fee"]),
        ts=raw["ts"],
        tag=raw["tag"],
        order_type=OrderType(raw["order_type"]),
        trade_id=raw["trade_id"],
    )


def _round_trip(raw: dict[str, Any]) -> RoundTrip:
    return RoundTrip(
        pair=raw["pair"],
        entry_ts=raw["entry_ts"],
        entry_price=Decimal(raw["entry_price"]),
        amount=Decimal(raw["amount"]),
        entry_fee=Decimal(raw["entry_fee"]),
        exit_ts=raw["exit_ts"],
        exit_price=_decimal(raw["exit_price"]),
        exit_fee=Decimal(raw["exit_fee"]),
        exit_reason=raw["exit_reason"],
        profit_loss=Decimal(raw["profit_loss"]),
    )


_READERS: dict[str, Any] = {
    "fill": _fill,
    "round_trip": _round_trip,
    "filled": Decimal,
    "asked": _decimal,
    "status": BotStatus,
}


def event_from_dict(data: dict[str, Any]) -> Event:
    """The event `event_to_dict` made `data` from (ValueError: an unknown type or version)."""
    cls = EVENT_TYPES.get(str(data.get("type")))
    if cls is None:
        raise ValueError(f"unknown event type {data.get('type')!r}")
    if data.get("schema_version") != cls.schema_version:
        raise ValueError(f"{cls.__name__}: unsupported schema version {data.get('schema_version')}")
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        if item.name in data:
            raw = data[item.name]
            reader = _READERS.get(item.name)
            values[item.name] = reader(raw) if reader is not None and raw is not None else raw
    return cls(**values)
