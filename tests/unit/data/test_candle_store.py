"""The Parquet candle store: round trip, layout, atomic writes, merge, listing, rules, resolver."""

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aurumbotx.data import store as store_module
from aurumbotx.data.frames import frame_ms
from aurumbotx.data.store import CandleStore, resolve_data, to_ms
from aurumbotx.domain.errors import (
    CandleValidationError,
    InvalidInputError,
    NoDataError,
    NotFoundError,
)
from aurumbotx.domain.markets import MarketRules
from aurumbotx.testing.candles import make_random_candles


@pytest.fixture
def store(tmp_path: Path) -> CandleStore:
    return CandleStore(tmp_path / "data")


def test_round_trip_and_file_layout(store: CandleStore) -> None:
    frame = make_random_candles(500, "1h")
    path = store.save("btc/usdt", "1h", frame)
    assert path == store.root / "binance" / "BTC-USDT-1h.parquet"
    schema = pq.read_schema(path)
    assert schema.field("timestamp").type == pa.int64()
    assert all(schema.field(c).type == pa.float64() for c in frame.columns)
    assert pq.read_table(path).column("timestamp")[0].as_py() == frame_ms(frame)[0]
    loaded = store.load("BTC/USDT", "1h")
    pd.testing.assert_frame_equal(loaded, frame, check_freq=False)
    assert loaded.attrs == {
        "pair": "BTC/USDT",
        "timeframe": "1h",
        "source": str(path),
        "exchange": "binance",
    }


def test_load_range_is_half_open(store: CandleStore) -> None:
    store.save("ETH/USDT", "1h", make_random_candles(48, "1h", "2024-01-01"))
    part = store.load("ETH/USDT", "1h", start="2024-01-01 10:00", end="2024-01-02")
    assert part.index[0] == pd.Timestamp("2024-01-01 10:00", tz="UTC")
    assert part.index[-1] == pd.Timestamp("2024-01-01 23:00", tz="UTC")
    assert len(store.load("ETH/USDT", "1h", start=pd.Timestamp("2024-01-02", tz="UTC"))) == 24
    with pytest.raises(NoDataError, match="the store holds 2024-01-01 00:00 to 2024-01-02 23:00"):
        store.load("ETH/USDT", "1h", start="2025-01-01")
    with pytest.raises(NotFoundError, match="no SOL/USDT 1h candles from binance"):
        store.load("SOL/USDT", "1h")
    with pytest.raises(InvalidInputError, match="not a date"):
        store.load("ETH/USDT", "1h", start="yesterday-ish")


def test_save_validates_strictly(store: CandleStore) -> None:
    frame = make_random_candles(10, "1h")
    frame.iloc[3, frame.columns.get_loc("low")] = 1e9
    with pytest.raises(CandleValidationError, match=r"BTC/USDT 1h candles, row 4: low above"):
        store.save("BTC/USDT", "1h", frame)
    assert not store.exists("BTC/USDT", "1h")


