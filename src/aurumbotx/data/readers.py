"""Candle file readers: our CSV, Binance's public kline archive, and Parquet; one `load_candles`.

Formats, detected from the file's first bytes (not its name):

* CSV with a header naming the columns (``timestamp,open,high,low,close,volume``, the format of
  the shared data set and of most tools), plain or gzip-compressed. The time column may also be
  called ``open_time``/``date``/``time`` and hold epoch numbers or ISO-8601 dates.
* Binance's archive (data.binance.vision) kline files: 12 columns, no header for spot (a header
  row is accepted), plain CSV or a .zip holding one CSV. Open times are epoch MILLIseconds until
  2024 and MICROseconds from 2025 on, so every epoch number is normalised by its magnitude, per
  row (a file spanning the switch stays right).
* Parquet: our store's layout (``timestamp`` int64 ms + float64 OHLCV) or a pandas-written
  candle frame.

Every load validates (`aurumbotx.data.validation`); any failure is a one-line `DataError` or
`CandleValidationError` naming the file, never a pandas or pyarrow traceback.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from aurumbotx.data.frames import CandleArrays, Int64Array
from aurumbotx.data.validation import ValidationReport, validate_arrays
from aurumbotx.domain.candles import CANDLE_COLUMNS
from aurumbotx.domain.errors import CandleValidationError, DataError, NotFoundError
from aurumbotx.domain.values import Pair

FORMAT_CSV = "csv"
FORMAT_BINANCE = "binance-archive"
FORMAT_PARQUET = "parquet"

_TIME_NAMES = ("timestamp", "open_time", "opentime", "date", "datetime", "time")
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_PARQUET_MAGIC = b"PAR1"
_BINANCE_COLUMNS = 12
_PAIR_IN_NAME = re.compile(r"(?:^|[_/])([a-z0-9]{2,10})[-_]([a-z0-9]{2,10})[-_]\d+[mhdw]\b", re.I)


def normalize_epoch_to_ms(values: Any) -> Int64Array:
    """Epoch numbers in s, ms, us or ns (told apart by magnitude, per value) as ms."""
    raw = np.asarray(values)
    if raw.dtype.kind == "f":
        raw = np.round(raw)
    ts = raw.astype(np.int64)
    # Thresholds: ms times stay below 1e14 until the year 5138; us below 1e17 until 5138 too;
    # s times below 1e11 until the year 5138. Crypto candles start in 2009, so nothing overlaps.
    magnitude = np.abs(ts)
    if bool((magnitude < 100_000_000_000_000).all()) and bool((magnitude >= 100_000_000_000).all()):
        return ts  # the common case: all milliseconds, no copy of the data
    result: Int64Array = np.select(
        [magnitude < 100_000_000_000, magnitude < 10**14, magnitude < 10**17],
        [ts * 1000, ts, ts // 1000],
        ts // 1_000_000,
    )
    return result


def detect_format(path: Path) -> str:
    """'csv', 'binance-archive' (zip) or 'parquet', from the file's first bytes."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head == _PARQUET_MAGIC:
        return FORMAT_PARQUET
    if head == _ZIP_MAGIC:
        return FORMAT_BINANCE
    return FORMAT_CSV


def pair_from_name(path: Path) -> str | None:
    """The pair in a file name such as binance_BTC-USDT_1h.csv.gz, if there is one."""
    match = _PAIR_IN_NAME.search(path.name)
    return f"{match.group(1)}/{match.group(2)}".upper() if match else None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_line(data: bytes) -> str:
    line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return line.strip().lstrip("\ufeff")


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        raw = path.read_bytes()
        if raw[:2] == _GZIP_MAGIC:
            return gzip.decompress(raw)
        if raw[:4] == _ZIP_MAGIC:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                members = [
                    n
                    for n in archive.namelist()
                    if n.lower().endswith(".csv") and not n.startswith("__MACOSX")
                ]
                if len(members) != 1:
                    raise DataError(
                        f"{source}: a kline archive must hold exactly one .csv file, "
                        f"found {len(members)}"
                    )
                return archive.read(members[0])
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as error:
        raise DataError(f"{source}: cannot read the file ({error})") from None
    return raw


