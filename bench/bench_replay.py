"""Benchmark: a paper bot replaying real 1m candles at --speed max, against a backtest of them.

For each strategy (sma_cross, swing, scalping) and each size (3,000 and 20,000 BTC/USDT 1m
candles, the first rows of binance_BTC-USDT_1m.csv.gz), in one process:

* backtest: `run_backtest` on the candles, capital 1,000, default risk (100 %), best of
  `repeat`;
* replay, before: a paper bot (`make_bot` + `engine.service.run_bot`, SQLite in a temporary
  AURUMBOTX_HOME, one transaction per candle) run by the code of `--before-ref` (default: where
  this branch left main, `git merge-base HEAD main`), extracted with `git archive` and run in a
  subprocess with PYTHONPATH on it: `populate` over the whole history at every candle and the
  store as it was;
* replay, after: the same bot with this checkout (the strategy's incremental live source);
* parity: the bot's fills (price, amount, fee, from `order_fills`) against the backtest's
  trades, and its final equity against the backtest's.

Then the live per-candle latency: `BotRunner.on_candle` with the PaperExchange and the SQLite
store, warmed up on 10,000 candles, over the next 2,000: candle in -> signal -> order
acknowledged by the PaperExchange (candles that sent an order), and the whole `on_candle`
(every candle, commit included), p50 and p99 with time.perf_counter_ns.

Target: replay after / replay before >= 10x candles per second on every row.

    .venv/bin/python bench/bench_replay.py [--rows 3000 20000] [--repeat R] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from common import REPO, SHARED_DATA, format_table, heading, row, seconds

STRATEGIES = ("sma_cross", "swing", "scalping")
SOURCE = "binance_BTC-USDT_1m.csv.gz"
CAPITAL = "1000"
TARGET_SPEEDUP = 10.0
WARM_ROWS = 300  # an untimed replay first, in every process


def _bot_env(home: Path) -> None:
    os.environ["AURUMBOTX_HOME"] = str(home)
    os.environ["AURUMBOTX_LOGGING__LEVEL"] = "WARNING"
    from aurumbotx.config import get_settings

    get_settings.cache_clear()


def _new_bot(strategy: str, feed: str) -> tuple[Any, int]:
    """A container on the temporary home and a paper bot row (1m, capital 1,000, risk 100)."""
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
            timeframe="1m",
            capital=Decimal(CAPITAL),
            risk_percentage=Decimal(100),
            risk_limits={},
            mode="paper",
            feed=feed,
            speed="max",
        )
        bot_id = bot.id
    return container, bot_id


def _fills(db: Path, bot_id: int) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT t.side, f.price, f.amount, f.fee FROM order_fills f "
            "JOIN trades t ON t.id = f.trade_id WHERE f.bot_id = ? ORDER BY f.ts, f.id",
            (bot_id,),
        ).fetchall()
    return [(side, Decimal(p), Decimal(a), Decimal(fee)) for side, p, a, fee in rows]


def replay(strategy: str, path: Path, incremental: bool | None) -> dict[str, Any]:
    """One paper bot replaying the file at --speed max; seconds, fills and final equity.

    `incremental`: BotRunner's switch (False: populate over the whole history); None: leave
    the code as it is (the code before had no switch)."""
    from aurumbotx.bootstrap import make_bot
    from aurumbotx.engine.bot import BotRunner
    from aurumbotx.engine.service import run_bot

    class Quiet:
        def __getattr__(self, name: str) -> Any:
            return lambda *args, **kwargs: None

    async def publish(channel: str, event: dict[str, Any]) -> None:
        return None

    with tempfile.TemporaryDirectory() as home:
        _bot_env(Path(home))
        container, bot_id = _new_bot(strategy, f"replay:{path}")
        handle = make_bot(container, bot_id)
        if incremental is not None:
            BotRunner.incremental = incremental
        try:
            start = time.perf_counter()
            asyncio.run(run_bot(handle, publish, Quiet()))
            elapsed = time.perf_counter() - start
        finally:
            if incremental is not None:
                BotRunner.incremental = True
        fills = _fills(Path(home) / "aurumbotx.db", bot_id)
        equity = handle.runner.engine.portfolio.equity()
        container.close()
    return {"seconds": elapsed, "fills": fills, "equity": equity}


def before_checkout(ref: str | None, into: Path) -> tuple[str, Path]:
    """`git archive` of the code before this change into `into`; (commit, its src dir)."""
    if ref is None:
        ref = _git("merge-base", "HEAD", "main")
    commit = _git("rev-parse", "--short", ref)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return commit, into / "src"


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def replay_before(strategy: str, path: Path, src: Path, warm: Path) -> dict[str, Any]:
    """`replay` in a subprocess that imports aurumbotx from `src` (the code before)."""
    env = os.environ | {"PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", strategy, str(path), str(warm)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent,
    )
    if done.returncode != 0:
        raise RuntimeError(f"before-replay of {strategy} failed: {done.stderr[-2000:]}")
    answer = json.loads(done.stdout.splitlines()[-1])
    fills = [(f[0], Decimal(f[1]), Decimal(f[2]), Decimal(f[3])) for f in answer["fills"]]
    return {"seconds": answer["seconds"], "fills": fills, "equity": Decimal(answer["equity"])}


def _worker(strategy: str, path: Path, warm: Path) -> None:
    """The subprocess of `replay_before`: one replay, printed as one JSON line.

    A short replay of `warm` first, untimed, as the in-process runs get (imports, caches)."""
    import aurumbotx

    if Path(aurumbotx.__file__).resolve().is_relative_to(REPO):
        raise SystemExit(f"the worker imported this checkout ({aurumbotx.__file__})")
    replay(strategy, warm, incremental=None)
    done = replay(strategy, path, incremental=None)
    fills = [[side, str(p), str(a), str(fee)] for side, p, a, fee in done["fills"]]
    print(json.dumps({"seconds": done["seconds"], "fills": fills, "equity": str(done["equity"])}))


def backtest(strategy: str, candles: pd.DataFrame, repeat: int) -> dict[str, Any]:
    """run_backtest on the candles, best of `repeat`; its trades as fills, final equity."""
    from aurumbotx.backtest.runner import BacktestConfig, run_backtest
    from aurumbotx.strategies.registry import create_strategy

    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run_backtest(
            create_strategy(strategy),
            {"BTC/USDT": candles},
            "1m",
            BacktestConfig(capital=Decimal(CAPITAL)),
        )
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return {"seconds": best, "trades": result.trades, "equity": result.final_equity}


def parity(bot: dict[str, Any], test: dict[str, Any]) -> tuple[bool, str]:
    """The bot's fills are the backtest's trades (prices, amounts, fees in total)."""
    buys = [f for f in bot["fills"] if f[0] == "BUY"]
    sells = [f for f in bot["fills"] if f[0] == "SELL"]
    trades = test["trades"]
    same = len(buys) == len(trades) and all(
        (t.entry_price, t.amount) == (b[1], b[2]) for t, b in zip(trades, buys, strict=False)
    )
    closed = [t for t in trades if t.exit_price is not None]
    same = same and [t.exit_price for t in closed] == [s[1] for s in sells]
    fees = [b[3] + s[3] for b, s in zip(buys, sells, strict=False)] + [
        b[3] for b in buys[len(sells) :]
    ]
    same = same and fees == [t.fees for t in trades]
    diff = bot["equity"] - test["equity"]
    same = same and diff == 0
    return (
        same,
        f"{len(trades)} trades, fees {sum(fees, Decimal(0))}, equity {bot['equity']} (diff {diff})",
    )


def latency(strategy: str, candles: pd.DataFrame, warm: int, events: int) -> dict[str, float]:
    """BotRunner.on_candle with the PaperExchange and SQLite: candle -> order acked, p50/p99."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.bot_store import DbBotStore
    from aurumbotx.db.repositories.bots import BotRepository, spec_of
    from aurumbotx.domain.candles import Candle
    from aurumbotx.engine.bot import BotRunner
    from aurumbotx.execution.paper import PaperExchange
    from aurumbotx.risk.manager import RiskManager
    from aurumbotx.strategies.registry import create_strategy

    with tempfile.TemporaryDirectory() as home:
        _bot_env(Path(home))
        container, bot_id = _new_bot(strategy, "live")
        with session_scope(container.session_factory) as session:
            spec = spec_of(BotRepository(session).get(bot_id))
        exchange = PaperExchange({"USDT": spec.capital})
        acked: list[int] = []
        submit: Callable[..., Any] = exchange.submit_order

        def timed_submit(order: Any, now_ts: int) -> Any:
            answer = submit(order, now_ts)
            acked.append(time.perf_counter_ns())
            return answer

        exchange.submit_order = timed_submit  # type: ignore[method-assign]
        store = DbBotStore(container.session_factory, bot_id)
        runner = BotRunner(spec, create_strategy(strategy), exchange, store, RiskManager())
        runner.reconcile()
        ts = candles.index.as_unit("ms").asi8
        values = candles[["open", "high", "low", "close", "volume"]].to_numpy()
        for i in range(warm):
            runner.warm_up(Candle("BTC/USDT", int(ts[i]), *values[i].tolist()))
        to_ack, whole = [], []
        for i in range(warm, warm + events):
            candle = Candle("BTC/USDT", int(ts[i]), *values[i].tolist())
            acked.clear()
            start = time.perf_counter_ns()
            runner.on_candle(candle)
            whole.append(time.perf_counter_ns() - start)
            if acked:
                to_ack.append(acked[0] - start)
        container.close()

    def pct(samples: list[int], q: float) -> float:
        return float(np.percentile(np.asarray(samples, dtype=np.float64) / 1e9, q))

    figures = {"candle_p50_s": pct(whole, 50), "candle_p99_s": pct(whole, 99)}
    figures["orders"] = float(len(to_ack))
    if to_ack:
        figures |= {"ack_p50_s": pct(to_ack, 50), "ack_p99_s": pct(to_ack, 99)}
    return figures


