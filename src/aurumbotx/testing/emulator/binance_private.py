"""Binance spot signed REST endpoints: account, orders, open orders and my trades.

Shapes follow Binance's documentation (what ccxt parses): amounts as decimal strings with 8
decimals, ids as integers, errors as ``{"code": ..., "msg": ...}`` with HTTP 400 (401 for an
unknown API key). Every route checks the signature first (`signing.signed`). Emulated order
types are MARKET (``quantity`` or ``quoteOrderQty``) and LIMIT (``price``, ``quantity``,
``timeInForce`` GTC or IOC); ``newOrderRespType`` ACK, RESULT or FULL (the default; FULL lists
the order's fills with their commission). Trading rules are in `spot`.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from aurumbotx.testing.emulator.messages import Handler, Request, Response, binance_error
from aurumbotx.testing.emulator.signing import SignedHandler, signed
from aurumbotx.testing.emulator.spot import (
    BUY,
    LIMIT,
    MARKET,
    SELL,
    ZERO,
    Account,
    OrderRejected,
    SpotOrder,
    Trade,
)
from aurumbotx.testing.emulator.state import EmulatorState, MarketSpec

CLIENT_ORDER_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
MY_TRADES_DEFAULT_LIMIT = 500
MY_TRADES_MAX_LIMIT = 1000


class _BadRequest(Exception):
    """A request Binance refuses before looking at the order book."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.body)
        self.response = response


