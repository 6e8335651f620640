"""A Binance-compatible emulator for tests: markets, klines (REST and websocket), trading, faults.

    with BinanceEmulator() as emu:
        emu.add_candles("BTC/USDT", "1h", frame)
        emu.add_account("key-1", "secret-1", {"USDT": "10000"})
        emu.set_price("BTC/USDT", "43000")            # or emu.set_price_script(pair, [...])
        emu.rate_limit_next(1, retry_after=1, path="/api/v3/klines")
        emu.drop_next(path="/api/v3/order", method="POST", after_processing=True)
        emu.push_kline("BTC/USDT", "1m", [ts, o, h, l, c, v], closed=False)  # ws + REST
        emu.drop_ws_connections()                     # every websocket cut at once
        exchange = make_ccxt_binance(emu.base_url, apiKey="key-1", secret="secret-1")
        exchange.fetch_ohlcv("BTC/USDT", "1h", since=..., limit=1000)
        emu.requests("/api/v3/klines"), emu.orders("key-1"), emu.balances("key-1")

The `binance_emulator` pytest fixture lives in `aurumbotx.testing.emulator.fixtures`.
"""

from aurumbotx.testing.emulator.ccxt_client import (
    make_ccxt_binance,
    make_exchange_client,
    make_ohlcv_source,
)
from aurumbotx.testing.emulator.messages import Request, Response, binance_error
from aurumbotx.testing.emulator.server import BinanceEmulator
from aurumbotx.testing.emulator.signing import sign
from aurumbotx.testing.emulator.spot import (
    DUPLICATE_ORDER,
    INSUFFICIENT_BALANCE,
    Account,
    OrderFault,
    SpotBook,
    SpotOrder,
    Trade,
)
from aurumbotx.testing.emulator.state import EmulatorState, Fault, MarketSpec, RecordedRequest

__all__ = [
    "DUPLICATE_ORDER",
    "INSUFFICIENT_BALANCE",
    "Account",
    "BinanceEmulator",
    "EmulatorState",
    "Fault",
    "MarketSpec",
    "OrderFault",
    "RecordedRequest",
    "Request",
    "Response",
    "SpotBook",
    "SpotOrder",
    "Trade",
    "binance_error",
    "make_ccxt_binance",
    "make_exchange_client",
    "make_ohlcv_source",
    "sign",
]