def _load(rows: int) -> pd.DataFrame:
    from aurumbotx.testing.market import load_shared_candles

    return load_shared_candles(SOURCE.removesuffix(".csv.gz"), rows)


def run(
    rows: int | tuple[int, ...] = (3_000, 20_000), repeat: int = 3, before_ref: str | None = None
) -> dict[str, Any]:
    """Every figure, plus the rows of the combined table (`rows`: one size or several)."""
    rows = (rows,) if isinstance(rows, int) else rows
    figures: dict[str, Any] = {"benchmark": "replay", "runs": []}
    table: list[dict[str, str]] = []
    met = True
    with tempfile.TemporaryDirectory() as tmp:
        commit, src = before_checkout(before_ref, Path(tmp))
        figures["before_commit"] = commit
        raw = pd.read_csv(SHARED_DATA / SOURCE, nrows=max(rows))
        warm = Path(tmp) / "warm.csv"
        raw.iloc[:WARM_ROWS].to_csv(warm, index=False)
        for strategy in STRATEGIES:
            replay(strategy, warm, incremental=True)  # untimed: imports and caches, as before
        for n in rows:
            path = Path(tmp) / f"btc_1m_{n}.csv"
            raw.iloc[:n].to_csv(path, index=False)
            candles = _load(n)
            table.append(heading(f"replay vs backtest, {n:,} BTC/USDT 1m candles, SQLite"))
            for strategy in STRATEGIES:
                test = backtest(strategy, candles, repeat)
                before = replay_before(strategy, path, src, warm)
                after = replay(strategy, path, incremental=True)
                speedup = before["seconds"] / after["seconds"]
                same, detail = parity(after, test)
                same_before, detail_before = parity(before, test)
                met = met and speedup >= TARGET_SPEEDUP and same
                figures["runs"].append(
                    {
                        "strategy": strategy,
                        "candles": n,
                        "backtest_s": test["seconds"],
                        "before_s": before["seconds"],
                        "after_s": after["seconds"],
                        "speedup": speedup,
                        "parity": same,
                        "parity_before": same_before,
                        "detail": detail,
                        "detail_before": detail_before,
                    }
                )
                table += _rows(strategy, n, (test, before, after), speedup, same, detail)
                table.append(
                    row(
                        f"{strategy}: before: replay's trades = backtest's",
                        target="equal",
                        passed=same_before,
                        note=detail_before,
                    )
                )
    figures["latency"] = {}
    candles = _load(12_000)
    table.append(heading("live per candle: BotRunner.on_candle, PaperExchange, SQLite store"))
    for strategy in STRATEGIES:
        lat = latency(strategy, candles, 10_000, 2_000)
        figures["latency"][strategy] = lat
        ack = (
            f"{seconds(lat['ack_p50_s'])} / {seconds(lat['ack_p99_s'])}"
            if lat["orders"]
            else "no order"
        )
        table.append(
            row(
                f"{strategy}: candle -> order acked, p50 / p99",
                ack,
                note=f"{lat['orders']:.0f} orders in 2,000 candles after 10,000 of warm-up",
            )
        )
        table.append(
            row(
                f"{strategy}: whole on_candle, p50 / p99",
                f"{seconds(lat['candle_p50_s'])} / {seconds(lat['candle_p99_s'])}",
            )
        )
    figures["table"] = table
    figures["meets_target"] = met
    return figures


