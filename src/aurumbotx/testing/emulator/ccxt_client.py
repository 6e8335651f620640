"""Real ccxt clients pointed at the emulator (the testing kit may import ccxt).

`make_ccxt_binance` gives the raw ccxt instance, `make_ohlcv_source` our market-data source
over it (download tests); `make_exchange_client` gives our live `CcxtExchangeClient` on the
emulator, with short timeouts and retry delays.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import ccxt

from aurumbotx.domain.retry import RetryPolicy
from aurumbotx.domain.trading import Order
from aurumbotx.execution.ccxt.client import CcxtExchangeClient
from aurumbotx.execution.ccxt.factory import create_ccxt_exchange
from aurumbotx.execution.ccxt.ohlcv import CcxtOhlcvSource
from aurumbotx.execution.ccxt.shared import CcxtAccount


def make_ccxt_binance(
    base_url: str, *, timeout_seconds: float = 5.0, **config: Any
) -> ccxt.binance:
    """ccxt.binance with every REST endpoint on `base_url` (same code path as production)."""
    exchange = create_ccxt_exchange(
        "binance", base_url=base_url, timeout_seconds=timeout_seconds, config=config
    )
    assert isinstance(exchange, ccxt.binance)  # noqa: S101 - create_ccxt_exchange("binance")
    return exchange


def make_ohlcv_source(
    base_url: str, *, timeout_seconds: float = 5.0, **config: Any
) -> CcxtOhlcvSource:
    """Our candle and market source on the emulator (what `aurumbotx download-data` uses)."""
    return CcxtOhlcvSource(make_ccxt_binance(base_url, timeout_seconds=timeout_seconds, **config))


def make_exchange_client(
    base_url: str,
    api_key: str,
    secret: str,
    *,
    timeout_seconds: float = 2.0,
    attempts: int = 4,
    base_delay: float = 0.05,
    fee_rate: str = "0.001",
    clock_margin_ms: int = 100,  # one clock (this machine's): no skew to allow for
    on_send: Callable[[Order], None] | None = None,
) -> CcxtExchangeClient:
    """Our live client on the emulator's account `api_key` (shared ccxt instance per key)."""
    return CcxtExchangeClient.connect(
        CcxtAccount("binance", api_key, secret, base_url=base_url, timeout_seconds=timeout_seconds),
        fee_rate=Decimal(fee_rate),
        retry=RetryPolicy(attempts=attempts, base_delay=base_delay, max_delay=base_delay * 4),
        clock_margin_ms=clock_margin_ms,
        on_send=on_send,
    )
