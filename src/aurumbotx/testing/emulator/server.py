"""A Binance-compatible HTTP and websocket server on 127.0.0.1 for tests: real sockets, ccxt.

`BinanceEmulator` runs a `ThreadingHTTPServer` on a free port in a background thread
(``with BinanceEmulator() as emu: emu.base_url``). Requests are dispatched through a route
table ``(method, path) -> handler(request, state)``: the public market-data routes and the
signed account/order routes are installed by default; `add_route` adds or replaces one.
Binance's kline streams are served on the same port (``ws://127.0.0.1:PORT/ws``, see
`binance_ws`): `push_kline` publishes a forming or closing candle to its subscribers (and the
klines endpoint serves it too), `drop_ws_connections` cuts every socket.

Trading: accounts (API key, secret, balances; several per emulator), prices set at runtime or
scripted per distinct market order, order faults (partial fills, forced rejections); the rules
are in `spot`, the signature checks in `signing`. State lives as long as the emulator, so a bot
process may be killed and restarted against it.

Fault injection, at runtime, for the next N matching requests (optionally one path and method
only, after letting some through, or for ever): an error status (429 and 418 with Retry-After
and Binance's ``{"code": -1003}`` body, 5xx), a delay (a client timeout), or a dropped
connection, each either BEFORE the request is processed or AFTER it (the order exists, the
answer is lost). Every request is recorded (method, path, parameters, time, answered status,
the endpoint's own status) for assertions.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Sequence
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from aurumbotx.data.frames import CandleArrays
from aurumbotx.data.readers import load_candles
from aurumbotx.domain.candles import Candle
from aurumbotx.domain.timeframes import timeframe_to_ms
from aurumbotx.domain.values import Pair
from aurumbotx.testing.emulator.binance_private import PRIVATE_ROUTES
from aurumbotx.testing.emulator.binance_public import PUBLIC_ROUTES
from aurumbotx.testing.emulator.binance_ws import StreamHub, is_upgrade, kline_event, kline_stream
from aurumbotx.testing.emulator.messages import Handler, Request, Response, binance_error
from aurumbotx.testing.emulator.spot import (
    INSUFFICIENT_BALANCE,
    PARTIAL,
    REJECT,
    Account,
    OrderFault,
    SpotOrder,
    Trade,
)
from aurumbotx.testing.emulator.state import (
    DELAY,
    DROP,
    STATUS,
    EmulatorState,
    Fault,
    MarketSpec,
    RecordedRequest,
)

_RATE_LIMIT_MSG = {
    429: "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. "
    "Please use the websocket for live updates to avoid polling the API.",
    418: "Way too many requests; IP(127.0.0.1) banned. "
    "Please use the websocket for live updates to avoid bans.",
}
_SERVER_ERROR = {
    "code": -1001,
    "msg": "Internal error; unable to process your request. Please try again.",
}


def _fault_response(fault: Fault) -> Response:
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = f"{fault.retry_after:g}"
    if fault.body is not None:
        body = fault.body
    elif fault.status in _RATE_LIMIT_MSG:
        body = {"code": -1003, "msg": _RATE_LIMIT_MSG[fault.status]}
    elif fault.status >= 500:
        body = _SERVER_ERROR
    else:
        body = {"code": -1000, "msg": "An unknown error occurred while processing the request."}
    return Response(body, status=fault.status, headers=headers)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers at shutdown

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line."""

    def do_GET(self) -> None:
        """Dispatch a GET, or serve a websocket for an upgrade to the stream endpoint."""
        if is_upgrade(self):
            record = self.server.emulator.state.record("GET", urlsplit(self.path).path, {})
            record.status = record.handled_status = 101
            self.server.emulator.streams.serve(self)
            return
        self._dispatch("GET")

    def do_POST(self) -> None:
        """Dispatch a POST."""
        self._dispatch("POST")

    def do_PUT(self) -> None:
        """Dispatch a PUT."""
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        """Dispatch a DELETE."""
        self._dispatch("DELETE")

    def _read_request(self, method: str) -> Request:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if body and "form-urlencoded" in (self.headers.get("Content-Type") or ""):
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        headers = dict(self.headers.items())
        return Request(method, url.path, params, headers, body, url.query)

    def _dispatch(self, method: str) -> None:
        emulator = self.server.emulator
        request = self._read_request(method)
        record = emulator.state.record(method, request.path, request.params)
        fault = emulator.state.take_fault(request.path, method)
        before = fault if fault is not None and not fault.after else None
        after = fault if fault is not None and fault.after else None
        if before is not None and not self._survive(before):
            return
        if before is not None and before.action == STATUS:
            response = _fault_response(before)
        else:
            response = emulator.handle(request)
            record.handled_status = response.status
        if after is not None:
            if not self._survive(after):
                return
            if after.action == STATUS:
                response = _fault_response(after)
        record.status = response.status
        self._send(response)

    def _survive(self, fault: Fault) -> bool:
        """Apply a drop or a delay; False when the connection was dropped."""
        if fault.action == DROP:
            self._drop()
            return False
        if fault.action == DELAY and self.server.emulator.stopping.wait(fault.seconds):
            self._drop()  # shutting down mid-delay: hang up rather than hold the server
            return False
        return True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: Response) -> None:
        payload = json.dumps(response.body, separators=(",", ":")).encode("utf-8")
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, emulator: BinanceEmulator, host: str, port: int) -> None:
        super().__init__((host, port), _Handler)
        self.emulator = emulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hung up (timeouts, dropped connections); report the rest."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class BinanceEmulator:
    """A local Binance spot REST server with markets, candles, faults and a request log."""

    def __init__(
        self, state: EmulatorState | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.state = state or EmulatorState()
        self.host, self._port = host, port  # port 0: a free one
        self.routes: dict[tuple[str, str], Handler] = PUBLIC_ROUTES | PRIVATE_ROUTES
        self.streams = StreamHub()
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> BinanceEmulator:
        """Listen (by default on a free port of 127.0.0.1) in a background thread."""
        if self._server is not None:
            return self
        self.stopping.clear()
        self._server = _Server(self, self.host, self._port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="binance-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is None:
            return
        self.stopping.set()
        self.streams.drop_all()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> BinanceEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """http://HOST:PORT (127.0.0.1 when it listens on every interface)."""
        return f"http://{self._client_host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """ws://HOST:PORT/ws, Binance's raw stream endpoint."""
        return f"ws://{self._client_host}:{self.port}/ws"

    @property
    def _client_host(self) -> str:
        return "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host  # noqa: S104

    # -- routing -------------------------------------------------------------------------

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Serve `method path` with `handler(request, state) -> Response`."""
        self.routes[(method.upper(), path)] = handler

    def handle(self, request: Request) -> Response:
        """Answer one request through the route table."""
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            return binance_error(-1, f"unknown endpoint {request.method} {request.path}", 404)
        try:
            return handler(request, self.state)
        except Exception as error:  # a bug in a handler must reach the test as a 500
            return binance_error(-1000, f"emulator error: {type(error).__name__}: {error}", 500)

    # -- arranging markets and candles ---------------------------------------------------

    def add_market(
        self,
        pair: str,
        *,
        tick_size: str = "0.01",
        step_size: str = "0.00001",
        min_qty: str = "0.00001",
        min_notional: str = "5",
    ) -> MarketSpec:
        """List a spot market with its filters."""
        spec = MarketSpec(
            Pair.parse(pair).symbol,
            Decimal(tick_size),
            Decimal(step_size),
            Decimal(min_qty),
            Decimal(min_notional),
        )
        with self.state.lock:
            self.state.markets[spec.symbol] = spec
        return spec

    def add_candles(self, pair: str, timeframe: str, frame: pd.DataFrame) -> None:
        """Serve `frame` (a candle frame) as the pair's klines of `timeframe`."""
        symbol = Pair.parse(pair).symbol
        timeframe_to_ms(timeframe)
        if symbol not in self.state.markets:
            self.add_market(symbol)
        with self.state.lock:
            self.state.candles[(symbol, timeframe)] = CandleArrays.from_frame(frame)

    def add_candles_file(self, pair: str, timeframe: str, path: Path) -> pd.DataFrame:
        """Serve the candles of a file (e.g. the shared data set); returns the frame."""
        frame = load_candles(path, timeframe=timeframe, pair=pair)
        self.add_candles(pair, timeframe, frame)
        return frame

    # -- streams -------------------------------------------------------------------------

    def push_kline(
        self,
        pair: str,
        timeframe: str,
        candle: Candle | Sequence[float],
        closed: bool = True,
    ) -> int:
        """Publish a kline event (a forming update, or the `closed` one); REST serves it too.

        `candle` is a `Candle` or a ccxt row [open time ms, o, h, l, c, v]. Returns how many
        subscribed connections it reached (0 while the stream has none, e.g. after a drop).
        """
        step = timeframe_to_ms(timeframe)
        row = _row(candle)
        symbol = self._known(pair)
        self.state.upsert_candle(symbol, timeframe, row)
        market_id = self.state.markets[symbol].exchange_id
        event = kline_event(market_id, timeframe, step, row, closed, self.state.now_ms())
        return self.streams.publish(kline_stream(market_id, timeframe), event)

    def ws_subscribers(self, pair: str, timeframe: str) -> int:
        """Open websocket connections subscribed to the pair's klines of `timeframe`."""
        parsed = Pair.parse(pair)
        return self.streams.subscribers(kline_stream(parsed.base + parsed.quote, timeframe))

    def drop_ws_connections(self) -> int:
        """Cut every websocket connection without a closing handshake; how many there were."""
        return self.streams.drop_all()

    # -- faults --------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> Fault:
        """Install a fault; faults are tried in the order they were added."""
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def fail_next(
        self,
        times: int | None = 1,
        *,
        status: int = 500,
        retry_after: float | None = None,
        path: str | None = None,
        skip: int = 0,
        body: Any = None,
        method: str | None = None,
        after_processing: bool = False,
    ) -> Fault:
        """Answer matching requests with `status` (429/418 carry Binance's -1003 body)."""
        return self.add_fault(
            Fault(
                STATUS,
                status,
                retry_after,
                0.0,
                body,
                path,
                skip=skip,
                times=times,
                method=_method(method),
                after=after_processing,
            )
        )

    def rate_limit_next(
        self, times: int = 1, *, retry_after: float = 1, path: str | None = None
    ) -> Fault:
        """Answer matching requests with 429 Too Many Requests and a Retry-After header."""
        return self.fail_next(times, status=429, retry_after=retry_after, path=path)

    def fail_after(self, ok: int, *, status: int = 500, path: str | None = None) -> Fault:
        """Let `ok` matching requests through, then fail every later one (an outage)."""
        return self.fail_next(None, status=status, path=path, skip=ok)

    def delay_next(
        self,
        times: int = 1,
        *,
        seconds: float,
        path: str | None = None,
        method: str | None = None,
        after_processing: bool = False,
    ) -> Fault:
        """Answer matching requests only after `seconds` (provokes client timeouts).

        By default the request waits before it is processed (and a signed one older than its
        recvWindow by then is refused); `after_processing` executes it at once and delays only
        the answer.
        """
        return self.add_fault(
            Fault(
                DELAY,
                seconds=seconds,
                path=path,
                times=times,
                method=_method(method),
                after=after_processing,
            )
        )

    def drop_next(
        self,
        times: int | None = 1,
        *,
        path: str | None = None,
        skip: int = 0,
        method: str | None = None,
        after_processing: bool = False,
    ) -> Fault:
        """Close matching connections without answering (after executing them, if asked)."""
        return self.add_fault(
            Fault(
                DROP,
                path=path,
                skip=skip,
                times=times,
                method=_method(method),
                after=after_processing,
            )
        )

    def partial_fill_next(
        self, fraction: str | Decimal, times: int = 1, *, expire_rest: bool = False
    ) -> OrderFault:
        """The next accepted orders fill only `fraction` at first; the rest on a later tick.

        `expire_rest`: a MARKET order's rest EXPIRES at once instead (Binance's market orders
        that run out of liquidity), so the order ends partially filled for good.
        """
        fault = OrderFault(PARTIAL, times, fraction=Decimal(fraction), expire_rest=expire_rest)
        with self.state.lock:
            self.state.spot.faults.append(fault)
        return fault

    def reject_next(
        self, times: int = 1, *, code: int = -2010, msg: str = INSUFFICIENT_BALANCE
    ) -> OrderFault:
        """Refuse the next orders with Binance's `code` and `msg` (e.g. -1013 filter failures)."""
        fault = OrderFault(REJECT, times, code=code, msg=msg)
        with self.state.lock:
            self.state.spot.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every fault, HTTP and order faults alike: the emulator behaves again."""
        with self.state.lock:
            self.state.faults.clear()
            self.state.spot.faults.clear()

    # -- trading -------------------------------------------------------------------------

    def add_account(
        self, api_key: str, secret: str, balances: dict[str, str | int | Decimal] | None = None
    ) -> Account:
        """Open an account reached with `api_key`, whose requests `secret` signs."""
        funds = {asset: Decimal(amount) for asset, amount in (balances or {}).items()}
        with self.state.lock:
            return self.state.spot.add_account(api_key, secret, funds)

    def withdraw(self, api_key: str, asset: str, amount: str | Decimal) -> None:
        """Take `amount` of the account's free `asset` away (a withdrawal, a manual trade)."""
        with self.state.lock:
            free = self.state.spot.accounts[api_key].free
            if free.get(asset, Decimal(0)) < Decimal(amount):
                raise ValueError(f"the account holds less than {amount} free {asset}")
            free[asset] -= Decimal(amount)

    def set_fees(self, rate: str | Decimal, *, asset: str = "quote") -> None:
        """Fee rate on notional and the asset charged: "quote", "received" or e.g. "BNB"."""
        with self.state.lock:
            self.state.spot.fee_rate = Decimal(rate)
            self.state.spot.fee_asset = asset

    def set_price(self, pair: str, price: str | int | Decimal) -> list[Trade]:
        """Move the pair's price (a tick): resting orders it crosses fill; returns the trades."""
        symbol = self._known(pair)
        with self.state.lock:
            return self.state.spot.set_price(symbol, Decimal(price), self.state.now_ms())

    def set_price_script(self, pair: str, prices: list[str] | list[Decimal]) -> None:
        """Fill the pair's next distinct market orders at these prices, one each, in order."""
        symbol = self._known(pair)
        with self.state.lock:
            self.state.spot.set_script(symbol, [Decimal(p) for p in prices])

    def orders(self, api_key: str | None = None, pair: str | None = None) -> list[SpotOrder]:
        """Orders accepted so far (of one account and pair, when given), oldest first."""
        symbol = Pair.parse(pair).symbol if pair is not None else None
        with self.state.lock:
            return [
                o
                for o in self.state.spot.orders
                if (api_key is None or o.api_key == api_key)
                and (symbol is None or o.symbol == symbol)
            ]

    def trades(self, api_key: str | None = None) -> list[Trade]:
        """Executions so far (of one account, when given), oldest first."""
        with self.state.lock:
            owned = {
                o.order_id
                for o in self.state.spot.orders
                if api_key is None or o.api_key == api_key
            }
            return [t for t in self.state.spot.trades if t.order_id in owned]

    def balances(self, api_key: str) -> dict[str, tuple[Decimal, Decimal]]:
        """(free, locked) per asset of an account."""
        with self.state.lock:
            account = self.state.spot.accounts[api_key]
            return {
                a: (account.free.get(a, Decimal(0)), account.locked.get(a, Decimal(0)))
                for a in account.assets()
            }

    def _known(self, pair: str) -> str:
        symbol = Pair.parse(pair).symbol
        if symbol not in self.state.markets:
            self.add_market(symbol)
        return symbol

    # -- inspecting ----------------------------------------------------------------------

    def requests(self, path: str | None = None) -> list[RecordedRequest]:
        """Requests received so far (to `path` only, when given), oldest first."""
        with self.state.lock:
            return [r for r in self.state.requests if path is None or r.path == path]

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self.state.lock:
            self.state.requests.clear()


def _row(candle: Candle | Sequence[float]) -> list[float]:
    if isinstance(candle, Candle):
        return [candle.ts, candle.open, candle.high, candle.low, candle.close, candle.volume]
    if len(candle) < 6:
        raise ValueError("a candle row is [open time ms, open, high, low, close, volume]")
    return [float(v) for v in candle[:6]]


def _method(method: str | None) -> str | None:
    return method.upper() if method is not None else None
