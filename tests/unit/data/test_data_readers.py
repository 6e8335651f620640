"""Readers: our CSV, Binance archive files (ms and us open times, csv and zip), Parquet, errors."""

import gzip
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aurumbotx.data.frames import frame_ms
from aurumbotx.data.readers import (
    detect_format,
    load_candles,
    normalize_epoch_to_ms,
    pair_from_name,
    read_candles,
)
from aurumbotx.domain.errors import CandleValidationError, DataError, NotFoundError
from aurumbotx.testing.candles import make_random_candles, require_shared_file

HEADER = "timestamp,open,high,low,close,volume\n"


def csv_text(frame: pd.DataFrame, header: bool = True) -> str:
    lines = [HEADER] if header else []
    for ts, row in zip(frame_ms(frame), frame.itertuples(index=False), strict=True):
        lines.append(f"{ts},{row.open!r},{row.high!r},{row.low!r},{row.close!r},{row.volume!r}\n")
    return "".join(lines)


def kline_lines(frame: pd.DataFrame, unit_factor: int = 1) -> str:
    """Binance archive rows: 12 columns, no header; open/close times x unit_factor."""
    lines = []
    step = 3_600_000
    for ts, row in zip(frame_ms(frame), frame.itertuples(index=False), strict=True):
        open_t, close_t = ts * unit_factor, (ts + step - 1) * unit_factor
        lines.append(
            f"{open_t},{row.open:.8f},{row.high:.8f},{row.low:.8f},{row.close:.8f},"
            f"{row.volume:.8f},{close_t},{row.close * row.volume:.8f},42,1.0,2.0,0\n"
        )
    return "".join(lines)


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_random_candles(48, "1h", "2024-12-31")