def fmt(value: Decimal) -> str:
    """Binance's decimal string: 8 decimals, more only when the value needs them."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -8:
        return format(value.normalize(), "f")
    return f"{value:.8f}"


def _mandatory(name: str) -> _BadRequest:
    return _BadRequest(
        binance_error(
            -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
        )
    )


def _not_required(name: str) -> _BadRequest:
    return _BadRequest(binance_error(-1106, f"Parameter '{name}' sent when not required."))


def _decimal(request: Request, name: str) -> Decimal | None:
    raw = request.params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise _BadRequest(binance_error(-1100, f"Illegal characters found in parameter '{name}'."))
    return value


def _int(request: Request, name: str) -> int | None:
    raw = request.params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise _BadRequest(
            binance_error(-1100, f"Illegal characters found in parameter '{name}'.")
        ) from None


def _market(request: Request, state: EmulatorState, required: bool = True) -> MarketSpec | None:
    symbol = request.params.get("symbol")
    if not symbol:
        if required:
            raise _mandatory("symbol")
        return None
    market = state.market_by_id(symbol)
    if market is None:
        raise _BadRequest(binance_error(-1121, "Invalid symbol."))
    return market


def _answers(handler: SignedHandler) -> Handler:
    """A signed route: the signature checked first, a `_BadRequest` turned into its answer."""

    def run(request: Request, state: EmulatorState, account: Account) -> Response:
        try:
            return handler(request, state, account)
        except _BadRequest as bad:
            return bad.response

    run.__doc__ = handler.__doc__
    return signed(run)


# ---------------------------------------------------------------------------- shapes


def order_json(order: SpotOrder, market: MarketSpec) -> dict[str, Any]:
    """An order as GET /api/v3/order answers it."""
    return {
        "symbol": market.exchange_id,
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "price": fmt(order.price or ZERO),
        "origQty": fmt(order.quantity),
        "executedQty": fmt(order.executed_qty),
        "cummulativeQuoteQty": fmt(order.cum_quote),
        "status": order.status,
        "timeInForce": order.time_in_force or "GTC",
        "type": order.type,
        "side": order.side,
        "stopPrice": fmt(ZERO),
        "icebergQty": fmt(ZERO),
        "time": order.created_ms,
        "updateTime": order.updated_ms,
        "isWorking": True,
        "workingTime": order.created_ms,
        "origQuoteOrderQty": fmt(order.quote_qty or ZERO),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def trade_json(trade: Trade, market: MarketSpec) -> dict[str, Any]:
    """A trade as GET /api/v3/myTrades lists it."""
    return {
        "symbol": market.exchange_id,
        "id": trade.trade_id,
        "orderId": trade.order_id,
        "orderListId": -1,
        "price": fmt(trade.price),
        "qty": fmt(trade.qty),
        "quoteQty": fmt(trade.quote_qty),
        "commission": fmt(trade.commission),
        "commissionAsset": trade.commission_asset,
        "time": trade.time_ms,
        "isBuyer": trade.side == BUY,
        "isMaker": trade.is_maker,
        "isBestMatch": True,
    }


def _new_order_json(
    order: SpotOrder, market: MarketSpec, trades: list[Trade], kind: str, now: int
) -> dict[str, Any]:
    ack = {
        "symbol": market.exchange_id,
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "transactTime": now,
    }
    if kind == "ACK":
        return ack
    full = order_json(order, market)
    for key in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking"):
        del full[key]
    result = ack | full
    if kind == "FULL":
        result["fills"] = [
            {
                "price": fmt(t.price),
                "qty": fmt(t.qty),
                "commission": fmt(t.commission),
                "commissionAsset": t.commission_asset,
                "tradeId": t.trade_id,
            }
            for t in trades
        ]
    return result


# ---------------------------------------------------------------------------- handlers


def _order_shape(request: Request) -> tuple[str, str, Decimal | None, Decimal | None]:
    params = request.params
    side, kind = params.get("side"), params.get("type")
    if not side:
        raise _mandatory("side")
    if not kind:
        raise _mandatory("type")
    if side not in (BUY, SELL):
        raise _BadRequest(binance_error(-1117, "Invalid side."))
    if kind not in (MARKET, LIMIT):
        raise _BadRequest(binance_error(-1116, "Invalid orderType."))
    quantity, quote = _decimal(request, "quantity"), _decimal(request, "quoteOrderQty")
    if kind == LIMIT:
        for name in ("quantity", "price", "timeInForce"):
            if not params.get(name):
                raise _mandatory(name)
        if quote is not None:
            raise _not_required("quoteOrderQty")
        if params["timeInForce"] not in ("GTC", "IOC"):
            raise _BadRequest(binance_error(-1115, "Invalid timeInForce."))
    else:
        for name in ("price", "timeInForce"):
            if params.get(name):
                raise _not_required(name)
        if quantity is None and quote is None:
            raise _BadRequest(
                binance_error(
                    -1102,
                    "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
                )
            )
        if quantity is not None and quote is not None:
            raise _not_required("quoteOrderQty")
    return side, kind, quantity, quote


def new_order(request: Request, state: EmulatorState, account: Account) -> Response:
    """POST /api/v3/order: MARKET (quantity or quoteOrderQty) or LIMIT."""
    market = _market(request, state)
    assert market is not None  # noqa: S101 - required above
    side, kind, quantity, quote = _order_shape(request)
    price = _decimal(request, "price")
    response_type = request.params.get("newOrderRespType") or "FULL"
    if response_type not in RESPONSE_TYPES:
        raise _BadRequest(
            binance_error(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
        )
    with state.lock:
        client_order_id = request.params.get("newClientOrderId") or (
            f"emulator-{len(state.spot.orders) + 1}"
        )
        if not CLIENT_ORDER_ID.match(client_order_id):
            raise _BadRequest(
                binance_error(
                    -1100,
                    "Illegal characters found in parameter 'newClientOrderId'; legal range is "
                    "'^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.",
                )
            )
        now = state.now_ms()
        try:
            order, trades = state.spot.place(
                account,
                market,
                client_order_id=client_order_id,
                side=side,
                kind=kind,
                quantity=quantity,
                quote_qty=quote,
                price=price,
                time_in_force=request.params.get("timeInForce"),
                now_ms=now,
            )
        except OrderRejected as rejected:
            return binance_error(rejected.code, rejected.msg)
        return Response(_new_order_json(order, market, trades, response_type, now))


def _order_ids(request: Request) -> tuple[int | None, str | None]:
    order_id = _int(request, "orderId")
    client_order_id = request.params.get("origClientOrderId") or None
    if order_id is None and client_order_id is None:
        raise _BadRequest(
            binance_error(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        )
    return order_id, client_order_id


def query_order(request: Request, state: EmulatorState, account: Account) -> Response:
    """GET /api/v3/order by orderId or origClientOrderId (the newest when an id was reused)."""
    market = _market(request, state)
    assert market is not None  # noqa: S101 - required above
    order_id, client_order_id = _order_ids(request)
    with state.lock:
        order = state.spot.find(account.api_key, market.symbol, order_id, client_order_id)
        if order is None:
            return binance_error(-2013, "Order does not exist.")
        return Response(order_json(order, market))


def cancel_order(request: Request, state: EmulatorState, account: Account) -> Response:
    """DELETE /api/v3/order: cancel an open order (-2011 for any other)."""
    market = _market(request, state)
    assert market is not None  # noqa: S101 - required above
    order_id, client_order_id = _order_ids(request)
    with state.lock:
        order = next(
            (
                o
                for o in state.spot.open_orders(account.api_key, market.symbol)
                if (order_id is None or o.order_id == order_id)
                and (client_order_id is None or o.client_order_id == client_order_id)
            ),
            None,
        )
        if order is None:
            return binance_error(-2011, "Unknown order sent.")
        now = state.now_ms()
        state.spot.cancel(order, now)
        body = order_json(order, market)
        for key in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking", "workingTime"):
            del body[key]
        body["origClientOrderId"] = order.client_order_id
        body["clientOrderId"] = request.params.get("newClientOrderId") or (
            f"emulator-cancel-{order.order_id}"
        )
        body["transactTime"] = now
        return Response(body)


def open_orders(request: Request, state: EmulatorState, account: Account) -> Response:
    """GET /api/v3/openOrders (of one symbol, or of all)."""
    market = _market(request, state, required=False)
    with state.lock:
        orders = state.spot.open_orders(account.api_key, market.symbol if market else None)
        return Response([order_json(o, state.markets[o.symbol]) for o in orders])


def my_trades(request: Request, state: EmulatorState, account: Account) -> Response:
    """GET /api/v3/myTrades: symbol, orderId, fromId, startTime, endTime, limit."""
    market = _market(request, state)
    assert market is not None  # noqa: S101 - required above
    order_id, from_id = _int(request, "orderId"), _int(request, "fromId")
    start, end = _int(request, "startTime"), _int(request, "endTime")
    limit = _int(request, "limit") or MY_TRADES_DEFAULT_LIMIT
    if not 1 <= limit <= MY_TRADES_MAX_LIMIT:
        return binance_error(-1130, "Data sent for parameter 'limit' is not valid.")
    with state.lock:
        owned = {o.order_id for o in state.spot.orders if o.api_key == account.api_key}
        trades = [
            t
            for t in state.spot.trades
            if t.order_id in owned
            and t.symbol == market.symbol
            and (order_id is None or t.order_id == order_id)
            and (from_id is None or t.trade_id >= from_id)
            and (start is None or t.time_ms >= start)
            and (end is None or t.time_ms <= end)
        ]
    # Like Binance: from fromId (or startTime) forwards when given, else the newest `limit`.
    trades = trades[:limit] if from_id is not None or start is not None else trades[-limit:]
    return Response([trade_json(t, market) for t in trades])


def account_info(request: Request, state: EmulatorState, account: Account) -> Response:
    """GET /api/v3/account: commission rates and balances (free, locked) per asset."""
    omit_zero = request.params.get("omitZeroBalances", "").lower() == "true"
    with state.lock:
        rate = state.spot.fee_rate
        balances = [
            {
                "asset": a,
                "free": fmt(account.free.get(a, ZERO)),
                "locked": fmt(account.locked.get(a, ZERO)),
            }
            for a in account.assets()
            if not (omit_zero and account.total(a) == 0)
        ]
    bps = int(rate * 10_000)
    return Response(
        {
            "makerCommission": bps,
            "takerCommission": bps,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": fmt(rate),
                "taker": fmt(rate),
                "buyer": fmt(ZERO),
                "seller": fmt(ZERO),
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": state.now_ms(),
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": int(hashlib.sha256(account.api_key.encode()).hexdigest()[:8], 16),
        }
    )


PRIVATE_ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/api/v3/account"): _answers(account_info),
    ("POST", "/api/v3/order"): _answers(new_order),
    ("GET", "/api/v3/order"): _answers(query_order),
    ("DELETE", "/api/v3/order"): _answers(cancel_order),
    ("GET", "/api/v3/openOrders"): _answers(open_orders),
    ("GET", "/api/v3/myTrades"): _answers(my_trades),
}