def test_failed_write_leaves_the_old_file_and_no_temp_file(
    store: CandleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = make_random_candles(100, "1h")
    path = store.save("BTC/USDT", "1h", original)
    before = path.read_bytes()

    def crash(table: pa.Table, where: object, **kwargs: object) -> None:
        where.write(b"half a parquet file")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(store_module.pq, "write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        store.merge("BTC/USDT", "1h", make_random_candles(10, "1h", "2024-02-01"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["BTC-USDT-1h.parquet"]
    monkeypatch.undo()
    pd.testing.assert_frame_equal(store.load("BTC/USDT", "1h"), original, check_freq=False)


def test_merge_appends_dedupes_keeping_the_newest_and_sorts(store: CandleStore) -> None:
    full = make_random_candles(30, "1h")
    first = store.merge("BTC/USDT", "1h", full.iloc[10:20])
    assert (first.added, first.rows) == (10, 10)
    appended = store.merge("BTC/USDT", "1h", full.iloc[20:30])
    assert (appended.added, appended.rows) == (10, 20)
    # An older stretch plus an overlap whose values changed (the exchange corrected a candle).
    newer = full.iloc[5:12].copy()
    newer.loc[newer.index[-1], ["close", "high"]] = [500.0, 600.0]
    overlapping = store.merge("BTC/USDT", "1h", newer)
    assert (overlapping.added, overlapping.rows) == (5, 25)
    assert overlapping.first == frame_ms(full)[5]
    assert overlapping.last == frame_ms(full)[29]
    loaded = store.load("BTC/USDT", "1h")
    assert bool((np.diff(frame_ms(loaded)) > 0).all())
    assert loaded.loc[newer.index[-1], "close"] == 500.0
    expected = full.iloc[5:30].copy()
    expected.loc[newer.index[-1], ["close", "high"]] = [500.0, 600.0]
    pd.testing.assert_frame_equal(loaded, expected, check_freq=False, check_like=True)
    with pytest.raises(NoDataError):
        store.merge("XRP/USDT", "1h", full.iloc[:0])


def test_entries_list_ranges_rows_and_gaps(store: CandleStore) -> None:
    hourly = make_random_candles(100, "1h")
    store.save("BTC/USDT", "1h", hourly.drop(hourly.index[40:43]))
    store.save("BTC/USDT", "5m", make_random_candles(12, "5m"))
    store.save("ETH/USDT", "1h", make_random_candles(5, "1h"), exchange="kraken")
    entries = store.entries()
    assert [(e.exchange, e.pair, e.timeframe, e.rows, e.gaps, e.missing) for e in entries] == [
        ("binance", "BTC/USDT", "5m", 12, 0, 0),
        ("binance", "BTC/USDT", "1h", 97, 1, 3),
        ("kraken", "ETH/USDT", "1h", 5, 0, 0),
    ]
    assert entries[1].first == frame_ms(hourly)[0]
    assert entries[1].last == frame_ms(hourly)[-1]
    assert CandleStore(store.root / "nowhere").entries() == []


def test_market_rules_as_json_with_decimal_strings(store: CandleStore) -> None:
    btc = MarketRules(
        "BTC/USDT", Decimal("0.01"), Decimal("0.00001"), Decimal("0.00001"), Decimal("5")
    )
    eth = MarketRules("ETH/USDT", Decimal("0.01"), Decimal("0.0001"), None, Decimal("5"))
    assert store.save_market_rules("binance", [btc]) == 1
    store.save_market_rules("binance", [eth])  # adds, keeps BTC
    assert store.market_rules("binance", "btc-usdt") == btc
    assert store.market_rules("binance", "ETH/USDT") == eth
    assert store.market_rules("binance", "XRP/USDT") is None
    assert store.market_rules("kraken", "BTC/USDT") is None
    raw = json.loads((store.root / "binance" / "markets.json").read_text())
    assert raw["BTC/USDT"] == {
        "price_tick": "0.01",
        "amount_step": "0.00001",
        "min_amount": "0.00001",
        "min_notional": "5",
    }
    assert raw["ETH/USDT"]["min_amount"] is None
    with pytest.raises(InvalidInputError, match="not an exchange id"):
        store.save_market_rules("../etc", [btc])


def test_resolve_data_from_file_or_store(store: CandleStore, tmp_path: Path) -> None:
    frame = make_random_candles(24, "1h")
    store.save("BTC/USDT", "1h", frame)
    from_store = resolve_data("BTC/USDT", store, "1h")
    pd.testing.assert_frame_equal(from_store, frame, check_freq=False)
    csv = tmp_path / "candles.csv"
    csv.write_text(
        "timestamp,open,high,low,close,volume\n"
        + "".join(
            f"{ts},{r.open},{r.high},{r.low},{r.close},{r.volume}\n"
            for ts, r in zip(frame_ms(frame), frame.itertuples(), strict=True)
        )
    )
    from_file = resolve_data(str(csv), store, "1h")
    np.testing.assert_allclose(from_file.to_numpy(), frame.to_numpy())
    with pytest.raises(NotFoundError, match=r"'ETH/USDT' is neither a file nor a pair .*BTC/USDT"):
        resolve_data("ETH/USDT", store, "1h")
    with pytest.raises(NotFoundError, match=r"no such file: \./nope/prices\.csv"):
        resolve_data("./nope/prices.csv", store, "1h")
    with pytest.raises(InvalidInputError, match="a timeframe is needed"):
        resolve_data("BTC/USDT", store, None)


def test_to_ms_accepts_dates_datetimes_and_ints() -> None:
    assert to_ms("2024-01-01") == 1_704_067_200_000
    assert to_ms("2024-01-01T01:00:00+01:00") == 1_704_067_200_000
    assert to_ms(pd.Timestamp("2024-01-01", tz="UTC")) == 1_704_067_200_000
    assert to_ms(123) == 123


def test_a_million_candles_round_trip(store: CandleStore) -> None:
    # The load time (< 0.2 s) is measured by bench/bench_backtest.py, not asserted here.
    n = 1_000_000
    frame = make_random_candles(n, "1m", "2020-01-01")
    store.save("BTC/USDT", "1m", frame)
    loaded = store.load("BTC/USDT", "1m")
    assert len(loaded) == n
    assert loaded["close"].iloc[-1] == frame["close"].iloc[-1]