def assert_same_candles(loaded: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert loaded.index.name == "timestamp"
    assert str(loaded.index.tz) == "UTC"
    assert list(loaded.columns) == ["open", "high", "low", "close", "volume"]
    assert (loaded.dtypes == np.float64).all()
    np.testing.assert_array_equal(frame_ms(loaded), frame_ms(expected))
    np.testing.assert_allclose(loaded.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_our_csv_plain_and_gzip(tmp_path: Path, frame: pd.DataFrame) -> None:
    plain = tmp_path / "btc.csv"
    plain.write_text(csv_text(frame))
    packed = tmp_path / "binance_BTC-USDT_1h.csv.gz"
    packed.write_bytes(gzip.compress(csv_text(frame).encode()))
    for path in (plain, packed):
        loaded, report = read_candles(path)
        assert_same_candles(loaded, frame)
        assert report.timeframe == "1h"
        assert report.timeframe_inferred
        assert loaded.attrs["timeframe"] == "1h"
        assert loaded.attrs["source"] == str(path)
        assert loaded.attrs["format"] == "csv"
    assert load_candles(packed).attrs["pair"] == "BTC/USDT"  # from the file name
    assert load_candles(plain, pair="eth-usdt").attrs["pair"] == "ETH/USDT"


def test_binance_archive_ms_and_microseconds(tmp_path: Path, frame: pd.DataFrame) -> None:
    millis = tmp_path / "BTCUSDT-1h-2024-12.csv"
    millis.write_text(kline_lines(frame))
    micros = tmp_path / "BTCUSDT-1h-2025-01.zip"
    with zipfile.ZipFile(micros, "w") as archive:
        archive.writestr("BTCUSDT-1h-2025-01.csv", kline_lines(frame, unit_factor=1000))
    for path in (millis, micros):
        loaded = load_candles(path, timeframe="1h", pair="BTC/USDT")
        assert_same_candles(loaded, frame)
        assert loaded.attrs["format"] == "binance-archive"
    assert detect_format(micros) == "binance-archive"


def test_binance_archive_spanning_the_switch_to_microseconds(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    lines = kline_lines(frame).splitlines(keepends=True)
    lines_us = kline_lines(frame, unit_factor=1000).splitlines(keepends=True)
    path = tmp_path / "mixed.csv"
    path.write_text("".join(lines[:24] + lines_us[24:]))
    assert_same_candles(load_candles(path), frame)


def test_binance_archive_with_header_row(tmp_path: Path, frame: pd.DataFrame) -> None:
    header = (
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
        "taker_buy_volume,taker_buy_quote_volume,ignore\n"
    )
    path = tmp_path / "futures.csv"
    path.write_text(header + kline_lines(frame))
    assert_same_candles(load_candles(path), frame)


def test_parquet_store_layout_and_pandas_frame(tmp_path: Path, frame: pd.DataFrame) -> None:
    store_like = tmp_path / "store.parquet"
    table = pa.table({"timestamp": frame_ms(frame), **{c: frame[c].to_numpy() for c in frame}})
    pq.write_table(table, store_like)
    pandas_written = tmp_path / "pandas.parquet"
    frame.to_parquet(pandas_written)
    unnamed = tmp_path / "unnamed.parquet"
    frame.rename_axis(None).to_parquet(unnamed)
    for path in (store_like, pandas_written, unnamed):
        loaded = load_candles(path)
        assert_same_candles(loaded, frame)
        assert loaded.attrs["format"] == "parquet"


def test_iso_dates_and_second_timestamps(tmp_path: Path, frame: pd.DataFrame) -> None:
    iso = tmp_path / "iso.csv"
    iso_lines = ["date,open,high,low,close,volume\n"] + [
        f"{ts.isoformat()},{r.open!r},{r.high!r},{r.low!r},{r.close!r},{r.volume!r}\n"
        for ts, r in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    iso.write_text("".join(iso_lines))
    assert_same_candles(load_candles(iso), frame)
    assert normalize_epoch_to_ms(np.array([1_704_067_200])).tolist() == [1_704_067_200_000]
    assert normalize_epoch_to_ms(np.array([1_704_067_200_000_000_000])).tolist() == [
        1_704_067_200_000
    ]


def test_invalid_row_is_named_and_repair_reports(tmp_path: Path, frame: pd.DataFrame) -> None:
    lines = csv_text(frame).splitlines(keepends=True)
    fields = lines[5].split(",")
    fields[2] = "1.0"  # data row 5: high far below open and close
    lines[5] = ",".join(fields)
    lines.append(lines[10])  # a duplicate of data row 10 at the end (unsorted, duplicate)
    path = tmp_path / "broken.csv"
    path.write_text("".join(lines))
    with pytest.raises(CandleValidationError) as caught:
        load_candles(path)
    assert str(caught.value).startswith(f"{path}, row 5: high below max(open, close)")
    repaired, report = read_candles(path, repair=True)
    assert len(repaired) == 47
    assert [(d.rule, d.count) for d in report.dropped] == [
        ("high below max(open, close)", 1),
        ("duplicate timestamp", 1),
    ]
    assert report.sorted_rows is True


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "empty file"),
        ("hello,world\n1,2\n", "no column timestamp, open, high, low, close, volume"),
        (HEADER + "1704067200000,1,2,0.5,1.5,10\n1704070800000,1,2,0.5\n", "row 2: malformed row"),
        (
            HEADER + "1704067200000,1,2,0.5,1.5,10\n1704070800000,1,abc,0.5,1,1\n",
            "row 2: not a number",
        ),
        (
            HEADER + "1704067200000,1,2,0.5,1.5,10\nyesterday,1,2,0.5,1,1\n",
            "row 2: unreadable timestamp",
        ),
        ("1,2,3\n4,5,6\n", "3 columns and no header"),
    ],
)
def test_unreadable_files_give_one_line_naming_the_file(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "input.csv"
    path.write_text(content)
    with pytest.raises(DataError) as caught:
        load_candles(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert expected in message
    assert "\n" not in message


def test_binary_garbage_zip_and_parquet_errors(tmp_path: Path) -> None:
    bad_zip = tmp_path / "two.zip"
    with zipfile.ZipFile(bad_zip, "w") as archive:
        archive.writestr("a.csv", "1,2,3,4,5,6\n")
        archive.writestr("b.csv", "1,2,3,4,5,6\n")
    with pytest.raises(DataError, match=r"exactly one \.csv file, found 2"):
        load_candles(bad_zip)
    truncated = tmp_path / "cut.parquet"
    truncated.write_bytes(b"PAR1" + b"\x00" * 20)
    with pytest.raises(DataError, match="unreadable Parquet file"):
        load_candles(truncated)
    corrupt_gz = tmp_path / "cut.csv.gz"
    corrupt_gz.write_bytes(gzip.compress(b"timestamp,open\n")[:12])
    with pytest.raises(DataError, match="cannot read the file"):
        load_candles(corrupt_gz)
    with pytest.raises(NotFoundError, match=r"no such file: .*missing\.csv"):
        load_candles(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="not a file"):
        load_candles(tmp_path)


def test_pair_from_name() -> None:
    assert pair_from_name(Path("binance_BTC-USDT_1h.csv.gz")) == "BTC/USDT"
    assert pair_from_name(Path("sol_usdt_5m.parquet")) == "SOL/USDT"
    assert pair_from_name(Path("BTCUSDT-1h-2024-01.zip")) is None


def test_real_shared_file_matches_its_readme() -> None:
    path = require_shared_file("binance_BTC-USDT_1h.csv.gz")
    frame, report = read_candles(path, timeframe="1h", pair="BTC/USDT")
    assert len(frame) == 64524
    assert frame.index[0] == pd.Timestamp("2017-08-17 04:00", tz="UTC")
    assert frame.index[-1] == pd.Timestamp("2024-12-31 23:00", tz="UTC")
    assert (len(report.gaps), report.missing_candles) == (28, 128)
    assert str(report.gaps[2]) == "2018-02-08 00:00 -> 2018-02-09 10:00 (33 missing)"
    assert frame.loc["2021-11-10 14:00", "high"] == 69000.00  # the 2021 all-time high
    assert frame.loc["2024-01-01 00:00", "open"] == 42283.58
