"""Benchmark: our backtester against vectorbt and backtesting.py, parity and speed in one table.

Strategy everywhere: SMA(10) / SMA(50) of the close, buy all-in when the fast one crosses
strictly above, sell everything when it crosses strictly below; market orders at the NEXT
candle's open, fee 0.1 % per side on notional, 10,000 quote starting cash, long-only. A position
still open at the end is valued at the last close without an exit fee (all three do that).

1. Parity, on the shared real candles binance_BTC-USDT_1h.csv.gz: the signals are computed ONCE
   with our `crossings()` on our TA-Lib `sma` and fed to both peers (vectorbt's `crossed_above`
   counts a touch of equal values as a cross, our rule does not), shifted one candle for
   vectorbt (`price=open`), placed in `next()` for backtesting.py (its default next-open fill).
   backtesting.py trades whole units: `FractionalBacktest` with the finest unit in which the
   largest position is still an exact float64 integer makes that rounding negligible; its
   default 1-satoshi unit is shown as well. Reported: trades, trades
   whose entry/exit time or price differ, final equity and its relative difference to ours.
2. Speed, on `real_million()` (1,000,000 real candles on a 1-minute clock):
   in-process backtest (signals + simulation; ours = `run_backtest` end to end, vectorbt =
   MA x2 + crossed_above/below + warm `from_signals`, backtesting.py = `Backtest(...).run()`),
   timed in `repeat` interleaved rounds (ours, vectorbt, backtesting.py, then again), each
   figure the best of its rounds, the ratios of each round shown as a range; the whole
   `aurumbotx backtest` command against a cold-start vectorbt script reading the same Parquet
   file, median of `command_runs` after one warm-up each;
   `CandleStore.load` of the million candles, best of `repeat`.
vectorbt gets a tz-naive index (a tz-aware one makes it much slower; one such run is shown).

    .venv/bin/python bench/bench_backtest.py [--rows N] [--repeat R] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from common import (
    SHARED_DATA,
    Trade,
    best_of,
    compare_trades,
    format_table,
    heading,
    real_million,
    relative,
    row,
    seconds,
    versions,
    wall_time,
)

from aurumbotx.backtest.result import BacktestResult
from aurumbotx.backtest.runner import BacktestConfig, run_backtest
from aurumbotx.data.store import CandleStore
from aurumbotx.indicators import sma
from aurumbotx.strategies.registry import create_strategy
from aurumbotx.strategies.sma_cross import crossings
from aurumbotx.testing.market import make_candle_frame

FAST, SLOW = 10, 50
FEE = 0.001
CAPITAL = 10_000
PARITY_FILE = "binance_BTC-USDT_1h.csv.gz"
PARITY_PAIR = "BTC/USDT"
SPEED_PAIR = "X/USDT"
EXACT_INTEGERS = 2**53  # float64 holds every integer below this
SATOSHI = 1e-8  # FractionalBacktest's default unit
PARITY_TOLERANCE = 1e-6  # final equity, relative
PRICE_TOLERANCE = 1e-12  # relative; absorbs backtesting.py's price scaling round trip
TARGET_VS_VECTORBT = 2.0  # ours / vectorbt, in-process
TARGET_VS_BACKTESTING = 10.0  # backtesting.py / ours, in-process
TARGET_LOAD_S = 0.2
T = TypeVar("T")
LIBRARIES = {  # label -> distribution, for the versions line
    "aurumbotx": "aurumbotx",
    "numpy": "numpy",
    "pandas": "pandas",
    "TA-Lib": "TA-Lib",
    "pyarrow": "pyarrow",
    "vectorbt": "vectorbt",
    "numba": "numba",
    "backtesting.py": "backtesting",
}
DEFAULT_ROWS = 1_000_000
DEFAULT_REPEAT = 5
COMMAND_RUNS = 5
COMMAND_SHOWN = (
    f"aurumbotx backtest --strategy sma_cross --data {SPEED_PAIR} --timeframe 1m "
    "--json OUT --no-record"
)

# The cold-start peer of `aurumbotx backtest`: argv = parquet, fast, slow, fee, capital.
VECTORBT_SCRIPT = '''\
"""SMA cross backtest in vectorbt from a cold start; written and run by bench_backtest.py."""
import json
import sys

import pandas as pd
import vectorbt as vbt

path, fast, slow, fee, capital = sys.argv[1:]
raw = pd.read_parquet(path)
index = pd.DatetimeIndex(pd.to_datetime(raw["timestamp"].to_numpy(), unit="ms"))  # tz-naive
close = pd.Series(raw["close"].to_numpy(), index=index)
open_ = pd.Series(raw["open"].to_numpy(), index=index)
fast_ma = vbt.MA.run(close, int(fast))
slow_ma = vbt.MA.run(close, int(slow))
entries = fast_ma.ma_crossed_above(slow_ma).shift(1, fill_value=False)
exits = fast_ma.ma_crossed_below(slow_ma).shift(1, fill_value=False)
portfolio = vbt.Portfolio.from_signals(
    close, entries, exits, price=open_, fees=float(fee), init_cash=float(capital),
    direction="longonly", min_size=0.0,
)
print(json.dumps({"final_value": float(portfolio.final_value()),
                  "trades": int(portfolio.trades.count())}))
'''


def say(message: str) -> None:
    """Progress on stderr: the run takes minutes."""
    print(f"[bench_backtest] {message}", file=sys.stderr, flush=True)


def import_peers() -> tuple[ModuleType, ModuleType]:
    """vectorbt and backtesting, with backtesting.py's progress bar off (before tqdm loads)."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    import backtesting
    import vectorbt

    return vectorbt, backtesting


