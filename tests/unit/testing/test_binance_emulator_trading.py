"""The emulator's signed endpoints as Binance answers them: signing, orders, fills, faults."""

import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from aurumbotx.testing.emulator import BinanceEmulator, sign

D = Decimal
KEY, SECRET = "key-alice", "secret-alice"
ORDER = "/api/v3/order"


@pytest.fixture
def emulator(binance_emulator: BinanceEmulator) -> BinanceEmulator:
    binance_emulator.add_market("BTC/USDT", tick_size="0.01", step_size="0.00001", min_notional="5")
    binance_emulator.add_account(KEY, SECRET, {"USDT": "10000"})
    binance_emulator.set_price("BTC/USDT", "40000")
    return binance_emulator


def call(
    emulator: BinanceEmulator,
    method: str,
    path: str,
    *,
    key: str | None = KEY,
    secret: str = SECRET,
    **params: Any,
) -> tuple[int, Any]:
    """A signed request as ccxt sends it: query (GET/DELETE) or form body (POST)."""
    params.setdefault("timestamp", int(time.time() * 1000))
    query = urlencode(params)
    query += "&signature=" + sign(secret, query)
    headers = {"X-MBX-APIKEY": key} if key is not None else {}
    url = f"{emulator.base_url}{path}"
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = requests.post(url, data=query, headers=headers, timeout=5)
    else:
        response = requests.request(method, f"{url}?{query}", headers=headers, timeout=5)
    return response.status_code, response.json()


def market(emulator: BinanceEmulator, side: str = "BUY", **params: Any) -> tuple[int, Any]:
    return call(emulator, "POST", ORDER, symbol="BTCUSDT", side=side, type="MARKET", **params)


def limit(emulator: BinanceEmulator, side: str, qty: str, price: str, **params: Any) -> Any:
    return call(
        emulator,
        "POST",
        ORDER,
        symbol="BTCUSDT",
        side=side,
        type="LIMIT",
        quantity=qty,
        price=price,
        timeInForce="GTC",
        **params,
    )


