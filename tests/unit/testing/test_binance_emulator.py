"""The Binance emulator: endpoints as Binance answers them, faults, the request log, ccxt."""

import json
import time
import urllib.error
import urllib.request
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
import requests

from aurumbotx.data.frames import frame_ms
from aurumbotx.execution.ccxt.markets import market_rules_from_ccxt
from aurumbotx.testing.candles import make_random_candles
from aurumbotx.testing.emulator import BinanceEmulator, Response, make_ccxt_binance

HOUR = 3_600_000


@pytest.fixture
def emulator(binance_emulator: BinanceEmulator) -> BinanceEmulator:
    binance_emulator.add_market("BTC/USDT", tick_size="0.01", step_size="0.00001", min_notional="5")
    binance_emulator.add_candles("BTC/USDT", "1h", make_random_candles(2500, "1h", "2024-01-01"))
    return binance_emulator


def get(emulator: BinanceEmulator, path: str, **params: Any) -> tuple[int, Any, dict[str, str]]:
    response = requests.get(f"{emulator.base_url}{path}", params=params, timeout=5)
    return response.status_code, response.json(), dict(response.headers)


def test_ping_time_and_exchange_info(emulator: BinanceEmulator) -> None:
    assert get(emulator, "/api/v3/ping")[:2] == (200, {})
    status, body, _ = get(emulator, "/api/v3/time")
    assert status == 200
    assert abs(body["serverTime"] - time.time() * 1000) < 5000
    status, info, _ = get(emulator, "/api/v3/exchangeInfo")
    (symbol,) = info["symbols"]
    assert symbol["symbol"] == "BTCUSDT"
    assert symbol["status"] == "TRADING"
    assert symbol["permissionSets"] == [["SPOT"]]
    filters = {f["filterType"]: f for f in symbol["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001"
    assert filters["NOTIONAL"]["minNotional"] == "5"
    assert get(emulator, "/api/v3/exchangeInfo", symbol="NOPE")[:2] == (
        400,
        {"code": -1121, "msg": "Invalid symbol."},
    )


def test_klines_like_binance(emulator: BinanceEmulator) -> None:
    t0 = 1_704_067_200_000
    status, rows, _ = get(
        emulator, "/api/v3/klines", symbol="BTCUSDT", interval="1h", startTime=t0 + 5 * HOUR
    )
    assert status == 200
    assert len(rows) == 500  # Binance's default limit
    assert rows[0][0] == t0 + 5 * HOUR
    assert rows[0][6] == t0 + 6 * HOUR - 1  # close time
    assert len(rows[0]) == 12
    assert isinstance(rows[0][1], str)
    _, window, _ = get(
        emulator,
        "/api/v3/klines",
        symbol="BTCUSDT",
        interval="1h",
        startTime=t0,
        endTime=t0 + 3 * HOUR,
        limit=1000,
    )
    assert [r[0] for r in window] == [t0, t0 + HOUR, t0 + 2 * HOUR, t0 + 3 * HOUR]  # inclusive
    _, newest, _ = get(emulator, "/api/v3/klines", symbol="BTCUSDT", interval="1h", limit=2)
    assert newest[-1][0] == t0 + 2499 * HOUR
    errors = [
        get(emulator, "/api/v3/klines", symbol="BTCUSDT", interval="1h", limit=1001)[1]["code"],
        get(emulator, "/api/v3/klines", symbol="ETHUSDT", interval="1h")[1]["code"],
        get(emulator, "/api/v3/klines", symbol="BTCUSDT", interval="7x")[1]["code"],
        get(emulator, "/api/v3/klines", symbol="BTCUSDT")[1]["code"],
    ]
    assert errors == [-1130, -1121, -1120, -1102]
    assert get(emulator, "/api/v3/klines", symbol="BTCUSDT", interval="5m")[:2] == (200, [])


def test_rate_limit_fault_with_retry_after_only_on_its_path(emulator: BinanceEmulator) -> None:
    emulator.rate_limit_next(2, retry_after=3, path="/api/v3/klines")
    assert get(emulator, "/api/v3/ping")[0] == 200
    for _ in range(2):
        status, body, headers = get(emulator, "/api/v3/klines", symbol="BTCUSDT", interval="1h")
        assert status == 429
        assert headers["Retry-After"] == "3"
        assert body["code"] == -1003
    assert get(emulator, "/api/v3/klines", symbol="BTCUSDT", interval="1h")[0] == 200
    log = [(r.path, r.status) for r in emulator.requests()]
    assert log == [
        ("/api/v3/ping", 200),
        ("/api/v3/klines", 429),
        ("/api/v3/klines", 429),
        ("/api/v3/klines", 200),
    ]
    assert emulator.requests("/api/v3/klines")[0].params == {"symbol": "BTCUSDT", "interval": "1h"}


def test_outage_after_n_requests_418_and_clear(emulator: BinanceEmulator) -> None:
    emulator.fail_after(2, status=503)
    assert [get(emulator, "/api/v3/ping")[0] for _ in range(4)] == [200, 200, 503, 503]
    emulator.clear_faults()
    emulator.fail_next(1, status=418, retry_after=60)
    status, body, headers = get(emulator, "/api/v3/time")
    assert (status, body["code"], headers["Retry-After"]) == (418, -1003, "60")
    assert get(emulator, "/api/v3/time")[0] == 200


def test_dropped_connection_and_delay(emulator: BinanceEmulator) -> None:
    emulator.drop_next(1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emulator.base_url}/api/v3/ping", timeout=5)
    assert emulator.requests()[-1].status is None
    emulator.delay_next(1, seconds=0.5)
    with pytest.raises(requests.Timeout):
        requests.get(f"{emulator.base_url}/api/v3/ping", timeout=0.1)
    started = time.perf_counter()
    emulator.delay_next(1, seconds=0.2)
    assert get(emulator, "/api/v3/ping")[0] == 200
    assert time.perf_counter() - started >= 0.2


def test_unknown_routes_and_added_routes(emulator: BinanceEmulator) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{emulator.base_url}/api/v3/allOrderList", timeout=5)  # noqa: S310
    assert caught.value.code == 404
    emulator.add_route("GET", "/api/v3/allOrderList", lambda req, state: Response([]))
    with urllib.request.urlopen(f"{emulator.base_url}/api/v3/allOrderList", timeout=5) as reply:  # noqa: S310
        assert json.loads(reply.read()) == []


def test_real_ccxt_against_the_emulator(emulator: BinanceEmulator) -> None:
    exchange = make_ccxt_binance(emulator.base_url, enableRateLimit=False)
    markets = exchange.load_markets()
    assert list(markets) == ["BTC/USDT"]
    rules = market_rules_from_ccxt(markets["BTC/USDT"])
    assert (rules.price_tick, rules.amount_step, rules.min_amount, rules.min_notional) == (
        Decimal("0.01"),
        Decimal("0.00001"),
        Decimal("0.00001"),
        Decimal("5"),
    )
    frame = make_random_candles(2500, "1h", "2024-01-01")
    rows = exchange.fetch_ohlcv("BTC/USDT", "1h", since=int(frame_ms(frame)[10]), limit=1000)
    assert len(rows) == 1000
    got = np.array(rows, dtype=np.float64)
    np.testing.assert_array_equal(got[:, 0], frame_ms(frame)[10:1010])
    np.testing.assert_array_equal(got[:, 4], frame["close"].to_numpy()[10:1010])  # exact
    assert {r.path for r in emulator.requests()} == {"/api/v3/exchangeInfo", "/api/v3/klines"}