def _rows(
    strategy: str,
    n: int,
    runs: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
    speedup: float,
    same: bool,
    detail: str,
) -> list[dict[str, str]]:
    test, before, after = runs
    rate = n / after["seconds"]
    return [
        row(
            f"{strategy}: replay after vs before",
            f"{rate:,.0f} candles/s",
            f"{n / before['seconds']:,.0f} candles/s",
            f"{speedup:.1f}x",
            f">= {TARGET_SPEEDUP:.0f}x",
            speedup >= TARGET_SPEEDUP,
            note=f"{seconds(after['seconds'])} vs {seconds(before['seconds'])} (code before)",
        ),
        row(
            f"{strategy}: replay after vs backtest",
            seconds(after["seconds"]),
            seconds(test["seconds"]),
            f"x {after['seconds'] / test['seconds']:.0f}",
        ),
        row(
            f"{strategy}: after: replay's trades = backtest's",
            target="equal",
            passed=same,
            note=detail,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the table (and write the figures as JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[3_000, 20_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before-ref", help="git ref of the code before (default: merge-base)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker[0], Path(args.worker[1]), Path(args.worker[2]))
        return 0
    figures = run(tuple(args.rows), args.repeat, args.before_ref)
    print(format_table(figures["table"]))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 0 if figures["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
