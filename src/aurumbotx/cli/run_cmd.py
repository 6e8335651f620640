"""`aurumbotx run`: the main job that `make run` starts.

Until the trading engine and the API ship, the main job is the backtest demo: migrate the
database, find real candles (the candle store, else the shared data folder beside the
repository, else a download), backtest the built-in strategies on them, write one HTML report
per strategy and print where they are.
"""

from __future__ import annotations

from pathlib import Path

import typer

from aurumbotx.cli.state import console, container, settings
from aurumbotx.domain.errors import NoDataError

DEMO_PAIR = "BTC/USDT"
DEMO_TIMEFRAME = "1h"
DEMO_STRATEGIES = ("sma_cross", "swing")
SHARED_FILE = "binance_BTC-USDT_1h.csv.gz"


def _demo_candles() -> tuple[str, str]:
    """A --data value for the demo and a description of where it came from."""
    from aurumbotx.data.store import CandleStore

    store = CandleStore(settings().candle_dir)
    if store.exists(DEMO_PAIR, DEMO_TIMEFRAME):
        return DEMO_PAIR, f"the candle store ({store.root})"
    for folder in (Path.cwd().parent / "shared" / "data", Path.cwd() / "shared" / "data"):
        if (folder / SHARED_FILE).is_file():
            return str(folder / SHARED_FILE), f"the shared data ({folder})"
    console.print(f"no {DEMO_PAIR} {DEMO_TIMEFRAME} candles found: downloading them from Binance")
    from aurumbotx.cli.data_cmd import download_data

    download_data(
        exchange=settings().exchange.name,
        pairs=[DEMO_PAIR],
        timeframes=[DEMO_TIMEFRAME],
        since="2023-01-01",
        until=None,
        retries=5,
    )
    if not store.exists(DEMO_PAIR, DEMO_TIMEFRAME):
        raise NoDataError("no demo candles: run `aurumbotx download-data` first")
    return DEMO_PAIR, "a fresh download"


def run() -> None:
    """Apply migrations and start the main job (today: the backtest demo with HTML reports)."""
    from aurumbotx.cli.backtest_cmd import backtest
    from aurumbotx.db import migrate
    from aurumbotx.db.engine import describe

    engine = container().engine
    migrate.upgrade(engine)
    console.print(f"database {describe(engine.url)} at revision {migrate.current(engine)}")
    data, origin = _demo_candles()
    console.print(f"demo data: {DEMO_PAIR} {DEMO_TIMEFRAME} from {origin}")
    reports = settings().home / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for name in DEMO_STRATEGIES:
        console.rule(f"backtest: {name}")
        backtest(
            strategy=name,
            data=[data],
            timeframe=DEMO_TIMEFRAME,
            exchange=settings().exchange.name,
            start=None,
            end=None,
            fee="0.001",
            slippage_bps="0",
            capital="10000",
            param=[],
            json_out=reports / f"demo-{name}.json",
            report=reports / f"demo-{name}.html",
            lookahead_sample=10,
            record=True,
            risk=None,
            stop_loss_pct=None,
            take_profit_pct=None,
            max_drawdown_pct=None,
            daily_loss_limit_pct=None,
            model=None,
        )
    console.print(
        f"[bold green]demo done:[/] open {(reports / 'demo-sma_cross.html').resolve()} in a browser"
    )


def register(app: typer.Typer) -> None:
    """Attach `run` to the root app."""
    app.command("run")(run)