def test_every_signed_request_is_checked(emulator: BinanceEmulator) -> None:
    now = int(time.time() * 1000)
    assert call(emulator, "GET", "/api/v3/account", key=None) == (
        401,
        {"code": -2014, "msg": "API-key format invalid."},
    )
    assert call(emulator, "GET", "/api/v3/account", key="key-nobody") == (
        401,
        {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
    )
    assert call(emulator, "GET", "/api/v3/account", secret="wrong") == (
        400,
        {"code": -1022, "msg": "Signature for this request is not valid."},
    )
    stale = call(emulator, "GET", "/api/v3/account", timestamp=now - 6000)
    assert stale == (
        400,
        {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
    )
    assert (
        call(emulator, "GET", "/api/v3/account", timestamp=now - 6000, recvWindow=10000)[0] == 200
    )
    ahead = call(emulator, "GET", "/api/v3/account", timestamp=now + 5000)
    assert ahead[1]["code"] == -1021
    assert "ahead of the server's time" in ahead[1]["msg"]
    tampered = f"timestamp={now}&recvWindow=5000"
    signature = sign(SECRET, tampered)
    response = requests.get(
        f"{emulator.base_url}/api/v3/account?timestamp={now}&recvWindow=60000&signature={signature}",
        headers={"X-MBX-APIKEY": KEY},
        timeout=5,
    )
    assert response.json()["code"] == -1022  # a parameter changed after signing
    status, account = call(emulator, "GET", "/api/v3/account")
    assert status == 200
    assert account["balances"] == [
        {"asset": "USDT", "free": "10000.00000000", "locked": "0.00000000"}
    ]
    assert account["commissionRates"]["taker"] == "0.00100000"
    assert account["takerCommission"] == 10


def test_market_order_answers_full_result_and_ack(emulator: BinanceEmulator) -> None:
    status, full = market(emulator, quantity="0.01", newClientOrderId="abx-1")
    assert status == 200
    assert (full["clientOrderId"], full["status"], full["type"], full["side"]) == (
        "abx-1",
        "FILLED",
        "MARKET",
        "BUY",
    )
    assert (full["executedQty"], full["cummulativeQuoteQty"]) == ("0.01000000", "400.00000000")
    assert full["fills"] == [
        {
            "price": "40000.00000000",
            "qty": "0.01000000",
            "commission": "0.40000000",
            "commissionAsset": "USDT",
            "tradeId": 1,
        }
    ]
    assert emulator.balances(KEY) == {"BTC": (D("0.01"), D(0)), "USDT": (D("9599.6"), D(0))}
    _, result = market(emulator, side="SELL", quantity="0.005", newOrderRespType="RESULT")
    assert result["status"] == "FILLED"
    assert "fills" not in result
    assert result["clientOrderId"] == "emulator-2"  # generated when none is sent
    _, ack = market(emulator, quoteOrderQty="100", newOrderRespType="ACK")
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    (_, _, third) = emulator.orders(KEY)
    assert (third.quantity, third.executed_qty, third.quote_qty) == (
        D("0.0025"),
        D("0.0025"),
        D(100),
    )


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        ({"type": "MARKET", "quantity": "0.000015"}, -1013, "Filter failure: LOT_SIZE"),
        ({"type": "MARKET", "quantity": "0.0001"}, -1013, "Filter failure: NOTIONAL"),
        ({"type": "MARKET", "quantity": "1"}, -2010, "Account has insufficient balance for "
         "requested action."),
        ({"type": "LIMIT", "quantity": "0.01", "price": "40000.005", "timeInForce": "GTC"}, -1013,
         "Filter failure: PRICE_FILTER"),
        ({"type": "LIMIT", "quantity": "0.01", "timeInForce": "GTC"}, -1102,
         "Mandatory parameter 'price' was not sent, was empty/null, or malformed."),
        ({"type": "MARKET", "quantity": "0.01", "quoteOrderQty": "100"}, -1106,
         "Parameter 'quoteOrderQty' sent when not required."),
        ({"type": "MARKET"}, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both "
         "were empty/null!"),
        ({"type": "STOP_LOSS", "quantity": "0.01"}, -1116, "Invalid orderType."),
        ({"type": "MARKET", "quantity": "0.01", "newClientOrderId": "x" * 37}, -1100,
         "Illegal characters found in parameter 'newClientOrderId'; legal range is "
         "'^[\\.A-Z\\:/a-z0-9_-]{1,36}$'."),
        ({"type": "MARKET", "quantity": "-1"}, -1100,
         "Illegal characters found in parameter 'quantity'."),
    ],
    ids=["step", "notional", "balance", "tick", "no-price", "both-sizes", "no-size", "type",
         "client-id", "negative"],
)  # fmt: skip
def test_orders_breaking_the_rules_are_refused(
    emulator: BinanceEmulator, params: dict[str, str], code: int, msg: str
) -> None:
    status, body = call(emulator, "POST", ORDER, symbol="BTCUSDT", side="BUY", **params)
    assert (status, body) == (400, {"code": code, "msg": msg})
    assert emulator.orders() == []
    assert emulator.balances(KEY) == {"USDT": (D(10000), D(0))}


def test_unknown_symbol_and_missing_price(emulator: BinanceEmulator) -> None:
    assert call(emulator, "POST", ORDER, symbol="DOGEUSDT", side="BUY", type="MARKET")[1] == {
        "code": -1121,
        "msg": "Invalid symbol.",
    }
    emulator.add_market("ETH/USDT")
    status, body = call(
        emulator, "POST", ORDER, symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1"
    )
    assert (status, body["code"]) == (400, -2010)
    assert "No price for ETHUSDT" in body["msg"]


def test_client_order_id_is_unique_among_open_orders_only(emulator: BinanceEmulator) -> None:
    assert limit(emulator, "BUY", "0.01", "39000", newClientOrderId="abx-dup")[0] == 200
    assert limit(emulator, "BUY", "0.01", "38000", newClientOrderId="abx-dup") == (
        400,
        {"code": -2010, "msg": "Duplicate order sent."},
    )
    cancel = call(emulator, "DELETE", ORDER, symbol="BTCUSDT", origClientOrderId="abx-dup")
    assert cancel[0] == 200
    assert (cancel[1]["status"], cancel[1]["origClientOrderId"]) == ("CANCELED", "abx-dup")
    assert call(emulator, "DELETE", ORDER, symbol="BTCUSDT", origClientOrderId="abx-dup") == (
        400,
        {"code": -2011, "msg": "Unknown order sent."},
    )
    # A cancelled or filled order's id may be sent again: Binance creates a second order.
    assert market(emulator, quantity="0.01", newClientOrderId="abx-dup")[0] == 200
    assert market(emulator, quantity="0.01", newClientOrderId="abx-dup")[0] == 200
    assert [o.status for o in emulator.orders()] == ["CANCELED", "FILLED", "FILLED"]
    _, newest = call(emulator, "GET", ORDER, symbol="BTCUSDT", origClientOrderId="abx-dup")
    assert newest["orderId"] == 3
    assert call(emulator, "GET", ORDER, symbol="BTCUSDT", origClientOrderId="abx-none") == (
        400,
        {"code": -2013, "msg": "Order does not exist."},
    )


