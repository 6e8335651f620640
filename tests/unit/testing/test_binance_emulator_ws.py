"""The Binance emulator's kline streams: subscriptions, events, REST agreement, drops."""

import json
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from aurumbotx.testing.emulator import BinanceEmulator

T = 1_704_067_200_000  # 2024-01-01 00:00 UTC
PAIR = "BTC/USDT"


@pytest.fixture
def emulator(binance_emulator: BinanceEmulator) -> BinanceEmulator:
    binance_emulator.add_market(PAIR)
    return binance_emulator


def ask(ws: ClientConnection, method: str, params: list[Any], request_id: int) -> Any:
    ws.send(json.dumps({"method": method, "params": params, "id": request_id}))
    return json.loads(ws.recv(timeout=5))


def test_subscribers_get_forming_and_closing_klines_that_rest_serves_too(
    emulator: BinanceEmulator,
) -> None:
    with connect(emulator.ws_url, open_timeout=5) as ws:
        assert ask(ws, "SUBSCRIBE", ["btcusdt@kline_1m"], 7) == {"result": None, "id": 7}
        assert emulator.ws_subscribers(PAIR, "1m") == 1
        assert emulator.push_kline(PAIR, "1m", [T, 1.5, 2.25, 1.0, 2.0, 10.0], closed=False) == 1
        forming = json.loads(ws.recv(timeout=5))
        assert emulator.push_kline(PAIR, "1m", [T, 1.5, 2.5, 1.0, 2.4, 12.0], closed=True) == 1
        final = json.loads(ws.recv(timeout=5))
        assert emulator.push_kline("ETH/USDT", "1m", [T, 1, 1, 1, 1, 1]) == 0  # not subscribed
        assert ask(ws, "LIST_SUBSCRIPTIONS", [], 8) == {"result": ["btcusdt@kline_1m"], "id": 8}
    assert forming["e"] == "kline"
    assert forming["s"] == "BTCUSDT"
    assert {k: forming["k"][k] for k in "tTsiohlcvx"} == {
        "t": T,
        "T": T + 59_999,
        "s": "BTCUSDT",
        "i": "1m",
        "o": "1.5",
        "h": "2.25",
        "l": "1",
        "c": "2",
        "v": "10",
        "x": False,
    }
    assert (final["k"]["x"], final["k"]["c"], final["k"]["h"]) == (True, "2.4", "2.5")
    rows = requests.get(
        f"{emulator.base_url}/api/v3/klines",
        params={"symbol": "BTCUSDT", "interval": "1m", "startTime": T},
        timeout=5,
    ).json()
    assert [r[:7] for r in rows] == [[T, "1.5", "2.5", "1", "2.4", "12", T + 59_999]]


def test_unsubscribe_and_bad_requests(emulator: BinanceEmulator) -> None:
    with connect(f"{emulator.ws_url}/0", open_timeout=5) as ws:
        ask(ws, "SUBSCRIBE", ["btcusdt@kline_1m"], 1)
        assert ask(ws, "UNSUBSCRIBE", ["btcusdt@kline_1m"], 2) == {"result": None, "id": 2}
        assert emulator.ws_subscribers(PAIR, "1m") == 0
        assert emulator.push_kline(PAIR, "1m", [T, 1, 1, 1, 1, 1]) == 0
        assert ask(ws, "NOPE", [], 3)["error"]["code"] == 2
        assert ask(ws, "SUBSCRIBE", [42], 4)["error"]["code"] == 2


def test_dropping_connections_cuts_every_socket(emulator: BinanceEmulator) -> None:
    with connect(emulator.ws_url, open_timeout=5) as ws:
        ask(ws, "SUBSCRIBE", ["btcusdt@kline_1m"], 1)
        assert emulator.drop_ws_connections() == 1
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert emulator.ws_subscribers(PAIR, "1m") == 0
    assert emulator.push_kline(PAIR, "1m", [T, 1, 1, 1, 1, 1]) == 0
    with connect(emulator.ws_url, open_timeout=5) as again:
        assert ask(again, "SUBSCRIBE", ["btcusdt@kline_1m"], 2) == {"result": None, "id": 2}
    assert [r.status for r in emulator.requests() if r.path == "/ws"] == [101, 101]


def test_a_plain_get_of_the_stream_path_is_not_a_websocket(emulator: BinanceEmulator) -> None:
    response = requests.get(f"{emulator.base_url}/ws", timeout=5)
    assert response.status_code == 404
    assert response.json()["code"] == -1
