"""Decimal value types for money, prices and quantities, and the trading pair.

Money, prices and quantities are `Decimal` in the domain and the database (never binary floats);
float64 arrays appear only in vectorised research code. `to_decimal` is the one door in: it
refuses NaN, infinities and non-numbers with a clear message, and converts floats through their
shortest repr so that 0.1 becomes Decimal("0.1"), not 0.1000000000000000055511151231257827.
"""

from __future__ import annotations

import decimal
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, NewType

from aurumbotx.domain.errors import InvalidInputError

Price = NewType("Price", Decimal)
Quantity = NewType("Quantity", Decimal)
Money = NewType("Money", Decimal)

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)

# The rules every money computation runs on: 28 significant digits, ties to even (Python's
# defaults, written down). A thread's decimal context is shared mutable state, and libraries
# change it: ccxt's `decimal_to_precision` (behind `amount_to_precision`, `create_order`...)
# sets ROUND_HALF_UP on the calling thread's context for good. The engine's entry points run
# under `money_arithmetic()`, so a backtest and a bot agree to the last digit whatever ran before.
MONEY_CONTEXT: Final = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def money_arithmetic() -> AbstractContextManager[decimal.Context]:
    """Decimal arithmetic on MONEY_CONTEXT for the block, whatever the thread's context says."""
    return decimal.localcontext(MONEY_CONTEXT)


def to_decimal(value: object, *, name: str = "value") -> Decimal:
    """Convert an int, str, float or Decimal to a finite Decimal, or raise InvalidInputError."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InvalidInputError(f"{name} must be a number, got a boolean")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise InvalidInputError(f"{name} must be a number, got {value!r}") from None
    else:
        raise InvalidInputError(f"{name} must be a number, got {type(value).__name__}")
    if not result.is_finite():
        raise InvalidInputError(f"{name} must be finite, got {value!r}")
    return result


def float_to_decimal(value: float) -> Decimal:
    """The Decimal of a float's shortest repr: 4261.48 -> Decimal("4261.48"), fast and exact.

    `float()` first: numpy scalars' repr is 'np.float64(...)'.
    """
    return Decimal(repr(float(value)))


def to_price(value: object) -> Price:
    """A strictly positive price."""
    result = to_decimal(value, name="price")
    if result <= 0:
        raise InvalidInputError(f"price must be positive, got {result}")
    return Price(result)


def to_quantity(value: object) -> Quantity:
    """A non-negative quantity of the base asset."""
    result = to_decimal(value, name="quantity")
    if result < 0:
        raise InvalidInputError(f"quantity must not be negative, got {result}")
    return Quantity(result)


def to_money(value: object) -> Money:
    """An amount of the quote asset (may be negative: a loss)."""
    return Money(to_decimal(value, name="amount"))


def quantize_down(value: Decimal, step: Decimal) -> Decimal:
    """Round towards zero onto a grid of `step` (an exchange's amount step)."""
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=decimal.ROUND_DOWN) * step


def quantize_nearest(value: Decimal, step: Decimal) -> Decimal:
    """Round to the nearest point of a grid of `step` (an exchange's price tick)."""
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=decimal.ROUND_HALF_EVEN) * step


@dataclass(frozen=True, slots=True)
class Pair:
    """A spot trading pair such as BTC/USDT (base/quote), in ccxt's unified notation."""

    base: str
    quote: str

    @classmethod
    def parse(cls, text: str) -> Pair:
        """Parse 'BTC/USDT' or 'BTC-USDT' (upper-cased); refuse anything else."""
        cleaned = text.strip().upper().replace("-", "/").replace("_", "/")
        parts = cleaned.split("/")
        if len(parts) != 2 or not all(p.isalnum() and 1 <= len(p) <= 10 for p in parts):
            raise InvalidInputError(f"not a trading pair: {text!r} (expected e.g. BTC/USDT)")
        return cls(parts[0], parts[1])

    @property
    def symbol(self) -> str:
        """Unified symbol, e.g. 'BTC/USDT'."""
        return f"{self.base}/{self.quote}"

    @property
    def slug(self) -> str:
        """File-name form, e.g. 'BTC-USDT'."""
        return f"{self.base}-{self.quote}"

    def __str__(self) -> str:
        return self.symbol
