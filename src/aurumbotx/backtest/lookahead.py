"""Lookahead guard: does a signal or an indicator change when the future is cut off?

For each checked candle t the strategy runs again on the candles up to t only, and its row t is
compared, column by column (signals and every indicator it returns), with row t of the run on
the whole history. Any difference means `populate` used data after t: the backtest's results
cannot be trusted. This is freqtrade's lookahead-analysis idea; `aurumbotx check-lookahead`
checks every signal (or `--max-signals` of them), and every backtest checks a sample and warns.
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
                f"no lookahead found: {self.checked} candle(s) re-computed without the future, "
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
    """Re-run the strategy cut just after signals (a sample when `max_signals` is set).

    `extra_candles` random non-signal candles are checked too: a strategy that only signals
    when it can see the future is caught there.
    """
    full = full if full is not None else compute_signals(strategy, candles)
    signal_rows = np.flatnonzero(full["enter_long"].to_numpy() | full["exit_long"].to_numpy())
    rng = np.random.default_rng(seed)
    rows = signal_rows
    if max_signals is not None and len(rows) > max_signals:
        rows = np.sort(rng.choice(rows, size=max_signals, replace=False))
    if extra_candles:
        start = max(strategy.startup_candles, 1)
        if len(candles) > start:
            quiet = rng.integers(start, len(candles), size=extra_candles)
            rows = np.unique(np.concatenate([rows, quiet]))
    # The last candle has no future to remove.
    rows = rows[rows < len(candles) - 1]
    report = LookaheadReport(strategy.name, checked=len(rows), signals_total=len(signal_rows))
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
