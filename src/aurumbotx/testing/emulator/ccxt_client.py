"""A real ccxt Binance client pointed at the emulator (the testing kit may import ccxt)."""

from __future__ import annotations

from typing import Any

import ccxt

from aurumbotx.execution.ccxt_factory import create_ccxt_exchange


def make_ccxt_binance(
    base_url: str, *, timeout_seconds: float = 5.0, **config: Any
) -> ccxt.binance:
    """ccxt.binance with every REST endpoint on `base_url` (same code path as production)."""
    exchange = create_ccxt_exchange(
        "binance", base_url=base_url, timeout_seconds=timeout_seconds, config=config
    )
    assert isinstance(exchange, ccxt.binance)  # noqa: S101 - create_ccxt_exchange("binance")
    return exchange
