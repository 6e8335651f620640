"""Benchmark: the trading engine's latencies and a paper bot's replay throughput.

Measured, each over `events` events (default 10,000), p50 and p99 with time.perf_counter_ns:

* signal-to-trade, engine: a candle with an entry (or exit) signal -> the order acknowledged by
  the PaperExchange (`TradingEngine.on_candle`, orders kept in memory, as in a backtest);
* signal-to-trade, bot: the same inside a paper bot (`BotRunner.on_candle`): the strategy's
  signal computed on the bot's history (a 500-candle window of real BTC/USDT 1h candles,
  `sma_cross`-like alternating signals so that every candle trades), the intent committed to
  SQLite BEFORE it is sent, up to the PaperExchange's acknowledgement;
* risk check alone (`RiskManager.check_entry`) and portfolio update alone
  (`Portfolio.apply_fill`);
* replay throughput: a paper bot replaying 5,000 real candles with `sma_cross` through the whole
  engine service (SQLite, one transaction per candle), in candles per second.

The spec asks signal-to-trade < 300 ms, risk check < 10 ms, portfolio update < 20 ms; our
targets are p99 < 5 ms, < 0.1 ms and < 1 ms.

    .venv/bin/python bench/bench_engine.py [--events N] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from common import SHARED_DATA, heading, row

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.enums import OrderSide, OrderType
from aurumbotx.domain.trading import Fill, Signal
from aurumbotx.engine.portfolio import Portfolio
from aurumbotx.risk.manager import RiskManager
from aurumbotx.strategies.base import Strategy
from aurumbotx.testing.orders import make_engine

TARGETS_MS = {"signal_to_trade": 5.0, "risk_check": 0.1, "portfolio_update": 1.0}
HOUR = 3_600_000


def _percentiles(samples: list[int]) -> dict[str, float]:
    values = np.asarray(samples, dtype=np.float64) / 1e6
    return {"p50_ms": float(np.percentile(values, 50)), "p99_ms": float(np.percentile(values, 99))}


def _candles(rows: int) -> pd.DataFrame:
    raw = pd.read_csv(SHARED_DATA / "binance_BTC-USDT_1h.csv.gz", nrows=rows)
    index = pd.DatetimeIndex(
        pd.to_datetime(raw["timestamp"], unit="ms", utc=True), name="timestamp"
    )
    return pd.DataFrame(
        raw[["open", "high", "low", "close", "volume"]].to_numpy(np.float64),
        index=index,
        columns=["open", "high", "low", "close", "volume"],
    )


def engine_signal_to_trade(events: int) -> dict[str, float]:
    """Candle with a signal -> order acknowledged, in the engine alone."""
    engine = make_engine("1000000", step=HOUR)
    enter, leave = Signal(enter=True), Signal(exit=True)
    samples = []
    price = 100.0
    for i in range(events):
        candle = Candle("BTC/USDT", i * HOUR, price, price + 1, price - 1, price, 1.0)
        signal = enter if i % 2 == 0 else leave
        start = time.perf_counter_ns()
        engine.on_candle(candle, signal)
        samples.append(time.perf_counter_ns() - start)
    return _percentiles(samples)


def risk_check(events: int) -> dict[str, float]:
    """RiskManager.check_entry alone."""
    risk = RiskManager()
    price, equity = Decimal("64000.5"), Decimal("10000")
    samples = []
    for i in range(events):
        start = time.perf_counter_ns()
        risk.check_entry(
            pair="BTC/USDT",
            price=price,
            equity=equity,
            cash=equity,
            pair_exposure=Decimal(0),
            total_exposure=Decimal(0),
            open_positions=0,
            now_ts=i * HOUR,
        )
        samples.append(time.perf_counter_ns() - start)
    return _percentiles(samples)


def portfolio_update(events: int) -> dict[str, float]:
    """Portfolio.apply_fill alone (alternating buys and sells)."""
    portfolio = Portfolio(Decimal("1000000"))
    amount, fee = Decimal("0.15623"), Decimal("0.0099")
    samples = []
    for i in range(events):
        side = OrderSide.BUY if i % 2 == 0 else OrderSide.SELL
        fill = Fill(
            f"o{i}",
            "BTC/USDT",
            side,
            amount,
            Decimal("64000.5"),
            fee,
            i,
            "entry",
            OrderType.MARKET,
            f"t{i}",
        )
        start = time.perf_counter_ns()
        portfolio.apply_fill(fill)
        samples.append(time.perf_counter_ns() - start)
    return _percentiles(samples)


class Alternating(Strategy):
    """Enter on even candles, exit on odd ones: every candle trades (worst case for latency)."""

    name = "alternating"

    @property
    def startup_candles(self) -> int:
        return 2

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        hours = candles.index.as_unit("ms").asi8 // HOUR
        even = hours % 2 == 0
        mean = candles["close"].rolling(50, min_periods=1).mean()
        return pd.DataFrame(
            {"enter_long": even, "exit_long": ~even, "sma_50": mean}, index=candles.index
        )


def _bot_env(home: Path) -> None:
    os.environ["AURUMBOTX_HOME"] = str(home)
    os.environ["AURUMBOTX_LOGGING__LEVEL"] = "WARNING"
    from aurumbotx.config import get_settings

    get_settings.cache_clear()


def _new_bot(strategy: str, feed: str, capital: str = "1000000") -> tuple[Any, int]:
    from aurumbotx.bootstrap import build_container
    from aurumbotx.config import get_settings
    from aurumbotx.db import migrate
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.bots import BotRepository
    from aurumbotx.db.repositories.strategies import StrategyRepository
    from aurumbotx.db.repositories.users import create_user
    from aurumbotx.security.accounts import NewUser

    container = build_container(get_settings())
    migrate.upgrade(container.engine)
    with session_scope(container.session_factory) as session:
        user = create_user(session, NewUser.validated("bench", "bench@example.com", "benchmark"))
        strategy_row = StrategyRepository(session).get_or_create(strategy, "", {})
        bot = BotRepository(session).create(
            user_id=user.id,
            name="bench",
            strategy=strategy,
            strategy_id=strategy_row.id,
            parameters={},
            pairs=["BTC/USDT"],
            timeframe="1h",
            capital=Decimal(capital),
            risk_percentage=Decimal(100),
            risk_limits={},
            mode="paper",
            feed=feed,
            speed="max",
        )
        bot_id = bot.id
    return container, bot_id


def bot_signal_to_trade(events: int, window: int = 500) -> dict[str, float]:
    """Candle close -> acknowledged by the PaperExchange inside a paper bot (SQLite)."""
    from aurumbotx.db.repositories.bot_store import DbBotStore
    from aurumbotx.db.repositories.bots import spec_of
    from aurumbotx.engine.bot import BotRunner
    from aurumbotx.execution.paper import PaperExchange

    candles = _candles(window + events)
    with tempfile.TemporaryDirectory() as home:
        _bot_env(Path(home))
        container, bot_id = _new_bot("sma_cross", "live")
        from aurumbotx.db.engine import session_scope
        from aurumbotx.db.repositories.bots import BotRepository

        with session_scope(container.session_factory) as session:
            spec = spec_of(BotRepository(session).get(bot_id))
        exchange = PaperExchange({"USDT": spec.capital})
        acknowledged: list[int] = []
        submit = exchange.submit_order

        def timed_submit(order: Any, now_ts: int) -> Any:
            answer = submit(order, now_ts)
            acknowledged.append(time.perf_counter_ns())
            return answer

        exchange.submit_order = timed_submit  # type: ignore[method-assign]
        store = DbBotStore(container.session_factory, bot_id)
        runner = BotRunner(spec, Alternating(), exchange, store, RiskManager())
        runner.reconcile()
        ts = candles.index.as_unit("ms").asi8
        values = candles.to_numpy()
        for i in range(window):
            runner.warm_up(Candle("BTC/USDT", int(ts[i]), *values[i].tolist()))
        samples = []
        for i in range(window, window + events):
            candle = Candle("BTC/USDT", int(ts[i]), *values[i].tolist())
            acknowledged.clear()
            start = time.perf_counter_ns()
            runner.on_candle(candle)
            if acknowledged:
                samples.append(acknowledged[0] - start)
            # Keep the window at `window` candles: the bot's history cap is larger.
            history = runner.history["BTC/USDT"]
            if history.size > window:
                history.ts[:window] = history.ts[history.size - window : history.size]
                history.values[:window] = history.values[history.size - window : history.size]
                history.size = window
        container.close()
    return _percentiles(samples) | {"orders": float(len(samples))}


def replay_throughput(rows: int = 5_000) -> dict[str, float]:
    """A paper bot replaying real candles through the engine service, candles per second."""
    from aurumbotx.bootstrap import make_bot
    from aurumbotx.engine.service import run_bot

    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "btc.csv"
        raw = pd.read_csv(SHARED_DATA / "binance_BTC-USDT_1h.csv.gz", nrows=rows)
        raw.to_csv(path, index=False)
        _bot_env(Path(home))
        container, bot_id = _new_bot("sma_cross", f"replay:{path}", capital="10000")
        handle = make_bot(container, bot_id)

        async def publish(channel: str, event: dict[str, Any]) -> None:
            return None

        class Quiet:
            def __getattr__(self, name: str) -> Any:
                return lambda *args, **kwargs: None

        start = time.perf_counter()
        asyncio.run(run_bot(handle, publish, Quiet()))
        elapsed = time.perf_counter() - start
        container.close()
    return {"candles": float(rows), "seconds": elapsed, "candles_per_s": rows / elapsed}


def run(events: int = 10_000) -> dict[str, Any]:
    """Every figure, plus the rows of the combined table."""
    figures: dict[str, Any] = {
        "engine_signal_to_trade": engine_signal_to_trade(events),
        "bot_signal_to_trade": bot_signal_to_trade(events),
        "risk_check": risk_check(events),
        "portfolio_update": portfolio_update(events),
        "replay": replay_throughput(),
    }

    def latency(label: str, key: str, target: str) -> dict[str, str]:
        value = figures[key]
        limit = TARGETS_MS[target]
        return row(
            f"{label}: p50 / p99",
            f"{value['p50_ms'] * 1e3:.1f} / {value['p99_ms'] * 1e3:.1f} us",
            target=f"p99 < {limit * 1e3:.0f} us",
            passed=value["p99_ms"] < limit,
        )

    replay = figures["replay"]
    figures["table"] = [
        heading(f"engine: {events:,} events each; signals-to-trade on real BTC/USDT 1h candles"),
        latency("signal-to-trade, engine (memory)", "engine_signal_to_trade", "signal_to_trade"),
        latency("signal-to-trade, paper bot (SQLite)", "bot_signal_to_trade", "signal_to_trade"),
        latency("risk check alone", "risk_check", "risk_check"),
        latency("portfolio update alone", "portfolio_update", "portfolio_update"),
        row(
            "replay throughput, one paper bot (SQLite)",
            f"{replay['candles_per_s']:.0f} candles/s",
            note=f"{replay['candles']:.0f} candles in {replay['seconds']:.2f} s, sma_cross",
        ),
    ]
    figures["meets_target"] = all(
        figures[k]["p99_ms"] < TARGETS_MS[t]
        for k, t in (
            ("engine_signal_to_trade", "signal_to_trade"),
            ("bot_signal_to_trade", "signal_to_trade"),
            ("risk_check", "risk_check"),
            ("portfolio_update", "portfolio_update"),
        )
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print the figures (and write them as JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from common import format_table

    figures = run(args.events)
    print(format_table(figures["table"]))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 0 if figures["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
