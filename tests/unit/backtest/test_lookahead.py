"""The lookahead sample: deterministic, spread over the data, and still catching a cheat."""

import numpy as np
import pandas as pd

from aurumbotx.backtest.lookahead import check_lookahead, spread_sample
from aurumbotx.strategies.base import Strategy, compute_signals
from aurumbotx.strategies.registry import create_strategy
from aurumbotx.testing.market import load_shared_candles


def test_spread_sample_keeps_first_last_and_covers_every_quarter() -> None:
    rows = np.arange(10_000, 50_000, 7)
    picked = spread_sample(rows, 40)
    assert len(picked) == 40
    assert len(np.unique(picked)) == 40
    assert picked[0] == rows[0]
    assert picked[-1] == rows[-1]
    assert np.all(np.diff(picked) > 0)
    assert set(picked) <= set(rows)
    quarters = np.array_split(rows, 4)
    assert all(np.isin(q, picked).sum() >= 5 for q in quarters)


def test_spread_sample_is_deterministic_and_seeded() -> None:
    rows = np.arange(0, 3_000, 3)
    assert np.array_equal(spread_sample(rows, 25), spread_sample(rows, 25))
    assert not np.array_equal(spread_sample(rows, 25, seed=0), spread_sample(rows, 25, seed=1))
    assert np.array_equal(spread_sample(rows, 2), [0, 2_997])
    assert np.array_equal(spread_sample(rows, 1), [0])
    assert np.array_equal(spread_sample(rows, 5_000), rows)
    assert len(spread_sample(rows, 0)) == 0


class Peeking(Strategy):
    """Cheats: buys before rises it can only know from the next candle."""

    name = "peeking"

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        future = candles["close"].shift(-1)
        up = (future > candles["close"] * 1.002).fillna(False)
        return pd.DataFrame(
            {"enter_long": up, "exit_long": pd.Series(False, index=candles.index)},
            index=candles.index,
        ).assign(next_close=future)


def test_a_small_sample_still_catches_a_cheat_and_counts_what_it_checked() -> None:
    candles = load_shared_candles("binance_BTC-USDT_1h", rows=2_000)
    full = compute_signals(Peeking(), candles)
    signals = int((full["enter_long"] | full["exit_long"]).sum())
    report = check_lookahead(Peeking(), candles, max_signals=5, extra_candles=4)
    assert report.biased
    assert report.signals_total == signals
    assert report.signals_checked == 5
    assert report.checked == 9
    assert "next_close" in report.columns


def test_without_a_limit_every_signal_is_checked_plus_quiet_candles() -> None:
    candles = load_shared_candles("binance_BTC-USDT_1h", rows=1_500)
    strategy = create_strategy("sma_cross")
    full = compute_signals(strategy, candles)
    is_signal = (full["enter_long"] | full["exit_long"]).to_numpy()
    seen: list[int] = []
    report = check_lookahead(
        strategy, candles, extra_candles=6, progress=lambda d, t: seen.append(t)
    )
    checkable = int(is_signal[:-1].sum())
    assert not report.biased
    assert report.signals_total == int(is_signal.sum())
    assert report.signals_checked == checkable
    assert report.checked == checkable + 6
    assert seen[-1] == report.checked
    assert f"({checkable:,} of {report.signals_total:,} signal(s))" in report.summary()
