"""The hot dataclasses spell out __init__ (for the compiled engine): it must match the fields."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.enums import OrderSide, OrderStatus, OrderType
from aurumbotx.domain.trading import Fill, Order, RoundTrip, Signal
from aurumbotx.risk.manager import RiskDecision

CLASSES = [Candle, Signal, Order, Fill, RoundTrip, RiskDecision]


def _required(cls: type) -> list[dataclasses.Field]:
    return [
        f
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]


_FLOATS = {"open", "high", "low", "close", "volume", "confidence"}
_BOOLS = {"enter", "exit", "approved"}
_DECIMALS = {
    "stop_loss",
    "take_profit",
    "amount",
    "price",
    "quote_amount",
    "filled_amount",
    "average_price",
    "fee",
    "entry_price",
    "entry_fee",
    "exit_price",
    "exit_fee",
    "profit_loss",
}


def _sample(name: str, i: int) -> object:
    """A value of the field's type, distinct per field (bools alternate).

    By field name: compiled with mypyc, the dataclass fields carry no usable annotations, and
    the compiled classes check the types they are given.
    """
    if name == "ts" or name.endswith("_ts"):
        return 1000 + i
    if name in _FLOATS:
        return i + 0.25
    if name in _BOOLS:
        return i % 2 == 0
    if name in _DECIMALS:
        return Decimal(f"{i}.5")
    special: dict[str, object] = {
        "side": OrderSide.SELL,
        "type": OrderType.LIMIT,
        "order_type": OrderType.STOP_LOSS,
        "status": OrderStatus.FILLED,
        "signal": Signal(enter=True, confidence=float(i)),
        "data": {"field": i},
        "exchange_response": {"field": i},
    }
    return special.get(name, f"value-{i}")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_field_is_a_parameter_in_field_order(cls: type) -> None:
    fields = dataclasses.fields(cls)
    # distinct per field (bools alternate): a swapped or forgotten assignment shows
    values = [_sample(f.name, i) for i, f in enumerate(fields)]
    by_position = cls(*values)
    by_keyword = cls(**{f.name: v for f, v in zip(fields, values, strict=True)})
    for f, v in zip(fields, values, strict=True):
        assert getattr(by_position, f.name) == v, f.name
        assert getattr(by_keyword, f.name) == v, f.name
    with pytest.raises(TypeError):
        cls(*values, values[0])


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_defaults_are_the_declared_ones(cls: type) -> None:
    obj = cls(*[_sample(f.name, i) for i, f in enumerate(_required(cls))])
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            assert getattr(obj, f.name) == f.default, f.name
    if _required(cls):
        with pytest.raises(TypeError):
            cls()


def test_equality_and_repr_still_come_from_the_dataclass() -> None:
    a = RiskDecision(True, quote_amount=Decimal(5))
    assert a == RiskDecision(True, None, Decimal(5))
    assert a != RiskDecision(True, None, Decimal(6))
    assert repr(a) == (
        "RiskDecision(approved=True, reason=None, quote_amount=Decimal('5'), amount=None)"
    )