def _locate_malformed_line(data: bytes, has_header: bool, source: str) -> CandleValidationError:
    lines = [ln for ln in data.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    expected = len(lines[0].split(",")) if lines else 0
    for number, line in enumerate(lines):
        fields = len(line.split(","))
        if fields != expected:
            row = number if has_header else number + 1
            return CandleValidationError(
                source, row, "malformed row", f"expected {expected} fields, got {fields}"
            )
    return CandleValidationError(source, None, "malformed CSV")


def _column_map(header: list[str], source: str) -> dict[str, str]:
    names = {name.strip().lower(): name for name in header}
    time_name = next((names[n] for n in _TIME_NAMES if n in names), None)
    missing = [c for c in CANDLE_COLUMNS if c not in names]
    if time_name is None or missing:
        lacking = ([] if time_name is not None else ["timestamp"]) + missing
        raise DataError(
            f"{source}: not a candle file: no column {', '.join(lacking)} "
            f"(header: {','.join(header)[:120]})"
        )
    return {"ts": time_name, **{c: names[c] for c in CANDLE_COLUMNS}}


def _numeric(column: pa.ChunkedArray, name: str, source: str) -> np.ndarray[Any, Any]:
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return column.to_numpy(zero_copy_only=False).astype(np.float64)  # nulls become NaN
    if pa.types.is_null(column.type):
        return np.full(len(column), np.nan)
    text = pd.Series(column.to_pylist(), dtype=object)
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & text.notna() & (text.astype(str).str.strip() != "")
    if bool(bad.any()):
        i = int(np.argmax(bad.to_numpy()))
        raise CandleValidationError(source, i + 1, "not a number", f"{name}={text.iloc[i]!r}")
    return values.to_numpy(dtype=np.float64)


def _timestamps(column: pa.ChunkedArray, source: str) -> Int64Array:
    if column.null_count:
        i = int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
        raise CandleValidationError(source, i + 1, "missing timestamp")
    if pa.types.is_timestamp(column.type):
        values = column.to_numpy()
        return np.asarray(values.astype("datetime64[ms]").astype(np.int64), dtype=np.int64)
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return normalize_epoch_to_ms(column.to_numpy())
    text = pd.Series(column.to_pylist(), dtype=object)
    numeric = text.map(_is_number).to_numpy(dtype=bool)
    if bool(numeric.all()):
        return normalize_epoch_to_ms(text.astype(np.float64).to_numpy())
    if bool(numeric.any()):  # epoch numbers with a stray word: name the first bad row
        i = int(np.argmin(numeric))
        raise CandleValidationError(source, i + 1, "unreadable timestamp", repr(text.iloc[i]))
    parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    if bool(parsed.isna().any()):
        i = int(np.argmax(parsed.isna().to_numpy()))
        raise CandleValidationError(source, i + 1, "unreadable timestamp", repr(text.iloc[i]))
    return np.asarray(pd.DatetimeIndex(parsed).as_unit("ms").asi8, dtype=np.int64)


def _from_table(table: pa.Table, mapping: dict[str, str], source: str) -> CandleArrays:
    ts = _timestamps(table.column(mapping["ts"]), source)
    columns = {c: _numeric(table.column(mapping[c]), c, source) for c in CANDLE_COLUMNS}
    return CandleArrays.from_columns(ts, columns)


def read_csv_arrays(path: Path, source: str) -> tuple[CandleArrays, str]:
    """Candles from a CSV (named columns) or a Binance kline file (csv or zip), unvalidated."""
    data = _read_bytes(path, source)
    first = _first_line(data)
    if not first:
        raise DataError(f"{source}: empty file")
    fields = first.split(",")
    has_header = not _is_number(fields[0].strip().strip('"'))
    if has_header:
        mapping = _column_map(fields, source)
        fmt = FORMAT_BINANCE if len(fields) == _BINANCE_COLUMNS else FORMAT_CSV
        read_options = pacsv.ReadOptions()
        include = list(mapping.values())
    else:
        if len(fields) < len(CANDLE_COLUMNS) + 1:
            raise DataError(
                f"{source}: not a candle file: {len(fields)} columns and no header "
                "(expected a header or Binance's 12-column kline layout)"
            )
        fmt = FORMAT_BINANCE if len(fields) == _BINANCE_COLUMNS else FORMAT_CSV
        names = [f"c{i}" for i in range(len(fields))]
        mapping = {"ts": "c0", **{c: f"c{i + 1}" for i, c in enumerate(CANDLE_COLUMNS)}}
        read_options = pacsv.ReadOptions(column_names=names)
        include = list(mapping.values())
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=read_options,
            convert_options=pacsv.ConvertOptions(include_columns=include),
        )
    except pa.ArrowInvalid as error:
        if "parse error" in str(error).lower():
            raise _locate_malformed_line(data, has_header, source) from None
        raise DataError(f"{source}: unreadable CSV ({str(error).splitlines()[0]})") from None
    return _from_table(table, mapping, source), fmt


def read_parquet_arrays(path: Path, source: str) -> CandleArrays:
    """Candles from a Parquet file (our store's layout or a pandas candle frame), unvalidated."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{source}: unreadable Parquet file ({reason})") from None
    header = list(table.column_names)
    if "timestamp" not in [h.lower() for h in header] and "__index_level_0__" in header:
        header = ["timestamp" if h == "__index_level_0__" else h for h in header]
        table = table.rename_columns(header)
    return _from_table(table, _column_map(header, source), source)


def read_candle_arrays(path: Path | str) -> tuple[CandleArrays, str]:
    """Raw candles of any supported file and the detected format (no validation)."""
    file = Path(path)
    source = str(path)
    if not file.exists():
        raise NotFoundError(f"no such file: {source}")
    if not file.is_file():
        raise DataError(f"{source}: not a file")
    try:
        fmt = detect_format(file)
    except OSError as error:
        raise DataError(f"{source}: cannot read the file ({error})") from None
    if fmt == FORMAT_PARQUET:
        return read_parquet_arrays(file, source), fmt
    return read_csv_arrays(file, source)


def read_candles(
    path: Path | str,
    timeframe: str | None = None,
    pair: str | None = None,
    repair: bool = False,
) -> tuple[pd.DataFrame, ValidationReport]:
    """A validated (or repaired) candle frame from any supported file, and the report."""
    candles, fmt = read_candle_arrays(path)
    candles, report = validate_arrays(candles, source=str(path), timeframe=timeframe, repair=repair)
    symbol = Pair.parse(pair).symbol if pair else pair_from_name(Path(path))
    frame = candles.to_frame(pair=symbol, timeframe=report.timeframe, source=str(path), format=fmt)
    return frame, report


def load_candles(
    path: Path | str,
    timeframe: str | None = None,
    pair: str | None = None,
    repair: bool = False,
) -> pd.DataFrame:
    """A validated candle frame from a CSV, Binance archive (csv/zip) or Parquet file."""
    return read_candles(path, timeframe=timeframe, pair=pair, repair=repair)[0]
