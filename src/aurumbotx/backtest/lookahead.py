"""Lookahead guard: does a signal or an indicator change when the future is cut off?

For each checked candle t the strategy runs again on the candles up to t only, and its row t is
compared, column by column (signals and every indicator it returns), with row t of the run on
the whole history. Any difference means `populate` used data after t: the backtest's results
cannot be trusted. This is freqtrade's lookahead-analysis idea; `aurumbotx check-lookahead`
checks a sample (or every signal with `--all`), and every backtest checks a smaller one and warns.

A sample is deterministic and spread over the data: the first and the last signal, half of it
evenly spaced between them, the rest drawn with a fixed seed (a stride alone could keep
landing on the same hour of the day). Each cut is the whole history up to t, not just the
strategy's startup tail: recursive indicators (EMA, Wilder's RSI and ADX, MACD) remember every
candle, so a tail would change them by itself and report a bias that is not there (swing's
EMA 50 differs by 5e-5 with no margin), and a longer-memory user indicator would need a margin
nobody knows. A whole-history cut costs a few ms on 64,000 candles; the sample keeps it small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aurumbotx.strategies.base import Strategy, compute_signals

RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Difference:
    """One value that changed when the future was removed."""

    time: pd.Timestamp
    column: str
    with_future: object
    without_future: object


@dataclass
class LookaheadReport:
    """What was checked and what changed."""

    strategy: str
    checked: int
    signals_total: int
    signals_checked: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def biased(self) -> bool:
        """True when any signal or indicator changed."""
        return bool(self.differences)

    @property
    def columns(self) -> list[str]:
        """Columns that changed, most frequent first."""
        counts: dict[str, int] = {}
        for diff in self.differences:
            counts[diff.column] = counts.get(diff.column, 0) + 1
        return sorted(counts, key=lambda c: -counts[c])

    def summary(self) -> str:
        """One line for people."""
        if not self.biased:
            return (
                f"no lookahead found: {self.checked} candle(s) re-computed without the future "
                f"({self.signals_checked:,} of {self.signals_total:,} signal(s)), "
                "every signal and indicator identical"
            )
        first = self.differences[0]
        return (
            f"LOOKAHEAD BIAS in {self.strategy}: {len(self.differences)} value(s) change when "
            f"the future is cut off (columns: {', '.join(self.columns)}); first at {first.time}: "
            f"{first.column} = {first.with_future!r} with the future, "
            f"{first.without_future!r} without"
        )


def _same(a: object, b: object) -> bool:
    if isinstance(a, float | np.floating) and isinstance(b, float | np.floating):
        if np.isnan(a) and np.isnan(b):
            return True
        return bool(np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=0.0))
    return bool(a == b)


def spread_sample(rows: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """`size` of `rows` (sorted): first and last, half evenly spaced, the rest seeded-random."""
    if size >= len(rows):
        return rows
    if size <= 0:
        return rows[:0]
    even = np.unique(np.linspace(0, len(rows) - 1, max((size + 1) // 2, min(size, 2))).round())
    picked = even.astype(np.int64)
    rest = np.setdiff1d(np.arange(len(rows)), picked)
    extra = np.random.default_rng(seed).choice(rest, size=size - len(picked), replace=False)
    return rows[np.sort(np.concatenate([picked, extra]))]


def check_lookahead(
    strategy: Strategy,
    candles: pd.DataFrame,
    *,
    max_signals: int | None = None,
    extra_candles: int = 0,
    seed: int = 0,
    full: pd.DataFrame | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LookaheadReport:
    """Re-run the strategy cut just after signals (a spread sample when `max_signals` is set).

    `extra_candles` seeded-random quiet candles are checked too: a strategy that only signals
    when it can see the future is caught there.
    """
    full = full if full is not None else compute_signals(strategy, candles)
    is_signal = full["enter_long"].to_numpy(bool) | full["exit_long"].to_numpy(bool)
    signal_rows = np.flatnonzero(is_signal)
    # The last candle has no future to remove.
    checkable = signal_rows[signal_rows < len(candles) - 1]
    rows = checkable if max_signals is None else spread_sample(checkable, max_signals, seed)
    signals_checked = len(rows)
    quiet = np.flatnonzero(~is_signal[: len(candles) - 1])
    quiet = quiet[quiet >= max(strategy.startup_candles, 1)]
    if extra_candles and len(quiet):
        rng = np.random.default_rng(seed + 1)
        picked = rng.choice(quiet, size=min(extra_candles, len(quiet)), replace=False)
        rows = np.union1d(rows, picked)
    report = LookaheadReport(
        strategy.name,
        checked=len(rows),
        signals_total=len(signal_rows),
        signals_checked=signals_checked,
    )
    columns = list(full.columns)
    for n, row in enumerate(rows):
        cut = compute_signals(strategy, candles.iloc[: row + 1])
        for column in columns:
            with_future = full[column].iloc[row]
            without = cut[column].iloc[row] if column in cut.columns else None
            if not _same(with_future, without):
                report.differences.append(
                    Difference(full.index[row], column, _plain(with_future), _plain(without))
                )
        if progress is not None:
            progress(n + 1, len(rows))
    return report


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value
