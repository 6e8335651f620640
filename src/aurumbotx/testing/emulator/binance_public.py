"""Binance spot public REST endpoints: ping, time, exchangeInfo, klines and tickers.

Answers have Binance's shapes (what ccxt parses): exchangeInfo symbols with PRICE_FILTER,
LOT_SIZE and NOTIONAL filters, status TRADING and SPOT permissions; klines as 12-column rows
of strings and numbers; tickers at the emulator's current price of each symbol (the price
trading uses; a market without a price is left out). Errors are Binance's JSON
``{"code": -11xx, "msg": ...}`` with HTTP 400.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.domain.timeframes import timeframe_to_ms
from aurumbotx.testing.emulator.messages import Handler, Request, Response, binance_error
from aurumbotx.testing.emulator.state import EmulatorState, MarketSpec

KLINES_DEFAULT_LIMIT = 500
KLINES_MAX_LIMIT = 1000


def decimal_text(value: float) -> str:
    """Shortest exact decimal text of a float: sent through the emulator, it comes back equal."""
    return np.format_float_positional(value, unique=True, trim="-")


def ping(request: Request, state: EmulatorState) -> Response:
    """GET /api/v3/ping."""
    return Response({})


def server_time(request: Request, state: EmulatorState) -> Response:
    """GET /api/v3/time."""
    return Response({"serverTime": state.now_ms()})


def _symbol_info(market: MarketSpec) -> dict[str, Any]:
    pair = market.pair
    return {
        "symbol": market.exchange_id,
        "status": market.status,
        "baseAsset": pair.base,
        "baseAssetPrecision": 8,
        "quoteAsset": pair.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": str(market.tick_size),
                "maxPrice": "1000000.00000000",
                "tickSize": str(market.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": str(market.min_qty),
                "maxQty": "9000.00000000",
                "stepSize": str(market.step_size),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": str(market.min_notional),
                "applyMinToMarket": True,
                "maxNotional": "9000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def exchange_info(request: Request, state: EmulatorState) -> Response:
    """GET /api/v3/exchangeInfo (optionally ?symbol=BTCUSDT)."""
    with state.lock:
        markets = list(state.markets.values())
    wanted = request.params.get("symbol")
    if wanted is not None:
        markets = [m for m in markets if m.exchange_id == wanted]
        if not markets:
            return binance_error(-1121, "Invalid symbol.")
    return Response(
        {
            "timezone": "UTC",
            "serverTime": state.now_ms(),
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": 6000,
                },
            ],
            "exchangeFilters": [],
            "symbols": [_symbol_info(m) for m in markets],
        }
    )


def _int_param(request: Request, name: str) -> int | None:
    raw = request.params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(name) from None


def klines(request: Request, state: EmulatorState) -> Response:
    """GET /api/v3/klines: symbol, interval, startTime, endTime (inclusive), limit <= 1000."""
    symbol = request.params.get("symbol")
    interval = request.params.get("interval")
    if not symbol or not interval:
        return binance_error(
            -1102, "Mandatory parameter 'symbol' or 'interval' was not sent, was empty/null."
        )
    market = state.market_by_id(symbol)
    if market is None:
        return binance_error(-1121, "Invalid symbol.")
    try:
        step = timeframe_to_ms(interval)
        start, end, limit = (_int_param(request, n) for n in ("startTime", "endTime", "limit"))
    except InvalidInputError:
        return binance_error(-1120, "Invalid interval.")
    except ValueError as error:
        return binance_error(-1100, f"Illegal characters found in parameter '{error}'.")
    limit = KLINES_DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= KLINES_MAX_LIMIT:
        return binance_error(-1130, "Data sent for parameter 'limit' is not valid.")
    with state.lock:
        candles = state.candles.get((market.symbol, interval))
    if candles is None or len(candles) == 0:
        return Response([])
    lo = 0 if start is None else int(np.searchsorted(candles.ts, start, "left"))
    hi = len(candles) if end is None else int(np.searchsorted(candles.ts, end, "right"))
    # Like Binance: from startTime forwards when given, otherwise the newest before endTime.
    lo, hi = (lo, min(hi, lo + limit)) if start is not None else (max(lo, hi - limit), hi)
    rows = []
    for i in range(lo, hi):
        ts = int(candles.ts[i])
        close, volume = float(candles.close[i]), float(candles.volume[i])
        rows.append(
            [
                ts,
                decimal_text(float(candles.open[i])),
                decimal_text(float(candles.high[i])),
                decimal_text(float(candles.low[i])),
                decimal_text(close),
                decimal_text(volume),
                ts + step - 1,
                decimal_text(close * volume),  # quote volume: approximated, not in our data
                0,
                "0",
                "0",
                "0",
            ]
        )
    return Response(rows)


def _priced_markets(
    request: Request, state: EmulatorState
) -> list[tuple[MarketSpec, Decimal]] | Response:
    wanted = request.params.get("symbol")
    with state.lock:
        markets = list(state.markets.values())
        prices = dict(state.spot.prices)
    if wanted is not None:
        markets = [m for m in markets if m.exchange_id == wanted]
        if not markets or markets[0].symbol not in prices:
            return binance_error(-1121, "Invalid symbol.")
    return [(m, prices[m.symbol]) for m in markets if m.symbol in prices]


def _one_or_all(request: Request, rows: list[dict[str, Any]]) -> Response:
    return Response(rows[0] if request.params.get("symbol") is not None else rows)


def ticker_price(request: Request, state: EmulatorState) -> Response:
    """GET /api/v3/ticker/price (one symbol, or all)."""
    priced = _priced_markets(request, state)
    if isinstance(priced, Response):
        return priced
    rows = [{"symbol": m.exchange_id, "price": f"{p:.8f}"} for m, p in priced]
    return _one_or_all(request, rows)


def ticker_24hr(request: Request, state: EmulatorState) -> Response:
    """GET /api/v3/ticker/24hr: a flat day at the current price (no volume is simulated)."""
    priced = _priced_markets(request, state)
    if isinstance(priced, Response):
        return priced
    now = state.now_ms()
    rows = []
    for market, price in priced:
        text = f"{price:.8f}"
        rows.append(
            {
                "symbol": market.exchange_id,
                "priceChange": "0.00000000",
                "priceChangePercent": "0.000",
                "weightedAvgPrice": text,
                "prevClosePrice": text,
                "lastPrice": text,
                "lastQty": "0.00000000",
                "bidPrice": text,
                "bidQty": "0.00000000",
                "askPrice": text,
                "askQty": "0.00000000",
                "openPrice": text,
                "highPrice": text,
                "lowPrice": text,
                "volume": "0.00000000",
                "quoteVolume": "0.00000000",
                "openTime": now - 86_400_000,
                "closeTime": now,
                "firstId": -1,
                "lastId": -1,
                "count": 0,
            }
        )
    return _one_or_all(request, rows)


PUBLIC_ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/api/v3/ping"): ping,
    ("GET", "/api/v3/time"): server_time,
    ("GET", "/api/v3/exchangeInfo"): exchange_info,
    ("GET", "/api/v3/klines"): klines,
    ("GET", "/api/v3/ticker/price"): ticker_price,
    ("GET", "/api/v3/ticker/24hr"): ticker_24hr,
}
