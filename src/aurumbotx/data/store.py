"""The candle store: one Parquet file per exchange, pair and timeframe, plus market rules.

Layout under the store's root (``AURUMBOTX_DATA_DIR``)::

    binance/BTC-USDT-1h.parquet     timestamp int64 (open time, epoch ms) + float64 OHLCV
    binance/markets.json            {"BTC/USDT": {"price_tick": "0.01", ...}}, Decimals as text

Every write goes to a temporary file in the same directory and is moved into place with
`os.replace`, so a reader (or a crash) never sees half a file: an interrupted download keeps
what it had written last. Files hold validated, sorted, unique candles only, which is why
`load` does no per-row work and reads a million candles in well under 0.2 s.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from aurumbotx.data.frames import CandleArrays, format_ms
from aurumbotx.data.readers import load_candles
from aurumbotx.data.validation import find_gaps, validate_arrays
from aurumbotx.domain.errors import DataError, InvalidInputError, NoDataError, NotFoundError
from aurumbotx.domain.markets import MarketRules
from aurumbotx.domain.timeframes import timeframe_to_ms
from aurumbotx.domain.values import Pair

DEFAULT_EXCHANGE = "binance"
MARKETS_FILE = "markets.json"
_METADATA_KEY = b"aurumbotx"
_EXCHANGE_RE = re.compile(r"^[a-z0-9_]{2,32}$")
_SCHEMA = pa.schema(
    [
        ("timestamp", pa.int64()),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.float64()),
    ]
)
_RULE_FIELDS = ("price_tick", "amount_step", "min_amount", "min_notional")

TimeLike: TypeAlias = datetime | pd.Timestamp | int | str


def to_ms(value: TimeLike) -> int:
    """Epoch milliseconds of a datetime/Timestamp/ISO string (naive = UTC) or of an int."""
    if isinstance(value, int):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InvalidInputError(
            f"not a date or time: {value!r} (expected e.g. 2024-01-31)"
        ) from None
    if stamp is pd.NaT:
        raise InvalidInputError(f"not a date or time: {value!r}")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value) // 1_000_000  # Timestamp.value is in ns whatever the unit


@dataclass(frozen=True, slots=True)
class StoreEntry:
    """One stored series: what it holds and how complete it is."""

    exchange: str
    pair: str
    timeframe: str
    path: Path
    first: int
    last: int
    rows: int
    gaps: int
    missing: int


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The outcome of a merge: candles new to the store, and the series' new extent."""

    added: int
    rows: int
    first: int
    last: int


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[IO[bytes]]:
    """Write `path` all or nothing: a temp file in the same directory, fsync, os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # open(..., "xb") rather than mkstemp: the file gets the umask's mode, not 0600.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        with tmp.open("xb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _rules_to_json(rules: MarketRules) -> dict[str, str | None]:
    return {
        name: (None if getattr(rules, name) is None else str(getattr(rules, name)))
        for name in _RULE_FIELDS
    }


def _rules_from_json(symbol: str, data: dict[str, Any]) -> MarketRules:
    values = {
        name: (Decimal(str(data[name])) if data.get(name) is not None else None)
        for name in _RULE_FIELDS
    }
    return MarketRules(symbol=symbol, **values)


class CandleStore:
    """Parquet candle files and market rules under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- paths ---------------------------------------------------------------------------

    def _exchange_dir(self, exchange: str) -> Path:
        name = exchange.strip().lower()
        if not _EXCHANGE_RE.match(name):
            raise InvalidInputError(f"not an exchange id: {exchange!r} (e.g. binance)")
        return self.root / name

    def path(self, pair: str, timeframe: str, exchange: str = DEFAULT_EXCHANGE) -> Path:
        """The Parquet file of one series (it may not exist)."""
        timeframe_to_ms(timeframe)
        return self._exchange_dir(exchange) / f"{Pair.parse(pair).slug}-{timeframe}.parquet"

    def exists(self, pair: str, timeframe: str, exchange: str = DEFAULT_EXCHANGE) -> bool:
        """True when the series has a file."""
        return self.path(pair, timeframe, exchange).is_file()

    # -- reading -------------------------------------------------------------------------

    def _read(self, path: Path, columns: list[str] | None = None) -> pa.Table:
        try:
            return pq.read_table(path, columns=columns)
        except (pa.ArrowException, OSError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DataError(f"{path}: unreadable store file ({reason})") from None

    def _arrays(self, path: Path) -> CandleArrays:
        table = self._read(path)
        columns = {name: table.column(name).to_numpy() for name in _SCHEMA.names}
        return CandleArrays.from_columns(columns.pop("timestamp"), columns)

    def _missing(self, pair: str, timeframe: str, exchange: str) -> NotFoundError:
        symbol = Pair.parse(pair).symbol
        return NotFoundError(
            f"no {symbol} {timeframe} candles from {exchange} in the store at {self.root} "
            f"(download them with `aurumbotx download-data --pairs {symbol} "
            f"--timeframes {timeframe}`)"
        )

    def load_arrays(
        self,
        pair: str,
        timeframe: str,
        exchange: str = DEFAULT_EXCHANGE,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> CandleArrays:
        """The stored candles with start <= open time < end, as arrays."""
        path = self.path(pair, timeframe, exchange)
        if not path.is_file():
            raise self._missing(pair, timeframe, exchange)
        candles = self._arrays(path)
        if start is None and end is None:
            return candles
        lo = 0 if start is None else int(np.searchsorted(candles.ts, to_ms(start), "left"))
        hi = len(candles) if end is None else int(np.searchsorted(candles.ts, to_ms(end), "left"))
        if hi <= lo:
            held = (
                f"{format_ms(candles.ts[0])} to {format_ms(candles.ts[-1])}"
                if len(candles)
                else "none"
            )
            raise NoDataError(
                f"no {Pair.parse(pair).symbol} {timeframe} candles in the requested range "
                f"(the store holds {held})"
            )
        return candles.take(slice(lo, hi))

    def load(
        self,
        pair: str,
        timeframe: str,
        exchange: str = DEFAULT_EXCHANGE,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> pd.DataFrame:
        """The stored candle frame with start <= open time < end (both optional)."""
        candles = self.load_arrays(pair, timeframe, exchange, start, end)
        path = self.path(pair, timeframe, exchange)
        return candles.to_frame(
            pair=Pair.parse(pair).symbol, timeframe=timeframe, source=str(path), exchange=exchange
        )

    def bounds(
        self, pair: str, timeframe: str, exchange: str = DEFAULT_EXCHANGE
    ) -> tuple[int, int] | None:
        """First and last stored open time (epoch ms), or None when nothing is stored."""
        path = self.path(pair, timeframe, exchange)
        if not path.is_file():
            return None
        ts = self._read(path, ["timestamp"]).column("timestamp").to_numpy()
        return (int(ts[0]), int(ts[-1])) if len(ts) else None

    # -- writing -------------------------------------------------------------------------

    def _write(self, path: Path, candles: CandleArrays, meta: dict[str, str]) -> None:
        table = pa.Table.from_arrays(
            [pa.array(candles.ts, pa.int64())]
            + [pa.array(v, pa.float64()) for v in candles.columns().values()],
            schema=_SCHEMA.with_metadata({_METADATA_KEY: json.dumps(meta).encode()}),
        )
        with atomic_write(path) as fh:
            pq.write_table(table, fh, compression="zstd", compression_level=1)

    def _validated(self, frame: pd.DataFrame, pair: str, timeframe: str) -> CandleArrays:
        source = f"{Pair.parse(pair).symbol} {timeframe} candles"
        candles, _ = validate_arrays(
            CandleArrays.from_frame(frame), source=source, timeframe=timeframe
        )
        return candles

    def save(
        self, pair: str, timeframe: str, frame: pd.DataFrame, exchange: str = DEFAULT_EXCHANGE
    ) -> Path:
        """Replace the series with `frame` (validated strictly first); returns its path."""
        path = self.path(pair, timeframe, exchange)
        candles = self._validated(frame, pair, timeframe)
        meta = {"pair": Pair.parse(pair).symbol, "timeframe": timeframe, "exchange": exchange}
        self._write(path, candles, meta)
        return path

    def merge(
        self, pair: str, timeframe: str, frame: pd.DataFrame, exchange: str = DEFAULT_EXCHANGE
    ) -> MergeResult:
        """Add `frame`'s candles to the series: equal open times keep the new candle; sorted."""
        path = self.path(pair, timeframe, exchange)
        new = self._validated(frame, pair, timeframe) if len(frame) else CandleArrays.empty()
        old = self._arrays(path) if path.is_file() else CandleArrays.empty()
        if len(new) == 0 and len(old) == 0:
            raise NoDataError(f"nothing to store for {Pair.parse(pair).symbol} {timeframe}")
        if len(old) == 0 or len(new) == 0 or old.ts[-1] < new.ts[0]:
            combined = CandleArrays.from_columns(
                np.concatenate([old.ts, new.ts]),
                {k: np.concatenate([v, new.columns()[k]]) for k, v in old.columns().items()},
            )
            added = len(new)
        else:
            combined, added = _merge_overlapping(old, new)
        meta = {"pair": Pair.parse(pair).symbol, "timeframe": timeframe, "exchange": exchange}
        if len(new):
            self._write(path, combined, meta)
        return MergeResult(added, len(combined), int(combined.ts[0]), int(combined.ts[-1]))

    # -- listing -------------------------------------------------------------------------

    def entries(self) -> list[StoreEntry]:
        """Every stored series, sorted by exchange, pair and timeframe."""
        result: list[StoreEntry] = []
        if not self.root.is_dir():
            return result
        for path in sorted(self.root.glob("*/*.parquet")):
            entry = self._entry(path)
            if entry is not None:
                result.append(entry)
        return sorted(result, key=lambda e: (e.exchange, e.pair, timeframe_to_ms(e.timeframe)))

    def _entry(self, path: Path) -> StoreEntry | None:
        table = self._read(path, ["timestamp"])
        raw = (table.schema.metadata or {}).get(_METADATA_KEY)
        meta = json.loads(raw) if raw else {}
        slug, _, timeframe = path.stem.rpartition("-")
        pair = meta.get("pair") or slug.replace("-", "/")
        timeframe = meta.get("timeframe") or timeframe
        ts = table.column("timestamp").to_numpy()
        if len(ts) == 0:
            return None
        gaps = find_gaps(ts, timeframe_to_ms(timeframe))
        return StoreEntry(
            exchange=path.parent.name,
            pair=pair,
            timeframe=timeframe,
            path=path,
            first=int(ts[0]),
            last=int(ts[-1]),
            rows=len(ts),
            gaps=len(gaps),
            missing=sum(g.missing for g in gaps),
        )

    # -- market rules --------------------------------------------------------------------

    def _markets_path(self, exchange: str) -> Path:
        return self._exchange_dir(exchange) / MARKETS_FILE

    def all_market_rules(self, exchange: str = DEFAULT_EXCHANGE) -> dict[str, MarketRules]:
        """Every stored market's rules of an exchange, by symbol."""
        path = self._markets_path(exchange)
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return {symbol: _rules_from_json(symbol, fields) for symbol, fields in data.items()}
        except (ValueError, TypeError, AttributeError, ArithmeticError) as error:
            raise DataError(f"{path}: unreadable market rules ({error})") from None

    def market_rules(self, exchange: str, pair: str) -> MarketRules | None:
        """The stored rules of one market, or None when unknown."""
        return self.all_market_rules(exchange).get(Pair.parse(pair).symbol)

    def save_market_rules(self, exchange: str, rules: Iterable[MarketRules]) -> int:
        """Add or replace market rules (other markets' rules stay); returns how many."""
        current = self.all_market_rules(exchange)
        count = 0
        for rule in rules:
            current[rule.symbol] = rule
            count += 1
        payload = {s: _rules_to_json(current[s]) for s in sorted(current)}
        with atomic_write(self._markets_path(exchange)) as fh:
            fh.write(json.dumps(payload, indent=1).encode("utf-8"))
        return count


def _merge_overlapping(old: CandleArrays, new: CandleArrays) -> tuple[CandleArrays, int]:
    ts = np.concatenate([old.ts, new.ts])
    order = np.argsort(ts, kind="stable")
    ts_sorted = ts[order]
    # Among equal open times the stable sort puts the old candle first: keep the last one.
    last = np.r_[ts_sorted[1:] != ts_sorted[:-1], True]
    chosen = order[last]
    columns = {k: np.concatenate([v, new.columns()[k]])[chosen] for k, v in old.columns().items()}
    merged = CandleArrays.from_columns(ts[chosen], columns)
    return merged, len(merged) - len(old)


def resolve_data(
    spec: str,
    store: CandleStore,
    timeframe: str | None,
    exchange: str = DEFAULT_EXCHANGE,
) -> pd.DataFrame:
    """Candles named by `spec`: a file (any supported format) or a pair in the store."""
    path = Path(spec).expanduser()
    if path.is_file():
        return load_candles(path, timeframe=timeframe)
    try:
        pair = Pair.parse(spec)
    except InvalidInputError:
        raise NotFoundError(
            f"no such file: {spec} (and not a pair such as BTC/USDT either)"
        ) from None
    if timeframe is None:
        raise InvalidInputError(f"a timeframe is needed to load {pair} from the candle store")
    if not store.exists(pair.symbol, timeframe, exchange):
        held = sorted(
            e.pair for e in store.entries() if e.timeframe == timeframe and e.exchange == exchange
        )
        stored = f"stored {timeframe} pairs: {', '.join(held)}" if held else "nothing stored"
        raise NotFoundError(
            f"{spec!r} is neither a file nor a pair in the candle store at {store.root} "
            f"({stored}; download with `aurumbotx download-data --pairs {pair} "
            f"--timeframes {timeframe}`)"
        )
    return store.load(pair.symbol, timeframe, exchange)
