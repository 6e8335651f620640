"""TradeRecord keeps the engine's epoch milliseconds and shows them as UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from aurumbotx.backtest.result import TradeRecord


def record(entry_ts: int, exit_ts: int | None) -> TradeRecord:
    return TradeRecord(
        "BTC/USDT",
        "long",
        entry_ts,
        Decimal("42000.5"),
        Decimal("0.25"),
        Decimal("21.0"),
        Decimal("-3.5"),
        exit_ts,
        Decimal("41990") if exit_ts is not None else None,
        "signal" if exit_ts is not None else None,
    )


def test_times_are_exact_utc_datetimes_of_the_milliseconds() -> None:
    # 2024-02-29 23:59:59.999 UTC: a float division by 1000 would risk the last millisecond.
    trade = record(1_709_251_199_999, 1_709_251_200_001)
    assert trade.entry_time == datetime(2024, 2, 29, 23, 59, 59, 999_000, tzinfo=UTC)
    assert trade.exit_time == datetime(2024, 3, 1, 0, 0, 0, 1_000, tzinfo=UTC)
    assert trade.entry_time.tzinfo is UTC
    assert not trade.is_open
    data = trade.to_dict()
    assert data["entry_time"] == "2024-02-29T23:59:59.999000+00:00"
    assert data["exit_time"] == "2024-03-01T00:00:00.001000+00:00"
    assert (data["entry_price"], data["amount"], data["profit_loss"]) == ("42000.5", "0.25", "-3.5")


def test_an_open_trade_has_no_exit_time() -> None:
    trade = record(0, None)
    assert trade.entry_time == datetime(1970, 1, 1, tzinfo=UTC)
    assert trade.exit_time is None
    assert trade.is_open
    assert trade.to_dict()["exit_time"] is None
