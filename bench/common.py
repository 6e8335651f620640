"""Shared helpers of the benchmarks: the 1,000,000-candle data set and timing."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
# Real candles, chained as they are (the price jumps at each seam; see real_million).
SEGMENTS = (
    "binance_BTC-USDT_5m",
    "binance_ETH-USDT_5m",
    "binance_BTC-USDT_1m",
    "binance_ETH-USDT_1m",
    "binance_BTC-USDT_1h",
    "binance_ETH-USDT_1h",
    "binance_SOL-USDT_1h",
    "binance_XRP-USDT_1h",
)


def real_million(rows: int = 1_000_000) -> pd.DataFrame:
    """`rows` real Binance candles on a continuous 1-minute clock (see SEGMENTS).

    The shared 5m, 1m and 1h files of BTC, ETH, SOL and XRP are chained (and repeated until there
    are enough rows) and every candle is relabelled one minute after the previous. Prices and
    volumes are real; at each of the few seams the price jumps to the next file's level.
    """
    pieces = []
    total = 0
    while total < rows:
        for name in SEGMENTS:
            raw = pd.read_csv(SHARED_DATA / f"{name}.csv.gz")
            pieces.append(raw[["open", "high", "low", "close", "volume"]].to_numpy(np.float64))
            total += len(raw)
            if total >= rows:
                break
    values = np.vstack(pieces)[:rows]
    index = pd.date_range("2020-01-01", periods=rows, freq="1min", tz="UTC", name="timestamp")
    return pd.DataFrame(values, index=index, columns=["open", "high", "low", "close", "volume"])


def best_of(runs: int, fn: Callable[[], object]) -> tuple[float, object]:
    """Smallest wall time of `runs` calls (and the last result)."""
    best = float("inf")
    result: object = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


# -- the printed table -------------------------------------------------------------------------
# A benchmark's `run()` may return "table": a list of dicts with the keys of COLUMNS (strings,
# already formatted) and optionally "note" (a line printed under the row) or "heading" (a row
# that only names a group). `bench/run_all.py` prints the rows of every benchmark in one table.

COLUMNS = ("measure", "ours", "peer", "ratio", "target", "result")
HEADERS = ("measure", "AurumBotX", "peer", "ratio / diff", "target", "result")


def row(
    measure: str,
    ours: str = "",
    peer: str = "",
    ratio: str = "",
    target: str = "",
    passed: bool | None = None,
    note: str = "",
) -> dict[str, str]:
    """One table row; `passed` None means information only (no target)."""
    result = "" if passed is None else ("PASS" if passed else "MISS")
    cells = dict(zip(COLUMNS, (measure, ours, peer, ratio, target, result), strict=True))
    return cells | ({"note": note} if note else {})


def heading(text: str) -> dict[str, str]:
    """A row that names the group of rows below it."""
    return {"heading": text}


def format_table(rows: list[dict[str, str]]) -> str:
    """The rows as aligned text: headings flush left, notes under their row."""
    cells = [HEADERS] + [tuple(r.get(c, "") for c in COLUMNS) for r in rows if "heading" not in r]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]

    def line(values: tuple[str, ...]) -> str:
        first = f"  {values[0]:<{widths[0]}}"
        rest = [f"{v:>{w}}" for v, w in zip(values[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    out = [line(HEADERS)]
    for r in rows:
        if "heading" in r:
            out.append(r["heading"])
            continue
        out.append(line(tuple(r.get(c, "") for c in COLUMNS)))
        if r.get("note"):
            out.append(f"      {r['note']}")
    return "\n".join(out)


def seconds(value: float) -> str:
    """A duration for the table: us below a millisecond, ms below a second, else s."""
    if value < 1e-3:
        return f"{value * 1e6:.1f} us"
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.3f} s"


# -- measuring -----------------------------------------------------------------------------------


def wall_time(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Process start to exit in seconds (time.perf_counter), and its stdout; raises on failure."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed, done.stdout


def versions(distributions: dict[str, str]) -> dict[str, str]:
    """Python, CPU count, our engine's build and each distribution's version (label -> name)."""
    from aurumbotx import NATIVE_BUILD

    found = {
        "python": platform.python_version(),
        "machine": f"{os.cpu_count()} CPU(s)",
        "engine": NATIVE_BUILD.describe(),
    }
    return found | {label: version(name) for label, name in distributions.items()}


# -- comparing trades between backtesters --------------------------------------------------------


class Trade(NamedTuple):
    """One round trip in plain floats, times in epoch ms; exit fields None while open."""

    entry_ms: int
    entry_price: float
    exit_ms: int | None
    exit_price: float | None
    amount: float


def relative(a: float, b: float) -> float:
    """|a - b| / |a| (|b| when a is 0)."""
    return abs(a - b) / abs(a) if a else abs(b)


def _same_price(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return relative(a, b) <= tolerance


def compare_trades(ours: list[Trade], peer: list[Trade], price_tolerance: float) -> dict[str, Any]:
    """Trades whose times differ or prices differ beyond `price_tolerance` (relative), the
    first one described, and the largest relative amount difference of the matching ones."""
    mismatches = abs(len(ours) - len(peer))
    first = f"trade counts differ: {len(ours)} vs {len(peer)}" if mismatches else ""
    worst_amount = 0.0
    for k, (a, b) in enumerate(zip(ours, peer, strict=False)):
        same = (
            a.entry_ms == b.entry_ms
            and a.exit_ms == b.exit_ms
            and _same_price(a.entry_price, b.entry_price, price_tolerance)
            and _same_price(a.exit_price, b.exit_price, price_tolerance)
        )
        if same:
            worst_amount = max(worst_amount, relative(a.amount, b.amount))
            continue
        mismatches += 1
        if not first or first.startswith("trade counts"):
            first = f"trade #{k}: ours {a}, peer {b}"
    return {"mismatches": mismatches, "first_mismatch": first, "amount_max_rel_diff": worst_amount}
