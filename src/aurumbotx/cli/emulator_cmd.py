"""`aurumbotx emulator`: the local Binance spot emulator, to run a live bot end to end offline.

The emulator (`aurumbotx.testing.emulator`) speaks Binance's REST and websocket APIs closely
enough for real ccxt: signed requests with recvWindow, order filters, market and limit orders,
balances, klines, and injectable faults. It needs the `emulator` extra (websockets).
"""

from __future__ import annotations

import secrets as pysecrets
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from aurumbotx.cli.state import console
from aurumbotx.domain.errors import ConfigError, InvalidInputError


def _assignments(values: list[str], what: str) -> dict[str, Decimal]:
    """NAME=NUMBER options (`--balance USDT=10000`, `--price BTC/USDT=43000`)."""
    result: dict[str, Decimal] = {}
    for item in values:
        name, sep, number = item.partition("=")
        try:
            amount = Decimal(number)
        except InvalidOperation:
            amount = Decimal(-1)
        if not sep or not name or not amount.is_finite() or amount < 0:
            raise InvalidInputError(f"{what} must look like NAME=AMOUNT (>= 0), got {item!r}")
        result[name.strip().upper()] = amount
    return result


def _load() -> Any:
    try:
        from aurumbotx.testing.emulator import BinanceEmulator
    except ModuleNotFoundError as missing:
        raise ConfigError(
            f"the emulator needs the 'emulator' extra ({missing.name} is missing): "
            "pip install 'aurumbotx[emulator]'"
        ) from None
    return BinanceEmulator


def emulator(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8765, min=0, max=65535, help="Port (0: a free one)."),
    market: list[str] = typer.Option(
        ["BTC/USDT"], "--market", help="Spot market to list (repeat for more)."
    ),
    balance: list[str] = typer.Option(
        ["USDT=10000"], "--balance", help="Starting balance ASSET=AMOUNT (repeat for more)."
    ),
    price: list[str] = typer.Option(
        [], "--price", help="Starting price PAIR=PRICE for market orders (repeat for more)."
    ),
    candles: list[Path] = typer.Option(
        [], "--candles", help="Candle file served as klines (of --market's first pair)."
    ),
    timeframe: str = typer.Option("1h", help="Timeframe of the --candles files."),
    api_key: str | None = typer.Option(
        None, "--api-key", help="The account's API key (default: a new random one)."
    ),
    fee: str = typer.Option("0.001", help="Trading fee rate, charged in the quote asset."),
    rate_limit_next: int = typer.Option(0, min=0, help="Fault: answer the next N orders 429."),
    fail_next: int = typer.Option(0, min=0, help="Fault: answer the next N orders 500."),
    drop_next: int = typer.Option(
        0, min=0, help="Fault: execute the next N orders, then drop the answer."
    ),
    delay_next: float = typer.Option(
        0.0, min=0, help="Fault: hold the next order this many seconds before processing it."
    ),
    partial_next: str | None = typer.Option(
        None, help="Fault: the next order fills only this fraction (0-1); the rest expires."
    ),
    run_seconds: float | None = typer.Option(
        None, min=0, help="Stop after this many seconds (default: until Ctrl-C)."
    ),
) -> None:
    """Start the local Binance emulator: one account, markets, faults; Ctrl-C stops it."""
    from aurumbotx.domain.values import Pair

    emulator_class = _load()
    balances = _assignments(balance, "--balance")
    prices = {Pair.parse(k).symbol: v for k, v in _assignments(price, "--price").items()}
    pairs = [Pair.parse(m).symbol for m in market]
    fraction = None
    if partial_next is not None:
        fraction = _assignments([f"fraction={partial_next}"], "--partial-next")["FRACTION"]
        if not 0 < fraction < 1:
            raise InvalidInputError(f"--partial-next must be between 0 and 1, got {partial_next}")
    key = api_key or f"emu-{pysecrets.token_hex(8)}"
    secret = pysecrets.token_hex(24)  # never a fixed default: printed once, here
    emu = emulator_class(host=host, port=port)
    for pair in pairs:
        emu.add_market(pair)
    for path in candles:
        frame = emu.add_candles_file(pairs[0], timeframe, path)
        prices.setdefault(pairs[0], Decimal(str(frame["close"].iloc[-1])))
    emu.add_account(key, secret, {asset: str(amount) for asset, amount in balances.items()})
    emu.set_fees(fee, asset="quote")
    for pair, value in prices.items():
        emu.set_price(pair, value)
    order = "/api/v3/order"
    if rate_limit_next:
        emu.rate_limit_next(rate_limit_next, retry_after=1, path=order)
    if fail_next:
        emu.fail_next(fail_next, status=500, path=order, method="POST")
    if drop_next:
        emu.drop_next(drop_next, path=order, method="POST", after_processing=True)
    if delay_next:
        emu.delay_next(seconds=delay_next, path=order, method="POST")
    if fraction is not None:
        emu.partial_fill_next(fraction, expire_rest=True)
    emu.start()
    console.print(f"Binance emulator listening on {emu.base_url} (websocket {emu.ws_url})")
    console.print(f"markets: {', '.join(pairs)}; balances: {balance}; fee {fee}")
    console.print("Use it from AurumBotX (mainnet mode: the emulator has no testnet):")
    console.print(f"  export AURUMBOTX_EXCHANGE__BASE_URL={emu.base_url}")
    console.print("  export AURUMBOTX_EXCHANGE__TESTNET=false")
    console.print("  aurumbotx keys add --stdin --mainnet   # then paste the two lines below")
    console.print(f"api key: {key}", highlight=False)
    console.print(f"secret:  {secret}", highlight=False, soft_wrap=True)
    stop = threading.Event()
    try:
        stop.wait(run_seconds)
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
        console.print("emulator stopped")


def register(app: typer.Typer) -> None:
    """Add `emulator` to the CLI."""
    app.command(name="emulator")(emulator)
