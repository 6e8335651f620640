"""One ccxt instance per (exchange, API key, endpoint), shared by every bot using that key.

ccxt's rate limiter (its throttler) lives in the instance, while the exchange counts requests
per key and per IP: two bots on one key with two instances would each think they have the
whole budget. The sync ccxt client is not thread-safe and live bots run in worker threads, so
every call on a shared instance holds its lock (`CcxtExchangeClient` does).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

from aurumbotx.execution.ccxt.factory import create_ccxt_exchange


@dataclass(slots=True)
class SharedExchange:
    """A ccxt instance and the lock that serialises calls on it."""

    exchange: Any  # a ccxt.Exchange; Any because ccxt ships no type information
    lock: threading.RLock = field(default_factory=threading.RLock)


_REGISTRY: dict[tuple[str, str, str, str], SharedExchange] = {}
_REGISTRY_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class CcxtAccount:
    """An exchange account and where to reach it: what a ccxt instance is shared by.

    `testnet` switches ccxt to the exchange's sandbox unless `base_url` (the emulator, a proxy)
    overrides the endpoints. The secret never shows in a repr.
    """

    exchange: str
    api_key: str
    secret: str = field(repr=False)
    base_url: str | None = None
    testnet: bool = False
    timeout_seconds: float = 10.0


def shared_ccxt(account: CcxtAccount) -> SharedExchange:
    """The process-wide ccxt instance of (exchange, key, endpoint), created on first use.

    The first caller's timeout (and the recvWindow derived from it) applies to everyone
    sharing the key.
    """
    a = account
    endpoint = a.base_url or ("testnet" if a.testnet else "live")
    # The secret takes part as a digest only (a rotated secret gets a fresh instance); it is
    # never kept in clear outside the ccxt instance that needs it to sign.
    fingerprint = hashlib.sha256(a.secret.encode()).hexdigest()
    key = (a.exchange, a.api_key, fingerprint, endpoint)
    with _REGISTRY_LOCK:
        shared = _REGISTRY.get(key)
        if shared is None:
            instance = create_ccxt_exchange(
                a.exchange,
                base_url=a.base_url,
                timeout_seconds=a.timeout_seconds,
                config={"apiKey": a.api_key, "secret": a.secret},
            )
            # open_orders() without a pair asks for every symbol on purpose (reconciliation).
            instance.options["warnOnFetchOpenOrdersWithoutSymbol"] = False
            # A request the client gave up on (timeout) must not execute later, after the
            # client looked it up and sent it again: Binance refuses a request older than its
            # recvWindow, so the window is at most the timeout (ccxt's default is 10 s).
            window = min(
                int(instance.options.get("recvWindow") or 10_000), int(a.timeout_seconds * 1000)
            )
            instance.options["recvWindow"] = window
            if a.testnet and not a.base_url:
                instance.set_sandbox_mode(True)
            shared = _REGISTRY[key] = SharedExchange(instance)
        return shared


def clear_shared_ccxt() -> None:
    """Forget every shared instance (tests; a new process starts empty anyway)."""
    with _REGISTRY_LOCK:
        _REGISTRY.clear()