def test_limit_orders_lock_rest_and_fill_partially_on_ticks(emulator: BinanceEmulator) -> None:
    emulator.partial_fill_next("0.25")
    _, placed = limit(emulator, "BUY", "0.1", "39000", newClientOrderId="abx-limit")
    assert placed["status"] == "NEW"
    assert placed["fills"] == []
    assert emulator.balances(KEY)["USDT"] == (D("6096.1"), D("3903.9"))  # 3900 + 0.1 % fee
    assert emulator.set_price("BTC/USDT", "39500") == []  # not crossed yet
    (first,) = emulator.set_price("BTC/USDT", "38999.99")
    assert (first.qty, first.price, first.is_maker) == (D("0.025"), D(39000), True)
    _, order = call(emulator, "GET", ORDER, symbol="BTCUSDT", orderId=placed["orderId"])
    assert (order["status"], order["executedQty"]) == ("PARTIALLY_FILLED", "0.02500000")
    _, opened = call(emulator, "GET", "/api/v3/openOrders", symbol="BTCUSDT")
    assert [o["clientOrderId"] for o in opened] == ["abx-limit"]
    (second,) = emulator.set_price("BTC/USDT", "38000")
    assert (second.qty, second.price) == (D("0.075"), D(39000))
    assert emulator.balances(KEY) == {"BTC": (D("0.1"), D(0)), "USDT": (D("6096.1"), D(0))}
    _, trades = call(
        emulator, "GET", "/api/v3/myTrades", symbol="BTCUSDT", orderId=order["orderId"]
    )
    assert [(t["id"], t["qty"], t["commission"], t["isBuyer"]) for t in trades] == [
        (1, "0.02500000", "0.97500000", True),
        (2, "0.07500000", "2.92500000", True),
    ]
    _, newest = call(emulator, "GET", "/api/v3/myTrades", symbol="BTCUSDT", limit=1)
    assert [t["id"] for t in newest] == [2]
    _, from_first = call(emulator, "GET", "/api/v3/myTrades", symbol="BTCUSDT", fromId=1, limit=1)
    assert [t["id"] for t in from_first] == [1]
    assert call(emulator, "GET", "/api/v3/openOrders")[1] == []


def test_a_limit_that_crosses_on_arrival_fills_at_the_market_price(
    emulator: BinanceEmulator,
) -> None:
    _, taker = limit(emulator, "BUY", "0.01", "41000")
    assert (taker["status"], taker["fills"][0]["price"]) == ("FILLED", "40000.00000000")
    _, ioc = call(emulator, "POST", ORDER, symbol="BTCUSDT", side="BUY", type="LIMIT",
                  quantity="0.01", price="39000", timeInForce="IOC")  # fmt: skip
    assert ioc["status"] == "EXPIRED"
    assert emulator.balances(KEY)["USDT"] == (D("9599.6"), D(0))


def test_price_script_prices_each_distinct_order_once(emulator: BinanceEmulator) -> None:
    emulator.set_price("BTC/USDT", "99")
    emulator.set_price_script("BTC/USDT", ["100", "101", "102"])
    emulator.add_account("key-bob", "secret-bob", {"BTC": "1"})
    _, resting = limit(emulator, "SELL", "0.5", "101.5", key="key-bob", secret="secret-bob")
    assert resting["status"] == "NEW"

    def fill_price(cid: str) -> str:
        _, answer = market(emulator, quantity="1", newClientOrderId=cid)
        return str(answer["fills"][0]["price"])

    assert fill_price("a") == "100.00000000"
    assert fill_price("b") == "101.00000000"
    assert fill_price("a") == "100.00000000"  # the same order sent again: the same price
    assert fill_price("c") == "102.00000000"
    assert fill_price("d") == "102.00000000"  # script exhausted: the last price stays
    (bob,) = emulator.orders("key-bob")
    assert (bob.status, bob.trades[0].price) == ("FILLED", D("101.5"))  # crossed by c's tick


