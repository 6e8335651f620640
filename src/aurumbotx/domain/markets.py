"""A market's trading rules: price tick, amount step and minimum notional."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class MarketRules:
    """Rules an order must satisfy on one market; None means "not known, not enforced".

    `price_tick` and `amount_step` are grid sizes (Binance PRICE_FILTER tickSize and LOT_SIZE
    stepSize), `min_amount` the LOT_SIZE minQty and `min_notional` the NOTIONAL/MIN_NOTIONAL
    minimum of price x amount in the quote asset.
    """

    symbol: str
    price_tick: Decimal | None = None
    amount_step: Decimal | None = None
    min_amount: Decimal | None = None
    min_notional: Decimal | None = None

    @property
    def is_known(self) -> bool:
        """True when at least one rule is set."""
        return any(
            v is not None
            for v in (self.price_tick, self.amount_step, self.min_amount, self.min_notional)
        )
