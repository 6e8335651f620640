"""Build configured ccxt clients: rate limiting on, optional base-URL override (the emulator)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import ccxt

from aurumbotx.domain.errors import InvalidInputError

# Public market data needs only the spot exchangeInfo: no futures/options market lists, no
# currency list (a private endpoint on Binance) and no server-time round trip at start.
PUBLIC_SPOT_OPTIONS: dict[str, Any] = {
    "fetchMarkets": {"types": ["spot"]},
    "fetchCurrencies": False,
    "fetchMargins": False,
    "adjustForTimeDifference": False,
}


def rebase_urls(urls: Any, base_url: str) -> Any:
    # Keep each endpoint's path (/api/v3, /sapi/v1, ...) and swap its scheme and host, so one
    # emulator (or proxy) URL serves every API family ccxt knows about for the exchange.
    if isinstance(urls, str):
        parts = urlsplit(urls)
        if not parts.scheme:
            return urls
        return base_url.rstrip("/") + parts.path
    if isinstance(urls, dict):
        return {key: rebase_urls(value, base_url) for key, value in urls.items()}
    return urls


def create_ccxt_exchange(
    name: str,
    *,
    base_url: str | None = None,
    timeout_seconds: float = 10.0,
    config: dict[str, Any] | None = None,
) -> ccxt.Exchange:
    """A sync ccxt client for exchange `name` with ccxt's throttler on and spot-only markets.

    `base_url` ('http://127.0.0.1:8765') replaces the scheme and host of every REST endpoint,
    keeping the paths, e.g. for the local Binance emulator.
    """
    exchange_class = getattr(ccxt, name, None) if name in ccxt.exchanges else None
    if exchange_class is None:
        raise InvalidInputError(f"unknown exchange {name!r} (not a ccxt exchange id)")
    settings: dict[str, Any] = {
        "enableRateLimit": True,
        "timeout": int(timeout_seconds * 1000),
        "options": dict(PUBLIC_SPOT_OPTIONS),
    }
    settings.update(config or {})
    exchange: ccxt.Exchange = exchange_class(settings)
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInputError(
                f"exchange base URL must look like http://host:port, got {base_url!r}"
            )
        exchange.urls["api"] = rebase_urls(exchange.urls["api"], base_url)
    return exchange
