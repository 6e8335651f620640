"""The report's tables from hand-computed trades: exit reasons, pairs, days, weeks, durations."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest

from aurumbotx.backtest.report_tables import (
    STILL_OPEN,
    TOTAL,
    duration_summary,
    exit_reason_summary,
    highlights,
    pair_summary,
    period_breakdown,
    streaks,
    total_fees,
)
from aurumbotx.backtest.result import TradeRecord

H = pd.Timedelta(hours=1)


def ms(year: int, month: int, day: int, hour: int) -> int:
    """Epoch milliseconds of a UTC hour."""
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp() * 1000)


def make_trade(
    pair: str, entry: int, exit_: int | None, reason: str | None, pnl: str, fees: str
) -> TradeRecord:
    """A long trade with the given times (epoch ms), exit reason, net P/L and fees."""
    return TradeRecord(
        pair=pair,
        side="long",
        entry_ts=entry,
        entry_price=Decimal(100),
        amount=Decimal(1),
        fees=Decimal(fees),
        profit_loss=Decimal(pnl),
        exit_ts=exit_,
        exit_price=None if exit_ is None else Decimal(100),
        exit_reason=reason,
    )


# 2024-01-01 is a Monday: Jan 1-7 is ISO week 2024-W01, Jan 8 starts 2024-W02.
TRADES = [
    make_trade("BTC/USDT", ms(2024, 1, 1, 10), ms(2024, 1, 1, 16), "signal", "10.50", "1.00"),
    make_trade("BTC/USDT", ms(2024, 1, 6, 22), ms(2024, 1, 8, 2), "stop_loss", "-4.25", "0.75"),
    make_trade("ETH/USDT", ms(2024, 1, 7, 0), ms(2024, 1, 7, 12), "take_profit", "2.00", "0.50"),
    make_trade("ETH/USDT", ms(2024, 1, 8, 6), None, None, "-1.00", "0.25"),  # still open
    make_trade("BTC/USDT", ms(2024, 1, 7, 1), ms(2024, 1, 7, 3), "signal", "0", "0.50"),
]
END = pd.Timestamp("2024-01-08 18:00", tz="UTC")


def closes(values: list[float]) -> pd.Series:
    index = pd.date_range("2024-01-01", periods=len(values), freq="1D", tz="UTC")
    return pd.Series(values, index=index)


def test_summary_by_exit_reason() -> None:
    table = exit_reason_summary(TRADES, END).set_index("exit_reason")
    assert list(table.index) == ["signal", "stop_loss", "take_profit", STILL_OPEN]
    assert table["trades"].tolist() == [2, 1, 1, 1]
    assert table["wins"].tolist() == [1, 0, 1, 0]  # the break-even signal trade is no win
    assert table["losses"].tolist() == [0, 1, 0, 1]
    assert table["win_rate"].tolist() == [0.5, 0.0, 1.0, 0.0]
    assert table["profit_loss"].tolist() == [
        Decimal("10.50"),
        Decimal("-4.25"),
        Decimal("2.00"),
        Decimal("-1.00"),
    ]
    assert table["mean_profit_loss"].tolist() == [
        Decimal("5.25"),
        Decimal("-4.25"),
        Decimal("2.00"),
        Decimal("-1.00"),
    ]
    # signal: (6 h + 2 h) / 2; stop: Sat 22:00 -> Mon 02:00; open: 06:00 -> the end at 18:00
    assert table["mean_duration"].tolist() == [4 * H, 28 * H, 12 * H, 12 * H]


def test_exit_reasons_without_an_end_leave_the_open_duration_undefined() -> None:
    table = exit_reason_summary(TRADES).set_index("exit_reason")
    assert table.loc[STILL_OPEN, "mean_duration"] is pd.NaT
    assert exit_reason_summary([]).empty


def test_per_pair_table_with_market_change_and_total() -> None:
    market = {"BTC/USDT": closes([100.0, 110.0, 125.0]), "ETH/USDT": closes([50.0, 45.0])}
    table = pair_summary(TRADES, market).set_index("pair")
    assert list(table.index) == ["BTC/USDT", "ETH/USDT", TOTAL]
    assert table["trades"].tolist() == [3, 1, 4]
    assert table["wins"].tolist() == [1, 1, 2]
    assert table["losses"].tolist() == [1, 0, 1]
    assert table["win_rate"].tolist() == pytest.approx([1 / 3, 1.0, 0.5])
    assert table["profit_loss"].tolist() == [Decimal("6.25"), Decimal("2.00"), Decimal("8.25")]
    assert table["open_trades"].tolist() == [0, 1, 1]
    assert table["open_profit_loss"].tolist() == [Decimal(0), Decimal("-1.00"), Decimal("-1.00")]
    assert table["fees"].tolist() == [Decimal("2.25"), Decimal("0.75"), Decimal("3.00")]
    # BTC 125 / 100 - 1, ETH 45 / 50 - 1, the total their equal-weight mean
    assert table["market_change"].tolist() == pytest.approx([0.25, -0.10, 0.075])


def test_a_pair_without_trades_still_has_its_market_change() -> None:
    table = pair_summary([], {"SOL/USDT": closes([20.0, 30.0])}).set_index("pair")
    assert table.loc["SOL/USDT", "trades"] == 0
    assert table.loc["SOL/USDT", "fees"] == Decimal(0)
    assert table.loc[TOTAL, "market_change"] == pytest.approx(0.5)


def test_daily_breakdown_by_utc_exit_day() -> None:
    table = period_breakdown(TRADES, "day")
    assert table["period"].tolist() == ["2024-01-01", "2024-01-07", "2024-01-08"]
    assert table["trades"].tolist() == [1, 2, 1]
    assert table["wins"].tolist() == [1, 1, 0]
    assert table["losses"].tolist() == [0, 0, 1]
    assert table["profit_loss"].tolist() == [Decimal("10.50"), Decimal("2.00"), Decimal("-4.25")]


def test_weekly_breakdown_by_iso_week_of_the_exit() -> None:
    table = period_breakdown(TRADES, "week")
    assert table["period"].tolist() == ["2024-W01", "2024-W02"]
    assert table["start"].tolist() == [
        pd.Timestamp("2024-01-01", tz="UTC"),
        pd.Timestamp("2024-01-08", tz="UTC"),
    ]
    assert table["trades"].tolist() == [3, 1]
    assert table["wins"].tolist() == [2, 0]
    assert table["losses"].tolist() == [0, 1]
    assert table["profit_loss"].tolist() == [Decimal("12.50"), Decimal("-4.25")]


def test_iso_week_across_new_year() -> None:
    # Tuesday 2024-12-31 belongs to ISO week 2025-W01, which starts on Monday 2024-12-30.
    trade = make_trade("BTC/USDT", ms(2024, 12, 31, 1), ms(2024, 12, 31, 5), "signal", "1", "0")
    table = period_breakdown([trade], "week")
    assert table["period"].tolist() == ["2025-W01"]
    assert table["start"].tolist() == [pd.Timestamp("2024-12-30", tz="UTC")]
    assert period_breakdown([], "day").empty


def test_durations_of_all_winners_and_losers() -> None:
    table = duration_summary(TRADES)
    # closed: 6 h (win), 28 h (loss), 12 h (win), 2 h (break-even); the open one is left out
    assert table.loc["all"].tolist() == [4, 12 * H, 2 * H, 28 * H]
    assert table.loc["winners"].tolist() == [2, 9 * H, 6 * H, 12 * H]
    assert table.loc["losers"].tolist() == [1, 28 * H, 28 * H, 28 * H]
    assert duration_summary([]).loc["all", "trades"] == 0


def test_total_fees_include_the_open_position() -> None:
    assert total_fees(TRADES) == Decimal("3.00")
    assert total_fees([]) == Decimal(0)


def test_streaks_of_wins_and_losses_in_exit_order() -> None:
    pnls = ["1", "2", "-1", "0", "3", "4", "5", "-2", "-3"]  # the 0 breaks the run
    trades = [
        make_trade("BTC/USDT", ms(2024, 1, 1, i), ms(2024, 1, 1, i + 1), "signal", pnl, "0")
        for i, pnl in enumerate(pnls)
    ]
    assert streaks(trades) == (3, 2)
    assert streaks(list(reversed(trades))) == (3, 2)  # exit order, not list order
    assert streaks([]) == (0, 0)


def test_highlights_best_and_worst_days_and_equity_extremes() -> None:
    index = pd.date_range("2024-01-01", periods=6, freq="1D", tz="UTC")
    equity = pd.Series([100.0, 120.0, 90.0, 130.0, 65.0, 80.0], index=index)
    found = highlights(TRADES, equity, period_breakdown(TRADES, "day"))
    assert found["best_trade"] is TRADES[0]
    assert found["worst_trade"] is TRADES[1]  # the open trade is not a candidate
    assert (found["best_day"]["period"], found["best_day"]["profit_loss"]) == (
        "2024-01-01",
        Decimal("10.50"),
    )
    assert found["worst_day"]["period"] == "2024-01-08"
    assert (found["winning_days"], found["losing_days"], found["even_days"]) == (2, 1, 0)
    assert found["min_equity"] == (index[4], 65.0)
    assert found["max_equity"] == (index[3], 130.0)
    # 120 -> 90 is -25 %, 130 -> 65 is -50 %: the deeper one is reported
    assert found["drawdown_peak"] == (index[3], 130.0)
    assert found["drawdown_low"] == (index[4], 65.0)


def test_highlights_of_an_empty_run() -> None:
    empty = pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype="float64")
    found = highlights([], empty, period_breakdown([], "day"))
    assert found["best_trade"] is None
    assert found["best_day"] is None
    assert found["drawdown_low"] is None
    assert found["max_consecutive_wins"] == 0
