"""ccxt.pro market data: websocket OHLCV updates and async REST candles, errors mapped to ours.

`CcxtOhlcvStream` is the websocket feed's source (`aurumbotx.data.feed_stream`): it builds its
ccxt.pro client lazily, inside the event loop that uses it (ccxt binds its HTTP session and its
sockets to that loop), with the same options as `create_ccxt_exchange`. A base-URL override
('http://127.0.0.1:8765', the emulator) moves every REST endpoint there and every websocket
endpoint to the same host and port with the ws scheme (ws://127.0.0.1:8765/ws, paths kept).
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlsplit

import ccxt
import ccxt.pro

from aurumbotx.domain.errors import ExchangeError, InvalidInputError, TemporaryExchangeError
from aurumbotx.execution.ccxt.errors import map_ccxt_error
from aurumbotx.execution.ccxt.factory import PUBLIC_SPOT_OPTIONS, rebase_urls


def supports_ohlcv_stream(name: str) -> bool:
    """True when ccxt.pro knows exchange `name` and it can watch OHLCV over a websocket."""
    if name not in ccxt.pro.exchanges:
        return False
    exchange_class = getattr(ccxt.pro, name, None)
    if exchange_class is None:
        return False
    # Building an instance opens nothing: the session starts on the first request.
    return bool(exchange_class().has.get("watchOHLCV"))


def _ws_base(base_url: str) -> str:
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}"


def _error(error: BaseException) -> ExchangeError:
    if isinstance(error, ccxt.BaseError):
        return map_ccxt_error(error)
    # A socket error that escaped ccxt's own wrapping is a network problem all the same.
    return TemporaryExchangeError(f"exchange unavailable: {type(error).__name__}: {error}")


class CcxtOhlcvStream:
    """An exchange's candles through ccxt.pro: `watch_ohlcv` (websocket) and `fetch_ohlcv`."""

    def __init__(
        self, name: str, *, base_url: str | None = None, timeout_seconds: float = 10.0
    ) -> None:
        if name not in ccxt.pro.exchanges:
            raise InvalidInputError(f"unknown exchange {name!r} (not a ccxt.pro exchange id)")
        if base_url:
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise InvalidInputError(
                    f"exchange base URL must look like http://host:port, got {base_url!r}"
                )
        self.name = name
        self.base_url = base_url
        self.timeout_seconds = timeout_seconds
        self._client: Any = None

    def _exchange(self) -> Any:
        if self._client is None:
            exchange = getattr(ccxt.pro, self.name)(
                {
                    "enableRateLimit": True,
                    "timeout": int(self.timeout_seconds * 1000),
                    "options": dict(PUBLIC_SPOT_OPTIONS),
                }
            )
            if self.base_url:
                api = dict(exchange.urls["api"])
                ws = api.pop("ws", None)
                api = rebase_urls(api, self.base_url)
                if ws is not None:
                    api["ws"] = rebase_urls(ws, _ws_base(self.base_url))
                exchange.urls["api"] = api
            self._client = exchange
        return self._client

    async def watch_ohlcv(self, pair: str, timeframe: str) -> list[list[float]]:
        """The pair's candles updated since the previous call (the forming one included)."""
        try:
            rows: list[list[float]] = await self._exchange().watch_ohlcv(pair, timeframe)
        except (ccxt.BaseError, OSError, TimeoutError) as error:
            raise _error(error) from error
        return rows

    async def fetch_ohlcv(
        self, pair: str, timeframe: str, since: int, limit: int
    ) -> list[list[float]]:
        """Candles from `since` (open time, ms) over REST, oldest first, at most `limit`."""
        try:
            rows: list[list[float]] = await self._exchange().fetch_ohlcv(
                pair, timeframe, since, limit
            )
        except (ccxt.BaseError, OSError, TimeoutError) as error:
            raise _error(error) from error
        return rows

    def milliseconds(self) -> int:
        """The exchange clock (ms)."""
        return int(ccxt.Exchange.milliseconds())

    async def close(self) -> None:
        """Close the sockets and the HTTP session; a later call opens new ones."""
        client, self._client = self._client, None
        if client is not None:
            # Nothing to do about a socket that fails while closing; the feed is over anyway.
            with contextlib.suppress(ccxt.BaseError, OSError):
                await client.close()
