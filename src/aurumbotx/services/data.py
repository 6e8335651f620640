"""Candle data use cases: import a file into the store, download history, list the store.

The candle store is the installation's, shared by every user (like the market itself), so
these operations take no user id. Loading candles for a backtest or a training run
(`load_candles`) lives here too: a file, or a pair in the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aurumbotx.domain.errors import CandleValidationError, InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

    from aurumbotx.config import Settings
    from aurumbotx.data.download import DownloadProgress, DownloadResult, HistorySource
    from aurumbotx.data.store import CandleStore, StoreEntry
    from aurumbotx.domain.markets import MarketRules
    from aurumbotx.services.context import ServiceContext


@dataclass(frozen=True)
class StoreListing:
    """What the candle store holds: its folder and one entry per series."""

    root: Path
    series: tuple[StoreEntry, ...]


@dataclass(frozen=True)
class ImportRequest:
    """A candle file to import; `pair` and `timeframe` default to the file's own."""

    file: Path
    pair: str | None = None
    timeframe: str | None = None
    exchange: str = "binance"
    repair: bool = False
    to_database: bool = False


@dataclass(frozen=True)
class ImportResult:
    """What an import read, what it added and where it is stored."""

    pair: str
    timeframe: str
    exchange: str
    candles: int
    added: int
    rows: int
    path: Path
    report: tuple[str, ...]
    database_added: int | None = None


@dataclass(frozen=True)
class DownloadRequest:
    """Pairs and timeframes to download, with an optional window in epoch milliseconds."""

    exchange: str
    pairs: tuple[str, ...]
    timeframes: tuple[str, ...] = ("1h",)
    since: int | None = None
    until: int | None = None
    retries: int = 5


@dataclass(frozen=True)
class DownloadOutcome:
    """One result per pair and timeframe, and what the store now knows of the exchange."""

    exchange: str
    results: tuple[DownloadResult, ...]
    store_root: Path
    market_rules: int


@dataclass(frozen=True)
class LoadedCandles:
    """Candle frames by pair, their common timeframe and the known market rules by pair."""

    frames: Mapping[str, pd.DataFrame]
    timeframe: str
    market_rules: Mapping[str, MarketRules | None]


def candle_store(settings: Settings) -> CandleStore:
    """The installation's candle store."""
    from aurumbotx.data.store import CandleStore

    return CandleStore(settings.candle_dir)


def list_data(ctx: ServiceContext) -> StoreListing:
    """Every stored series: exchange, pair, timeframe, range, rows, gaps."""
    store = candle_store(ctx.settings)
    return StoreListing(store.root, tuple(store.entries()))


def import_candles(ctx: ServiceContext, request: ImportRequest) -> ImportResult:
    """Validate (or repair) a candle file and merge it into the store (and market_data)."""
    from aurumbotx.data.readers import pair_from_name, read_candles

    symbol = request.pair or pair_from_name(request.file)
    if symbol is None:
        raise InvalidInputError("give the file's pair: --pair BTC/USDT")
    if request.to_database:
        from aurumbotx.db.migrate import ensure_current

        ensure_current(ctx.engine)  # before touching the store, so that a failure changes nothing
    try:
        frame, report = read_candles(
            request.file, timeframe=request.timeframe, pair=symbol, repair=request.repair
        )
    except CandleValidationError as error:
        if not request.repair and error.row is not None:
            error.message += "; --repair drops such rows"
            error.args = (error.message,)
        raise
    store = candle_store(ctx.settings)
    merged = store.merge(symbol, report.timeframe, frame, request.exchange)
    database_added = (
        _load_into_db(ctx, store, request.exchange, frame) if request.to_database else None
    )
    return ImportResult(
        pair=str(frame.attrs["pair"]),
        timeframe=report.timeframe,
        exchange=request.exchange,
        candles=len(frame),
        added=merged.added,
        rows=merged.rows,
        path=store.path(symbol, report.timeframe, request.exchange),
        report=tuple(report.lines()),
        database_added=database_added,
    )


