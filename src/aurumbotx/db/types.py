"""Column types that behave the same on SQLite and PostgreSQL.

* `DecimalType`: NUMERIC(p, s) on PostgreSQL; on SQLite, which has no exact decimal storage,
  the decimal's text. A price of 0.00001234 or 123456.78 comes back equal, never via a float.
* `UTCDateTime`: TIMESTAMP WITH TIME ZONE; always returns tz-aware UTC datetimes (SQLite keeps
  naive UTC text), and refuses naive datetimes on the way in.
* `JSONType`: JSONB on PostgreSQL, JSON elsewhere.
* `InetType`: INET on PostgreSQL, text elsewhere.
* `BigIntPK`: BIGINT on PostgreSQL, INTEGER on SQLite (the only type SQLite auto-increments).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# Wide enough for crypto: 16 integer digits, 12 decimals (satoshi is 8, some tokens need more).
PRICE_PRECISION = (28, 12)
# Percentages and ratios: no overflow at 1000 %.
PERCENT_PRECISION = (18, 6)


class DecimalType(TypeDecorator[Decimal]):
    """Exact decimal on every backend."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = PRICE_PRECISION[0], scale: int = PRICE_PRECISION[1]):
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(self.precision + 2))
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            value = Decimal(repr(value))
        elif not isinstance(value, Decimal):
            value = Decimal(value)
        if not value.is_finite():
            raise ValueError(f"refusing to store a non-finite decimal: {value}")
        if dialect.name == "sqlite":
            return format(value, "f")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


def Price() -> DecimalType:
    """A price or an amount: NUMERIC(28, 12)."""
    return DecimalType(*PRICE_PRECISION)


def Percent() -> DecimalType:
    """A percentage or a ratio: NUMERIC(18, 6)."""
    return DecimalType(*PERCENT_PRECISION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def __init__(self, timezone: bool = True) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
InetType = sa.String(45).with_variant(postgresql.INET(), "postgresql")
BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
