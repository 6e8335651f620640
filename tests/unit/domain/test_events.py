"""Domain events: each type round-trips through the one serialiser, typed and versioned."""

import json
from decimal import Decimal

import pytest

from aurumbotx.domain.enums import BotStatus, OrderSide, OrderType
from aurumbotx.domain.events import (
    EVENT_TYPES,
    BotHalted,
    BotStatusChanged,
    CandleGap,
    Event,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    RiskLimitHit,
    SignalGenerated,
    StrategyFailed,
    TradeClosed,
    event_from_dict,
    event_to_dict,
    owned,
    to_json,
)
from aurumbotx.domain.trading import Fill, RoundTrip

D = Decimal
PAIR = "BTC/USDT"
OWNER = {"bot_id": 7, "user_id": 42}
FILL = Fill(
    "bot7-x",
    PAIR,
    OrderSide.SELL,
    D("0.5"),
    D("101.25"),
    D("0.0506"),
    120_000,
    "exit",
    OrderType.MARKET,
    "t-1",
)
TRIP = RoundTrip(
    PAIR,
    60_000,
    D(100),
    D("0.5"),
    D("0.05"),
    120_000,
    D("101.25"),
    D("0.0506"),
    "signal",
    D("0.5244"),
)

EVENTS: list[Event] = [
    OrderFilled(ts=120_000, pair=PAIR, fill=FILL, **OWNER),
    TradeClosed(ts=120_000, pair=PAIR, round_trip=TRIP, **OWNER),
    OrderRejected(ts=1, pair=PAIR, tag="entry", reason="insufficient balance", **OWNER),
    RiskLimitHit(ts=2, pair=PAIR, tag="entry", reason="kill switch is on", **OWNER),
    OrderCancelled(
        ts=3,
        pair=PAIR,
        tag="entry",
        client_order_id="bot7-e",
        reason="partly filled",
        filled=D("3.996"),
        asked=None,
        **OWNER,
    ),
    OrderCancelled(
        ts=3,
        pair=PAIR,
        tag="exit",
        client_order_id="bot7-x",
        reason="expired",
        filled=D("1"),
        asked=D("2.5"),
        **OWNER,
    ),
    CandleGap(ts=4, pair=PAIR, missing=3, reason="3 1m candle(s) missing", **OWNER),
    SignalGenerated(ts=5, pair=PAIR, enter=True, exit=False, confidence=0.75, **OWNER),
    SignalGenerated(ts=5, pair=PAIR, enter=False, exit=True, **OWNER),
    StrategyFailed(ts=6, pair=PAIR, reason="strategy 'x' failed: KeyError", **OWNER),
    BotHalted(ts=7, pair=PAIR, reason="max drawdown 10% reached", **OWNER),
    BotStatusChanged(ts=8, status=BotStatus.HALTED, reason="stop", **OWNER),
    BotStatusChanged(ts=9, status=BotStatus.RUNNING),  # owner unknown
]


def test_every_event_type_is_covered() -> None:
    assert {type(e).__name__ for e in EVENTS} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_an_event_round_trips_through_json_with_type_version_and_owner(event: Event) -> None:
    data = json.loads(to_json(event))
    assert data["type"] == type(event).__name__
    assert data["schema_version"] == 1
    assert (data["user_id"], data["bot_id"]) == (event.user_id, event.bot_id)
    assert data["ts"] == event.ts
    assert data == event_to_dict(event)
    assert event_from_dict(data) == event


def test_the_json_shape_of_a_fill() -> None:
    data = event_to_dict(EVENTS[0])
    assert data == {
        "type": "OrderFilled",
        "schema_version": 1,
        "ts": 120_000,
        "bot_id": 7,
        "user_id": 42,
        "pair": PAIR,
        "fill": {
            "client_order_id": "bot7-x",
            "pair": PAIR,
            "side": "SELL",
            "amount": "0.5",
            "price": "101.25",
            "fee": "0.0506",
            "ts": 120_000,
            "tag": "exit",
            "order_type": "MARKET",
            "trade_id": "t-1",
        },
    }


def test_decimals_travel_as_exact_strings() -> None:
    data = event_to_dict(EVENTS[1])
    assert data["round_trip"]["profit_loss"] == "0.5244"
    assert data["round_trip"]["exit_reason"] == "signal"
    assert event_to_dict(EVENTS[4])["filled"] == "3.996"
    assert event_to_dict(EVENTS[-2])["status"] == "halted"


def test_owned_stamps_the_owner_and_keeps_the_rest() -> None:
    bare = BotHalted(ts=7, pair=PAIR, reason="drawdown")
    assert (bare.bot_id, bare.user_id) == (None, None)
    stamped = owned(bare, bot_id=3, user_id=9)
    assert stamped == BotHalted(ts=7, pair=PAIR, reason="drawdown", bot_id=3, user_id=9)
    assert bare.user_id is None  # events are immutable


def test_unknown_types_and_versions_are_refused() -> None:
    data = event_to_dict(EVENTS[2])
    with pytest.raises(ValueError, match="unknown event type"):
        event_from_dict({**data, "type": "OrderTeleported"})
    with pytest.raises(ValueError, match="schema version"):
        event_from_dict({**data, "schema_version": 99})
