"""ccxt's market dicts turned into our MarketRules (tick, step, minimum amount and notional)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import ccxt

from aurumbotx.domain.markets import MarketRules


def _clean_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or number <= 0:
        return None
    # "0.01000000" -> 0.01, but 10 stays 10 (normalize() would give 1E+1).
    return number.normalize() if number != number.to_integral_value() else number.quantize(1)


def market_rules_from_ccxt(market: dict[str, Any], precision_is_tick: bool = True) -> MarketRules:
    """MarketRules of a ccxt market; Binance filters are read as exact decimal strings."""
    filters = {f.get("filterType"): f for f in (market.get("info") or {}).get("filters") or []}
    price = filters.get("PRICE_FILTER", {})
    lot = filters.get("LOT_SIZE", {})
    notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}

    def tick(value: Any) -> Decimal | None:
        # ccxt's TICK_SIZE mode gives grid sizes; DECIMAL_PLACES mode gives a digit count.
        if value is None:
            return None
        return _clean_decimal(value if precision_is_tick else Decimal(1).scaleb(-int(value)))

    return MarketRules(
        symbol=str(market["symbol"]),
        price_tick=_clean_decimal(price.get("tickSize")) or tick(precision.get("price")),
        amount_step=_clean_decimal(lot.get("stepSize")) or tick(precision.get("amount")),
        min_amount=_clean_decimal(lot.get("minQty"))
        or _clean_decimal((limits.get("amount") or {}).get("min")),
        min_notional=_clean_decimal(notional.get("minNotional") or notional.get("notional"))
        or _clean_decimal((limits.get("cost") or {}).get("min")),
    )


def precision_is_tick(exchange: Any) -> bool:
    """True when the ccxt exchange gives precisions as grid sizes (TICK_SIZE), not digits."""
    return bool(getattr(exchange, "precisionMode", ccxt.TICK_SIZE) == ccxt.TICK_SIZE)


def spot_market_rules(exchange: Any, markets: Mapping[str, Any]) -> dict[str, MarketRules]:
    """The rules of every spot market among the loaded ccxt `markets` of `exchange`."""
    is_tick = precision_is_tick(exchange)
    return {
        symbol: market_rules_from_ccxt(market, is_tick)
        for symbol, market in markets.items()
        if market.get("spot")
    }
