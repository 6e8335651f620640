"""Enumerations shared by every layer. Values are the strings stored in the database."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class OrderSide(StrEnum):
    """Side of an order; the `trades.side` CHECK constraint allows exactly these."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for BUY, -1 for SELL."""
        return 1 if self is OrderSide.BUY else -1

    def opposite(self) -> OrderSide:
        """The other side."""
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY


class OrderType(StrEnum):
    """How an order is priced."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_LOSS = "STOP_LOSS"
    TAKE_PROFIT = "TAKE_PROFIT"


class OrderStatus(StrEnum):
    """Life of an order, from intent to a final state."""

    PENDING = "PENDING"  # intent persisted, not yet acknowledged by the exchange
    OPEN = "OPEN"  # acknowledged, resting
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_final(self) -> bool:
        """True when nothing more can happen to the order."""
        return is_final_status(self)


class BotStatus(StrEnum):
    """Lifecycle of a bot: created -> reconciling -> running -> stopping -> stopped, or halted."""

    CREATED = "created"
    RECONCILING = "reconciling"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    HALTED = "halted"


class TradingMode(StrEnum):
    """Where orders go: the simulated PaperExchange or a real exchange."""

    PAPER = "paper"
    LIVE = "live"


class Environment(StrEnum):
    """Deployment environment; production refuses to start without real secrets."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


# Members as module constants for the engine's hot loops: an attribute lookup on an Enum class
# costs more than a module global, and compiled (this module is part of the compiled engine) a
# Final constant is a C static instead of a dictionary lookup.
BUY: Final = OrderSide.BUY
SELL: Final = OrderSide.SELL
MARKET: Final = OrderType.MARKET
STOP_LOSS: Final = OrderType.STOP_LOSS
TAKE_PROFIT: Final = OrderType.TAKE_PROFIT
PENDING: Final = OrderStatus.PENDING
OPEN: Final = OrderStatus.OPEN
PARTIALLY_FILLED: Final = OrderStatus.PARTIALLY_FILLED
FILLED: Final = OrderStatus.FILLED
CANCELLED: Final = OrderStatus.CANCELLED
REJECTED: Final = OrderStatus.REJECTED
EXPIRED: Final = OrderStatus.EXPIRED


def is_final_status(status: OrderStatus) -> bool:
    """True when nothing more can happen to an order in `status` (identity tests: an Enum
    member's hash is a Python-level call, too slow for the engine's per-order checks)."""
    return status is FILLED or status is CANCELLED or status is REJECTED or status is EXPIRED