# -- the three backtesters -----------------------------------------------------------------------


def shared_signals(close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(enter, exit) at each candle close: our strict crossings of our SMAs."""
    return crossings(sma(close, FAST), sma(close, SLOW))


def next_open(signal: np.ndarray) -> np.ndarray:
    """A signal at the close of t as an order executed at the open of t + 1."""
    shifted = np.zeros_like(signal)
    shifted[1:] = signal[:-1]
    return shifted


def run_ours(frame: pd.DataFrame, pair: str, timeframe: str) -> BacktestResult:
    """Our backtest, end to end: strategy signals, engine, metrics."""
    return run_backtest(create_strategy("sma_cross"), {pair: frame}, timeframe, BacktestConfig())


def vbt_signals(vbt: ModuleType, close: pd.Series) -> tuple[pd.Series, pd.Series]:
    """vectorbt's own SMA crossings, shifted to execute at the next open."""
    fast = vbt.MA.run(close, FAST)
    slow = vbt.MA.run(close, SLOW)
    enter = fast.ma_crossed_above(slow).shift(1, fill_value=False)
    leave = fast.ma_crossed_below(slow).shift(1, fill_value=False)
    return enter, leave


def vbt_simulate(vbt: ModuleType, frame: pd.DataFrame, enter: Any, leave: Any) -> Any:
    """vectorbt's portfolio for next-open entries/exits, all-in long-only."""
    return vbt.Portfolio.from_signals(
        frame["close"],
        enter,
        leave,
        price=frame["open"],
        fees=FEE,
        init_cash=CAPITAL,
        direction="longonly",
        min_size=0.0,  # its default refuses orders under 1e-8 coins; ours has no minimum
    )


def vbt_final_value(vbt: ModuleType, frame: pd.DataFrame, enter: Any, leave: Any) -> float:
    """The warm simulation as timed: from_signals and the final value."""
    return float(vbt_simulate(vbt, frame, enter, leave).final_value())


def timed(fn: Callable[..., T], *args: Any) -> tuple[float, T]:
    """Wall time of one call, and its result."""
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def bt_strategy(backtesting: ModuleType, enter: np.ndarray, leave: np.ndarray) -> type:
    """A backtesting.py Strategy acting on precomputed signals (orders fill at the next open)."""
    enter_at, leave_at = enter.tolist(), leave.tolist()  # list indexing: cheapest per bar

    class SharedSignals(backtesting.Strategy):
        def init(self) -> None:
            pass

        def next(self) -> None:
            i = len(self.data) - 1
            if enter_at[i]:
                if not self.position:
                    self.buy()  # size 1 - eps: floor(equity / (open x (1 + fee))) units
            elif leave_at[i] and self.position:
                self.position.close()

    return SharedSignals


def finest_unit(largest_amount: float) -> float:
    """Finest power of ten in which `largest_amount` coins is an exact float64 integer."""
    digits = math.floor(math.log10(EXACT_INTEGERS / largest_amount))
    return float(f"1e{-digits}")


def bt_run(
    backtesting: ModuleType, frame: pd.DataFrame, enter: np.ndarray, leave: np.ndarray, unit: float
) -> pd.Series:
    """backtesting.py's run in units of `unit` coins; `frame` has a tz-naive index."""
    from backtesting.lib import FractionalBacktest

    data = frame.rename(columns=str.capitalize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "some trades remain open": expected, compared below
        test = FractionalBacktest(
            data,
            bt_strategy(backtesting, enter, leave),
            cash=CAPITAL,
            commission=FEE,
            fractional_unit=unit,
        )
        return test.run()


# -- parity --------------------------------------------------------------------------------------


def ours_trades(result: BacktestResult) -> list[Trade]:
    """Our trade records."""

    def ms(when: Any) -> int:
        return int(pd.Timestamp(when).value // 1_000_000)

    return [
        Trade(
            ms(t.entry_time),
            float(t.entry_price),
            ms(t.exit_time) if t.exit_time else None,
            float(t.exit_price) if t.exit_price is not None else None,
            float(t.amount),
        )
        for t in result.trades
    ]


def vbt_trades(portfolio: Any, index_ms: np.ndarray) -> list[Trade]:
    """vectorbt's trade records (status 0 = open, valued at the last close)."""
    return [
        Trade(
            int(index_ms[r["entry_idx"]]),
            float(r["entry_price"]),
            None if r["status"] == 0 else int(index_ms[r["exit_idx"]]),
            None if r["status"] == 0 else float(r["exit_price"]),
            float(r["size"]),
        )
        for r in portfolio.trades.values
    ]


def bt_trades(stats: pd.Series, index_ms: np.ndarray, unit: float) -> list[Trade]:
    """backtesting.py's closed trades (already in coins) plus its open ones (in units)."""
    closed = [
        Trade(
            int(index_ms[t.EntryBar]),
            float(t.EntryPrice),
            int(index_ms[t.ExitBar]),
            float(t.ExitPrice),
            float(t.Size),
        )
        for t in stats["_trades"].itertuples()
    ]
    still_open = [
        Trade(int(index_ms[t.entry_bar]), t.entry_price / unit, None, None, t.size * unit)
        for t in stats["_strategy"].trades
    ]
    return closed + still_open


def peer_parity(name: str, ours: list[Trade], equity: float, trades: list[Trade], final: float):
    """The parity figures of one peer against ours."""
    figures = compare_trades(ours, trades, PRICE_TOLERANCE) | {
        "trades": len(trades),
        "open_trades": sum(t.exit_ms is None for t in trades),
        "final_equity": final,
        "equity_rel_diff": relative(equity, final),
    }
    figures["meets_target"] = (
        len(trades) == len(ours)
        and figures["mismatches"] == 0
        and figures["equity_rel_diff"] <= PARITY_TOLERANCE
    )
    return {"peer": name} | figures


def parity(vbt: ModuleType, backtesting: ModuleType) -> dict[str, Any]:
    """Our backtest, vectorbt and backtesting.py on the shared BTC/USDT 1h candles."""
    path = SHARED_DATA / PARITY_FILE
    frame = make_candle_frame(pd.read_csv(path), source=path.name)
    naive = frame.tz_localize(None)
    index_ms = frame.index.as_unit("ms").asi8
    result = run_ours(frame, PARITY_PAIR, "1h")
    ours, equity = ours_trades(result), float(result.final_equity)
    enter, leave = shared_signals(frame["close"].to_numpy(np.float64))
    say("parity: vectorbt (the first from_signals compiles)")
    portfolio = vbt_simulate(
        vbt,
        naive,
        pd.Series(next_open(enter), naive.index),
        pd.Series(next_open(leave), naive.index),
    )
    peers = [
        peer_parity(
            "vectorbt",
            ours,
            equity,
            vbt_trades(portfolio, index_ms),
            float(portfolio.final_value()),
        )
    ]
    largest = max(t.amount for t in ours)
    unit = finest_unit(largest)
    for unit_, label in ((unit, f"unit {unit:g}"), (SATOSHI, "1 satoshi")):
        say(f"parity: backtesting.py, {label}")
        stats = bt_run(backtesting, naive, enter, leave, unit_)
        peers.append(
            peer_parity(
                f"backtesting.py ({label})",
                ours,
                equity,
                bt_trades(stats, index_ms, unit_),
                float(stats["Equity Final [$]"]),
            )
        )
        peers[-1]["fractional_unit"] = unit_
    return {
        "data": f"{path.name}, {len(frame):,} candles "
        f"({frame.index[0]:%Y-%m-%d} .. {frame.index[-1]:%Y-%m-%d})",
        "candles": len(frame),
        "ours": {"trades": len(ours), "open_trades": sum(t.exit_ms is None for t in ours)}
        | {"final_equity": equity},
        "peers": peers,
        "largest_position": largest,
        "fractional_unit": unit,
        "meets_target": all(p["meets_target"] for p in peers[:2]),
    }


def unit_note(figures: dict[str, Any], peer: dict[str, Any]) -> str:
    """Why backtesting.py's unit is what it is (under its chosen-unit rows)."""
    if peer.get("fractional_unit") != figures["fractional_unit"]:
        return ""
    largest, unit = figures["largest_position"], figures["fractional_unit"]
    return (
        f"unit: finest power of ten keeping the largest position ({largest:.4g} coins = "
        f"{largest / unit:.3g} units) an exact float64 integer (< 2**53)"
    )


def parity_rows(figures: dict[str, Any]) -> list[dict[str, str]]:
    """Table rows of the parity figures; the 1-satoshi run is shown without a target."""
    ours = figures["ours"]
    rows = [heading(f"parity on {figures['data']}, SMA {FAST}/{SLOW}")]
    for peer in figures["peers"]:
        name, shown_only = peer["peer"], peer.get("fractional_unit") == SATOSHI
        rows += [
            row(
                f"{name}: trades (open)",
                f"{ours['trades']} ({ours['open_trades']})",
                f"{peer['trades']} ({peer['open_trades']})",
                target="equal",
                passed=None if shown_only else peer["trades"] == ours["trades"],
            ),
            row(
                f"{name}: trades differing",
                peer=str(peer["mismatches"]),
                ratio=f"amount {peer['amount_max_rel_diff']:.0e}",
                target="0",
                passed=None if shown_only else peer["mismatches"] == 0,
                note=peer["first_mismatch"] or unit_note(figures, peer),
            ),
            row(
                f"{name}: final equity",
                f"{ours['final_equity']:,.6f}",
                f"{peer['final_equity']:,.6f}",
                f"{peer['equity_rel_diff']:.1e}",
                f"<= {PARITY_TOLERANCE:.0e}",
                None if shown_only else peer["equity_rel_diff"] <= PARITY_TOLERANCE,
                note="FractionalBacktest's default unit: shows its whole-unit rounding, no target"
                if shown_only
                else "",
            ),
        ]
    return rows


# -- speed in-process ----------------------------------------------------------------------------


def time_vectorbt_tz_aware(vbt: ModuleType, frame: pd.DataFrame) -> dict[str, Any]:
    """One vectorbt run on the tz-aware index our candle frames have, for comparison."""
    say("speed: vectorbt on the tz-aware index (one run, for comparison)")
    signals_s, (enter, leave) = best_of(1, lambda: vbt_signals(vbt, frame["close"]))
    simulate_s, _ = best_of(1, lambda: vbt_simulate(vbt, frame, enter, leave).final_value())
    return {
        "vectorbt_tz_aware_s": signals_s + simulate_s,
        "vectorbt_tz_aware_signals_s": signals_s,
        "vectorbt_tz_aware_from_signals_s": simulate_s,
    }


def speed(
    peers: tuple[ModuleType, ModuleType],
    frame: pd.DataFrame,
    repeat: int,
    bt_rows: int,
    unit: float,
) -> dict[str, Any]:
    """In-process times of the three on `frame`, in interleaved rounds, and their ratios.

    Each round times ours, vectorbt's signals, vectorbt's warm simulation and backtesting.py
    once, one after the other, so that a drift of the machine's speed during the run reaches
    all three alike; each figure is the best of its `repeat` rounds. The ratios of each round
    are kept as well (their spread shows how noisy the machine was).
    """
    vbt, backtesting = peers
    naive = frame.tz_localize(None)
    bt_rows = min(bt_rows, len(frame))
    head = naive.iloc[:bt_rows]

    def backtesting_run() -> pd.Series:
        enter, leave = shared_signals(head["close"].to_numpy(np.float64))
        return bt_run(backtesting, head, enter, leave, unit)

    say("speed: one warm-up run each (vectorbt compiles its simulation)")
    result = run_ours(frame, SPEED_PAIR, "1m")
    enter, leave = vbt_signals(vbt, naive["close"])
    vbt_final_value(vbt, naive, enter, leave)
    rounds: dict[str, list[float]] = {"ours": [], "signals": [], "simulate": [], "bt": []}
    final_value = 0.0
    say(f"speed: {repeat} interleaved rounds, {len(frame):,} candles (backtesting.py {bt_rows:,})")
    for _ in range(repeat):
        elapsed, result = timed(run_ours, frame, SPEED_PAIR, "1m")
        rounds["ours"].append(elapsed)
        elapsed, (enter, leave) = timed(vbt_signals, vbt, naive["close"])
        rounds["signals"].append(elapsed)
        elapsed, final_value = timed(vbt_final_value, vbt, naive, enter, leave)
        rounds["simulate"].append(elapsed)
        rounds["bt"].append(timed(backtesting_run)[0] * len(frame) / bt_rows)
    with tempfile.TemporaryDirectory(prefix="aurumbotx-bench-") as tmp:
        # What `--json` adds to the command: the trades and an n-point equity curve.
        json_s, _ = best_of(1, lambda: result.write_json(Path(tmp) / "result.json"))
    trades = int(vbt_simulate(vbt, naive, enter, leave).trades.count())
    up, down = shared_signals(frame["close"].to_numpy(np.float64))
    differing = int(np.sum(enter.to_numpy() != next_open(up)))
    differing += int(np.sum(leave.to_numpy() != next_open(down)))
    vbt_rounds = [a + b for a, b in zip(rounds["signals"], rounds["simulate"], strict=True)]
    figures: dict[str, Any] = {
        "candles": len(frame),
        "repeat": repeat,
        "ours_s": min(rounds["ours"]),
        "ours_final_equity": float(result.final_equity),
        "ours_trades": len(result.trades),
        "ours_write_json_s": json_s,
        "vectorbt_signals_s": min(rounds["signals"]),
        "vectorbt_from_signals_s": min(rounds["simulate"]),
        "vectorbt_final_value": float(final_value),
        "vectorbt_trades": trades,
        "vectorbt_signals_differing": differing,
        "backtesting_rows": bt_rows,
        "backtesting_measured_s": min(rounds["bt"]) * bt_rows / len(frame),
        "backtesting_s": min(rounds["bt"]),
        "rounds_s": rounds,
        "round_ours_over_vectorbt": [
            o / v for o, v in zip(rounds["ours"], vbt_rounds, strict=True)
        ],
        "round_backtesting_over_ours": [
            b / o for b, o in zip(rounds["bt"], rounds["ours"], strict=True)
        ],
    }
    figures["vectorbt_s"] = figures["vectorbt_signals_s"] + figures["vectorbt_from_signals_s"]
    figures |= time_vectorbt_tz_aware(vbt, frame)
    figures["ours_over_vectorbt"] = figures["ours_s"] / figures["vectorbt_s"]
    figures["backtesting_over_ours"] = figures["backtesting_s"] / figures["ours_s"]
    return figures


# -- whole commands and the store ----------------------------------------------------------------


def aurumbotx_command() -> list[str]:
    """The installed `aurumbotx` script next to this interpreter, else `python -m aurumbotx`."""
    script = Path(sys.executable).with_name("aurumbotx")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "aurumbotx"]


def commands(frame: pd.DataFrame, runs: int, repeat: int) -> dict[str, Any]:
    """`aurumbotx backtest` vs a cold vectorbt script on the same Parquet file; store load."""
    runs = max(runs, 1)
    with tempfile.TemporaryDirectory(prefix="aurumbotx-bench-") as tmp:
        root = Path(tmp)
        store = CandleStore(root / "data")
        parquet = store.save(SPEED_PAIR, "1m", frame)
        parquet_bytes = parquet.stat().st_size
        say(f"store: CandleStore.load, best of {repeat}")
        load_s, loaded = best_of(repeat, lambda: store.load(SPEED_PAIR, "1m"))
        loaded_rows = len(loaded)
        del loaded
        env = os.environ | {
            "AURUMBOTX_HOME": str(root / "home"),
            "AURUMBOTX_DATA_DIR": str(root / "data"),
        }
        out = root / "backtest.json"
        ours = [*aurumbotx_command(), "backtest", "--strategy", "sma_cross", "--data", SPEED_PAIR]
        ours += ["--timeframe", "1m", "--json", str(out), "--no-record"]
        script = root / "vectorbt_backtest.py"
        script.write_text(VECTORBT_SCRIPT, encoding="utf-8")
        peer = [sys.executable, str(script), str(parquet), str(FAST), str(SLOW), str(FEE)]
        peer.append(str(CAPITAL))
        say(f"commands: one warm-up each, then {runs} runs each, alternating")
        wall_time(ours, env)
        wall_time(peer, env)
        ours_s: list[float] = []
        peer_s: list[float] = []
        for _ in range(runs):
            ours_s.append(wall_time(ours, env)[0])
            elapsed, stdout = wall_time(peer, env)
            peer_s.append(elapsed)
        peer_result = json.loads(stdout.strip().splitlines()[-1])
        ours_final = json.loads(out.read_text(encoding="utf-8"))["run"]["final_equity"]
    return {
        "command": COMMAND_SHOWN,
        "runs": runs,
        "ours_runs_s": ours_s,
        "vectorbt_runs_s": peer_s,
        "ours_s": statistics.median(ours_s),
        "vectorbt_s": statistics.median(peer_s),
        "ours_final_equity": float(Decimal(ours_final)),
        "vectorbt_final_value": float(peer_result["final_value"]),
        "vectorbt_trades": int(peer_result["trades"]),
        "parquet_bytes": parquet_bytes,
        "store_load_s": load_s,
        "store_load_rows": loaded_rows,
    }


def spread(values: list[float]) -> str:
    """'lowest-highest' of per-round ratios."""
    return f"{min(values):.2f}-{max(values):.2f}"


def speed_rows(fig: dict[str, Any], cmd: dict[str, Any]) -> list[dict[str, str]]:
    """Table rows of the timings."""
    n, bt_rows, repeat = fig["candles"], fig["backtesting_rows"], fig["repeat"]
    bt_how = (
        f"on all {n:,} candles"
        if bt_rows == n
        else f"{seconds(fig['backtesting_measured_s'])} on the first {bt_rows:,} candles, "
        f"x {n / bt_rows:g} (linear extrapolation)"
    )
    aware = fig["vectorbt_tz_aware_s"]
    return [
        heading(f"speed on {n:,} real candles, 1-minute clock (real_million)"),
        row(
            f"in-process, best of {repeat}, vs vectorbt",
            seconds(fig["ours_s"]),
            seconds(fig["vectorbt_s"]),
            f"{fig['ours_over_vectorbt']:.2f}",
            f"ours/peer <= {TARGET_VS_VECTORBT:g}",
            fig["ours_over_vectorbt"] <= TARGET_VS_VECTORBT,
            note=f"vectorbt: MA x2 + crossed + shift {seconds(fig['vectorbt_signals_s'])}, "
            f"warm from_signals + final_value {seconds(fig['vectorbt_from_signals_s'])}; "
            f"ratio per round {spread(fig['round_ours_over_vectorbt'])}",
        ),
        row(
            "  vectorbt, tz-aware index, 1 run",
            peer=seconds(aware),
            ratio=f"x {aware / fig['vectorbt_s']:.0f}",
            note=f"MA x2 + crossed + shift {seconds(fig['vectorbt_tz_aware_signals_s'])}, "
            f"from_signals {seconds(fig['vectorbt_tz_aware_from_signals_s'])}; not used above",
        ),
        row(
            f"in-process, best of {repeat}, vs backtesting.py",
            seconds(fig["ours_s"]),
            seconds(fig["backtesting_s"]),
            f"{fig['backtesting_over_ours']:.2f}",
            f"peer/ours >= {TARGET_VS_BACKTESTING:g}",
            fig["backtesting_over_ours"] >= TARGET_VS_BACKTESTING,
            note=f"backtesting.py: signals + FractionalBacktest(...).run() {bt_how}; "
            f"ratio per round {spread(fig['round_backtesting_over_ours'])}",
        ),
        row(
            f"whole command, median of {cmd['runs']}, vs cold vectorbt",
            seconds(cmd["ours_s"]),
            seconds(cmd["vectorbt_s"]),
            f"{cmd['ours_s'] / cmd['vectorbt_s']:.2f}",
            "ours/peer < 1",
            cmd["ours_s"] < cmd["vectorbt_s"],
            note=f"ours: {cmd['command']}",
        ),
        row(
            "  ours: BacktestResult.write_json, 1 run",
            seconds(fig["ours_write_json_s"]),
            note="in-process; part of the command's time above (--json OUT)",
        ),
        row(
            f"CandleStore.load, best of {repeat}",
            seconds(cmd["store_load_s"]),
            target=f"< {TARGET_LOAD_S:g} s",
            passed=cmd["store_load_s"] < TARGET_LOAD_S,
        ),
    ]


def run(
    n: int = DEFAULT_ROWS,
    repeat: int = DEFAULT_REPEAT,
    bt_rows: int | None = None,
    command_runs: int = COMMAND_RUNS,
) -> dict[str, Any]:
    """Parity on the shared 1h candles, then speed on `n` candles; figures and table rows."""
    vbt, backtesting = import_peers()
    parity_figures = parity(vbt, backtesting)
    say(f"building {n:,} candles")
    frame = real_million(n)
    speed_figures = speed(
        (vbt, backtesting), frame, repeat, bt_rows or n, parity_figures["fractional_unit"]
    )
    command_figures = commands(frame, command_runs, repeat)
    rows = parity_rows(parity_figures) + speed_rows(speed_figures, command_figures)
    checks = [r["result"] for r in rows if r.get("result")]
    return {
        "benchmark": "backtest",
        "rows": n,
        "repeat": repeat,
        "data": f"parity: {parity_figures['data']}; speed: {n:,} real candles, 1-minute clock",
        "parity": parity_figures,
        "speed": speed_figures,
        "commands": command_figures,
        "versions": versions(LIBRARIES),
        "table": rows,
        "meets_target": all(check == "PASS" for check in checks),
    }


def footer(figures: dict[str, Any]) -> list[str]:
    """Cross-checks and versions printed under the table."""
    speed_figures, cmd = figures["speed"], figures["commands"]
    same_ours = relative(speed_figures["ours_final_equity"], cmd["ours_final_equity"])
    same_peer = relative(speed_figures["vectorbt_final_value"], cmd["vectorbt_final_value"])
    listed = ", ".join(f"{k} {v}" for k, v in figures["versions"].items())
    own = relative(speed_figures["ours_final_equity"], speed_figures["vectorbt_final_value"])
    return [
        f"commands vs in-process: ours' final equity {same_ours:.1e} relative; vectorbt "
        f"script's {same_peer:.1e}, {cmd['vectorbt_trades']} trades "
        f"(in-process {speed_figures['vectorbt_trades']})",
        f"speed data, vectorbt with its own MA and crossings: "
        f"{speed_figures['vectorbt_signals_differing']} signals differ from ours, "
        f"{speed_figures['vectorbt_trades']} trades (ours {speed_figures['ours_trades']}), "
        f"final equity {own:.1e} relative from ours",
        f"versions: {listed}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="candles of the speed runs")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="best of R")
    parser.add_argument(
        "--bt-rows",
        type=int,
        default=None,
        help="time backtesting.py on the first N candles and extrapolate (default: all)",
    )
    parser.add_argument("--command-runs", type=int, default=COMMAND_RUNS, help="median of N")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures here")
    args = parser.parse_args(argv)
    figures = run(args.rows, args.repeat, args.bt_rows, args.command_runs)
    print(format_table(figures["table"]))
    print("\n".join(footer(figures)))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str), encoding="utf-8")
    return 0 if figures["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