@pytest.mark.parametrize(
    ("asset", "bnb", "buy_fee", "sell_fee"),
    [
        ("received", "0", ("0.00001000", "BTC"), ("0.20000000", "USDT")),
        ("BNB", "1", ("0.00080000", "BNB"), ("0.00040000", "BNB")),
        ("BNB", "0", ("0.00001000", "BTC"), ("0.20000000", "USDT")),  # no BNB left: fallback
    ],
    ids=["received", "bnb", "bnb-fallback"],
)
def test_fee_assets(
    emulator: BinanceEmulator,
    asset: str,
    bnb: str,
    buy_fee: tuple[str, str],
    sell_fee: tuple[str, str],
) -> None:
    emulator.add_account(KEY, SECRET, {"USDT": "10000", "BNB": bnb})
    emulator.set_price("BNB/USDT", "500")
    emulator.set_fees("0.001", asset=asset)
    _, bought = market(emulator, quantity="0.01")
    fill = bought["fills"][0]
    assert (fill["commission"], fill["commissionAsset"]) == buy_fee
    _, sold = market(emulator, side="SELL", quantity="0.005")
    fill = sold["fills"][0]
    assert (fill["commission"], fill["commissionAsset"]) == sell_fee


def test_faults_before_and_after_processing(emulator: BinanceEmulator) -> None:
    emulator.drop_next(path=ORDER, method="POST", after_processing=True)
    assert call(emulator, "GET", ORDER, symbol="BTCUSDT", orderId=1)[1]["code"] == -2013
    with pytest.raises(requests.ConnectionError):
        market(emulator, quantity="0.01", newClientOrderId="abx-lost")
    (accepted,) = emulator.orders()  # the order exists though the client got no answer
    assert accepted.client_order_id == "abx-lost"
    (dropped,) = [r for r in emulator.requests(ORDER) if r.method == "POST"]
    assert (dropped.status, dropped.handled_status) == (None, 200)

    emulator.fail_next(status=503, path=ORDER, method="POST", after_processing=True)
    status, body = market(emulator, quantity="0.01")
    assert (status, body["code"]) == (503, -1001)
    assert len(emulator.orders()) == 2

    # Held up before processing for longer than its recvWindow: refused, never executed late.
    emulator.delay_next(seconds=0.3, path=ORDER, method="POST")
    status, body = market(emulator, quantity="0.01", recvWindow=200)
    assert (status, body["code"]) == (400, -1021)
    assert len(emulator.orders()) == 2

    emulator.reject_next(code=-1013, msg="Filter failure: PERCENT_PRICE_BY_SIDE")
    assert market(emulator, quantity="0.01") == (
        400,
        {"code": -1013, "msg": "Filter failure: PERCENT_PRICE_BY_SIDE"},
    )
    assert market(emulator, quantity="0.01")[0] == 200


def test_accounts_are_isolated(emulator: BinanceEmulator) -> None:
    emulator.add_account("key-bob", "secret-bob", {"USDT": "50"})
    _, mine = limit(emulator, "BUY", "0.01", "39000")
    bob = {"key": "key-bob", "secret": "secret-bob"}
    assert (
        call(emulator, "GET", ORDER, symbol="BTCUSDT", orderId=mine["orderId"], **bob)[1]["code"]
        == -2013
    )
    assert call(emulator, "GET", "/api/v3/openOrders", **bob)[1] == []
    assert call(emulator, "GET", "/api/v3/myTrades", symbol="BTCUSDT", **bob)[1] == []
    _, account = call(emulator, "GET", "/api/v3/account", **bob)
    assert account["balances"] == [{"asset": "USDT", "free": "50.00000000", "locked": "0.00000000"}]


def test_tickers_follow_the_price(emulator: BinanceEmulator) -> None:
    url = f"{emulator.base_url}/api/v3/ticker"
    price = requests.get(f"{url}/price", params={"symbol": "BTCUSDT"}, timeout=5).json()
    assert price == {"symbol": "BTCUSDT", "price": "40000.00000000"}
    emulator.set_price("BTC/USDT", "41234.5")
    day = requests.get(f"{url}/24hr", params={"symbol": "BTCUSDT"}, timeout=5).json()
    assert (day["lastPrice"], day["bidPrice"], day["askPrice"]) == ("41234.50000000",) * 3
    assert requests.get(f"{url}/price", timeout=5).json() == [
        {"symbol": "BTCUSDT", "price": "41234.50000000"}
    ]
    missing = requests.get(f"{url}/price", params={"symbol": "ETHUSDT"}, timeout=5)
    assert (missing.status_code, missing.json()["code"]) == (400, -1121)
