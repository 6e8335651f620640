from decimal import Decimal

import pytest

from aurumbotx.domain.enums import OrderSide, OrderStatus
from aurumbotx.domain.errors import (
    AurumBotXError,
    CandleValidationError,
    ExchangeError,
    InvalidInputError,
    RateLimitedError,
    TemporaryExchangeError,
)
from aurumbotx.domain.values import (
    Pair,
    quantize_down,
    quantize_nearest,
    to_decimal,
    to_price,
    to_quantity,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.1, Decimal("0.1")),
        ("0.00001234", Decimal("0.00001234")),
        (123456.78, Decimal("123456.78")),
        (3, Decimal(3)),
        (Decimal("1.5"), Decimal("1.5")),
    ],
)
def test_to_decimal_is_exact(raw: object, expected: Decimal) -> None:
    assert to_decimal(raw) == expected
    assert str(to_decimal(raw)) == str(expected)


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), "abc", None, True, [1]])
def test_to_decimal_refuses(raw: object) -> None:
    with pytest.raises(InvalidInputError):
        to_decimal(raw)


def test_price_and_quantity_bounds() -> None:
    with pytest.raises(InvalidInputError, match="positive"):
        to_price(0)
    with pytest.raises(InvalidInputError, match="negative"):
        to_quantity("-1")
    assert to_quantity(0) == 0


def test_quantize() -> None:
    assert quantize_down(Decimal("0.123456789"), Decimal("0.00001")) == Decimal("0.12345")
    assert quantize_nearest(Decimal("100.126"), Decimal("0.01")) == Decimal("100.13")
    assert quantize_down(Decimal("5"), Decimal(0)) == Decimal("5")


@pytest.mark.parametrize("text", ["BTC/USDT", "btc-usdt", " BTC_USDT "])
def test_pair_parse(text: str) -> None:
    pair = Pair.parse(text)
    assert pair.symbol == "BTC/USDT"
    assert pair.slug == "BTC-USDT"


@pytest.mark.parametrize("text", ["BTCUSDT", "BTC/USDT/X", "/USDT", "BT C/USDT"])
def test_pair_parse_refuses(text: str) -> None:
    with pytest.raises(InvalidInputError, match="not a trading pair"):
        Pair.parse(text)


def test_enums() -> None:
    assert OrderSide.BUY.sign == 1
    assert OrderSide.SELL.opposite() is OrderSide.BUY
    assert OrderStatus.FILLED.is_final
    assert not OrderStatus.OPEN.is_final


def test_error_tree() -> None:
    error = CandleValidationError("btc.csv", 17, "high < max(open, close)", "high=1 open=2")
    assert str(error) == "btc.csv, row 17: high < max(open, close) (high=1 open=2)"
    assert isinstance(error, AurumBotXError)
    limited = RateLimitedError("slow down", retry_after=2.5)
    assert isinstance(limited, TemporaryExchangeError)
    assert isinstance(limited, ExchangeError)
    assert limited.retryable
    assert limited.retry_after == 2.5
