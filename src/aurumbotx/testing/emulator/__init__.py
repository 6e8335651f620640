"""A Binance-compatible REST emulator for tests: markets, klines, faults, request log.

    with BinanceEmulator() as emu:
        emu.add_candles("BTC/USDT", "1h", frame)
        emu.rate_limit_next(1, retry_after=1, path="/api/v3/klines")
        exchange = make_ccxt_binance(emu.base_url)
        exchange.fetch_ohlcv("BTC/USDT", "1h", since=..., limit=1000)
        emu.requests("/api/v3/klines")

The `binance_emulator` pytest fixture lives in `aurumbotx.testing.emulator.fixtures`.
"""

from aurumbotx.testing.emulator.ccxt_client import make_ccxt_binance
from aurumbotx.testing.emulator.messages import Request, Response, binance_error
from aurumbotx.testing.emulator.server import BinanceEmulator
from aurumbotx.testing.emulator.state import EmulatorState, Fault, MarketSpec, RecordedRequest

__all__ = [
    "BinanceEmulator",
    "EmulatorState",
    "Fault",
    "MarketSpec",
    "RecordedRequest",
    "Request",
    "Response",
    "binance_error",
    "make_ccxt_binance",
]
