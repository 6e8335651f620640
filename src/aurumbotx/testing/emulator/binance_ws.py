"""Binance's raw market streams over a websocket, served by the emulator's own HTTP server.

A GET to ``/ws`` or ``/ws/<anything>`` carrying ``Upgrade: websocket`` turns into a websocket
in the request's server thread: the handshake and the framing are the `websockets` library's
sans-I/O protocol, the socket is the HTTP server's, so REST and streams share one port (one
base URL, as ccxt.pro expects of an exchange). Clients subscribe the way Binance's raw streams
do, ``{"method": "SUBSCRIBE", "params": ["btcusdt@kline_1m"], "id": 1}`` answered with
``{"result": null, "id": 1}``; tests publish kline events to a stream's subscribers and can cut
every connection at once (a network drop) to exercise reconnection.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from aurumbotx.testing.emulator.binance_public import decimal_text

WS_PATH = "/ws"
_READ_SIZE = 65536


def kline_stream(symbol_id: str, interval: str) -> str:
    """Binance's stream name of a market's klines, e.g. btcusdt@kline_1m."""
    return f"{symbol_id.lower()}@kline_{interval}"


def kline_event(
    symbol_id: str, interval: str, step_ms: int, row: Sequence[float], closed: bool, now_ms: int
) -> dict[str, Any]:
    """A kline event as Binance pushes it (`row`: [open time ms, o, h, l, c, v])."""
    ts = int(row[0])
    open_, high, low, close, volume = (float(v) for v in row[1:6])
    return {
        "e": "kline",
        "E": now_ms,
        "s": symbol_id,
        "k": {
            "t": ts,
            "T": ts + step_ms - 1,
            "s": symbol_id,
            "i": interval,
            "f": -1,
            "L": -1,
            "o": decimal_text(open_),
            "c": decimal_text(close),
            "h": decimal_text(high),
            "l": decimal_text(low),
            "v": decimal_text(volume),
            "n": 0,
            "x": closed,
            "q": decimal_text(close * volume),
            "V": "0",
            "Q": "0",
            "B": "0",
        },
    }


def is_upgrade(handler: BaseHTTPRequestHandler) -> bool:
    """True for a websocket upgrade request to the stream endpoint."""
    path = handler.path.split("?", 1)[0]
    wants_ws = (handler.headers.get("Upgrade") or "").lower() == "websocket"
    return wants_ws and (path == WS_PATH or path.startswith(WS_PATH + "/"))


class _Connection:
    """One client socket: its protocol state (under a lock: two threads use it) and streams."""

    def __init__(self, sock: socket.socket, protocol: ServerProtocol) -> None:
        self.sock = sock
        self.protocol = protocol
        self.lock = threading.Lock()
        self.streams: set[str] = set()
        self.fragments: list[bytes] = []

    def flush(self) -> None:
        """Write what the protocol has queued (answers, pongs, close frames, end of stream)."""
        with self.lock:
            chunks = self.protocol.data_to_send()
            with contextlib.suppress(OSError):
                for chunk in chunks:
                    if chunk:
                        self.sock.sendall(chunk)
                    else:  # the protocol's signal that the closing handshake is done
                        self.sock.shutdown(socket.SHUT_WR)

    def send_json(self, payload: Any) -> bool:
        """Send one text message; False when the connection is no longer open."""
        text = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        with self.lock:
            if self.protocol.state is not State.OPEN:
                return False
            self.protocol.send_text(text)
        self.flush()
        return True

    def abort(self) -> None:
        """Cut the TCP connection without a closing handshake (a network drop)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)


class StreamHub:
    """The emulator's websocket connections and the streams each one subscribed to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Run one websocket in the request's thread until the client or a drop ends it."""
        handler.close_connection = True
        protocol = ServerProtocol()
        # The HTTP server has parsed the request already; the protocol parses it again (it
        # must see the handshake before it reads frames), from the same line and headers.
        head = "".join(f"{name}: {value}\r\n" for name, value in handler.headers.items())
        protocol.receive_data(f"GET {handler.path} HTTP/1.1\r\n{head}\r\n".encode("latin-1"))
        request = next((e for e in protocol.events_received() if isinstance(e, Request)), None)
        if request is None:
            return
        protocol.send_response(protocol.accept(request))
        connection = _Connection(handler.connection, protocol)
        connection.flush()
        if protocol.state is not State.OPEN:
            return  # refused handshake: the 4xx answer has been sent
        with self._lock:
            self._connections.append(connection)
        try:
            self._read_loop(handler, connection)
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)

    def _read_loop(self, handler: BaseHTTPRequestHandler, connection: _Connection) -> None:
        # read1 drains what the HTTP parser buffered before touching the socket again.
        reader: Any = handler.rfile
        while True:
            try:
                data = reader.read1(_READ_SIZE)
            except (OSError, ValueError):
                data = b""
            with connection.lock:
                if data:
                    connection.protocol.receive_data(data)
                else:
                    connection.protocol.receive_eof()
                events = connection.protocol.events_received()
            for event in events:
                if isinstance(event, Frame):
                    self._on_frame(connection, event)
            connection.flush()
            if not data or connection.protocol.state is State.CLOSED:
                return

    def _on_frame(self, connection: _Connection, frame: Frame) -> None:
        if frame.opcode not in (Opcode.TEXT, Opcode.CONT):
            return  # pings are answered by the protocol; binary frames mean nothing here
        connection.fragments.append(bytes(frame.data))
        if not frame.fin:
            return
        text = b"".join(connection.fragments)
        connection.fragments.clear()
        try:
            message = json.loads(text)
        except ValueError:
            connection.send_json({"error": {"code": 3, "msg": "Invalid JSON"}, "id": None})
            return
        connection.send_json(self._answer(connection, message))

    def _answer(self, connection: _Connection, message: Any) -> dict[str, Any]:
        request_id = message.get("id") if isinstance(message, dict) else None
        method = message.get("method") if isinstance(message, dict) else None
        params = message.get("params", []) if isinstance(message, dict) else []
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            return {"error": {"code": 2, "msg": "Invalid request: params"}, "id": request_id}
        with self._lock:
            if method == "SUBSCRIBE":
                connection.streams.update(params)
            elif method == "UNSUBSCRIBE":
                connection.streams.difference_update(params)
            elif method == "LIST_SUBSCRIPTIONS":
                return {"result": sorted(connection.streams), "id": request_id}
            else:
                return {"error": {"code": 2, "msg": f"Invalid request: {method}"}, "id": request_id}
        return {"result": None, "id": request_id}

    def publish(self, stream: str, payload: dict[str, Any]) -> int:
        """Send `payload` to every subscriber of `stream`; how many it reached."""
        with self._lock:
            targets = [c for c in self._connections if stream in c.streams]
        return sum(1 for c in targets if c.send_json(payload))

    def subscribers(self, stream: str) -> int:
        """Open connections subscribed to `stream`."""
        with self._lock:
            return sum(1 for c in self._connections if stream in c.streams)

    def connections(self) -> int:
        """Open websocket connections."""
        with self._lock:
            return len(self._connections)

    def drop_all(self) -> int:
        """Cut every connection (no close frame: the client sees a network drop)."""
        with self._lock:
            dropped = list(self._connections)
            self._connections.clear()
        for connection in dropped:
            connection.abort()
        return len(dropped)