def _load_into_db(
    ctx: ServiceContext, store: CandleStore, exchange: str, frame: pd.DataFrame
) -> int:
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.market_data import MarketDataRepository

    symbol, timeframe = frame.attrs["pair"], frame.attrs["timeframe"]
    with session_scope(ctx.session_factory) as session:
        repo = MarketDataRepository(session)
        repo.register_pair(symbol, exchange, store.market_rules(exchange, symbol))
        return repo.bulk_load(symbol, timeframe, frame)


def download_history(
    ctx: ServiceContext,
    source: HistorySource,  # the exchange's history, made by the caller (bootstrap, the CLI)
    request: DownloadRequest,
    *,
    on_progress: Callable[[DownloadProgress], None] | None = None,
    on_retry: Callable[[int, Exception, float], None] | None = None,
) -> DownloadOutcome:
    """Download what the store lacks of each pair and timeframe (resumable)."""
    from aurumbotx.data.download import download_many
    from aurumbotx.domain.retry import RetryPolicy

    if not request.pairs:
        raise InvalidInputError("give at least one pair: --pairs BTC/USDT [ETH/USDT ...]")
    if request.since is not None and request.until is not None and request.until <= request.since:
        raise InvalidInputError("the end of the window is not after its start")
    store = candle_store(ctx.settings)
    results = download_many(
        source,
        store,
        request.pairs,
        request.timeframes or ("1h",),
        since=request.since,
        until=request.until,
        exchange_name=request.exchange,
        progress=on_progress,
        retry=RetryPolicy(attempts=request.retries, on_retry=on_retry),
    )
    rules = len(store.all_market_rules(request.exchange))
    return DownloadOutcome(request.exchange, tuple(results), store.root, rules)


def load_candles(
    settings: Settings, specs: Sequence[str], timeframe: str | None, exchange: str
) -> LoadedCandles:
    """Candle frames by pair (files or store pairs), their common timeframe, market rules."""
    from aurumbotx.data.store import resolve_data

    store = candle_store(settings)
    quote = settings.exchange.quote_asset
    frames: dict[str, pd.DataFrame] = {}
    rules: dict[str, MarketRules | None] = {}
    found_tf: set[str] = set()
    for spec in specs:
        is_file = Path(spec).expanduser().is_file()
        frame = resolve_data(spec, store, timeframe or (None if is_file else "1h"), exchange)
        pair = str(frame.attrs.get("pair") or pair_from_file_name(Path(spec), quote))
        frame.attrs["pair"] = pair
        if pair in frames:
            raise InvalidInputError(f"{pair} given twice in --data")
        frames[pair] = frame
        found_tf.add(str(frame.attrs.get("timeframe") or timeframe or "1h"))
        if not is_file:
            rules[pair] = store.market_rules(exchange, pair)
    if len(found_tf) > 1:
        raise InvalidInputError(f"--data mixes timeframes ({', '.join(sorted(found_tf))})")
    return LoadedCandles(frames, found_tf.pop(), rules)


_QUOTES = ("USDT", "USDC", "FDUSD", "TUSD", "BUSD", "USD", "EUR", "BTC", "ETH", "BNB")


def pair_from_file_name(path: Path, quote: str) -> str:
    """'binance_BTC-USDT_1h.csv' -> 'BTC/USDT', 'ETHUSDT-1h.zip' -> 'ETH/USDT'; else WORD/quote."""
    tokens = [t.upper() for t in re.split(r"[-_.\s/]+", path.name) if t]
    candidates: list[tuple[int, str]] = []
    for i, token in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if nxt in _QUOTES and token.isalnum() and token != nxt:
            candidates.append((_QUOTES.index(nxt), f"{token}/{nxt}"))
        for q in _QUOTES:
            if token.endswith(q) and len(token) > len(q) and token[: -len(q)].isalnum():
                candidates.append((_QUOTES.index(q), f"{token[: -len(q)]}/{q}"))
    if candidates:
        return min(candidates)[1]
    return f"{tokens[0] if tokens else 'ASSET'}/{quote}"
