"""Incremental candle downloads from an exchange (a `HistorySource`) into the candle store.

`download_candles` fetches only what the store lacks: everything after the last stored candle
and, when `since` is earlier than the first stored candle, the stretch before it. It pages
through `fetch_ohlcv` 1000 candles at a time (the exchange client spaces the calls), retries
temporary errors with backoff (a 429's Retry-After is waited out), drops the still-open last
candle, and merges into the store atomically every few pages, so an interrupted run keeps what
it fetched and the next run resumes from there. Gaps inside the stored range are exchange
outages and are not fetched again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from aurumbotx.data.feeds import OhlcvSource
from aurumbotx.data.frames import CandleArrays, format_ms
from aurumbotx.data.store import CandleStore
from aurumbotx.data.validation import find_gaps
from aurumbotx.domain.errors import ExchangeError, InvalidInputError, NoDataError
from aurumbotx.domain.markets import MarketRules
from aurumbotx.domain.retry import RetryPolicy
from aurumbotx.domain.timeframes import timeframe_to_ms
from aurumbotx.domain.values import Pair

PAGE_LIMIT = 1000


class HistorySource(OhlcvSource, Protocol):
    """An exchange's candle history and spot markets (`execution/ccxt/ohlcv.py` is the real one).

    Every call makes one request and raises our `ExchangeError` tree only; the download
    retries temporary errors itself, under its `RetryPolicy`.
    """

    @property
    def name(self) -> str:
        """The exchange's id ('binance'), the store's default exchange name."""
        ...

    @property
    def markets(self) -> dict[str, MarketRules] | None:
        """The rules of the loaded spot markets by symbol; None before `load_markets`."""
        ...

    @property
    def timeframes(self) -> tuple[str, ...]:
        """The candle timeframes the exchange offers (empty when it does not say)."""
        ...

    def load_markets(self) -> dict[str, MarketRules]:
        """Load the markets and return the spot markets' rules."""
        ...

    def fetch_ohlcv(
        self, pair: str, timeframe: str, since: int, limit: int, until: int | None = None
    ) -> list[list[float]]:
        """Up to `limit` candles from `since` (ms), none opening after `until` (inclusive)."""
        ...


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """Progress of one pair/timeframe download after a page."""

    pair: str
    timeframe: str
    fetched: int
    expected: int
    last_ts: int | None
    done: bool = False


@dataclass(slots=True)
class DownloadResult:
    """What a download added and what the store now holds for the series."""

    pair: str
    timeframe: str
    added: int = 0
    pages: int = 0
    rows: int = 0
    first: int | None = None
    last: int | None = None
    gaps: int = 0
    missing: int = 0
    ranges: list[tuple[int, int]] = field(default_factory=list)


def load_markets(
    exchange: HistorySource,
    store: CandleStore | None = None,
    exchange_name: str | None = None,
    retry: RetryPolicy | None = None,
) -> dict[str, MarketRules]:
    """Load the exchange's spot markets (with retries) and save their rules in the store."""
    name = exchange_name or exchange.name
    try:
        rules = (retry or RetryPolicy()).call(exchange.load_markets)
    except ExchangeError as error:
        error.message = f"cannot load the markets of {name}: {error.message}"
        error.args = (error.message,)
        raise
    if store is not None:
        store.save_market_rules(name, rules.values())
    return rules


def _ranges(
    bounds: tuple[int, int] | None, since: int | None, end: int, step: int
) -> list[tuple[int, int]]:
    if bounds is None:
        return [(since, end)] if since is not None and since < end else []
    first, last = bounds
    result = []
    if since is not None and since < first:
        result.append((since, min(first, end)))
    if last + step < end:
        result.append((last + step, end))
    return result


class _Download:
    """One pair/timeframe download: pages through ranges, buffers rows, merges every few pages."""

    def __init__(
        self,
        exchange: HistorySource,
        store: CandleStore,
        result: DownloadResult,
        name: str,
        now: int,
        policy: RetryPolicy,
        progress: Callable[[DownloadProgress], None] | None,
        pages_per_write: int,
    ) -> None:
        self.exchange, self.store, self.result, self.name = exchange, store, result, name
        self.now, self.policy, self.progress = now, policy, progress
        self.pages_per_write = pages_per_write
        self.step = timeframe_to_ms(result.timeframe)
        self.expected = sum(max(0, (e - s) // self.step) for s, e in result.ranges)
        self.rows: list[list[float]] = []
        self.fetched = 0
        self.last_ts: int | None = None

    def fetch_range(self, start: int, stop: int) -> None:
        """Fetch the closed candles with start <= open time < stop, page by page."""
        r = self.result
        cursor = start
        while cursor < stop:
            fetch = _page_fetcher(self.exchange, r.pair, r.timeframe, cursor, stop)
            page = self.policy.call(fetch)
            # Only closed candles inside the range; the exchange's newest one is still open.
            rows = [x for x in page if cursor <= x[0] < stop and x[0] + self.step <= self.now]
            if not rows:
                return
            self.rows.extend(rows)
            self.fetched += len(rows)
            self.last_ts = int(rows[-1][0])
            cursor = self.last_ts + self.step
            r.pages += 1
            self.report()
            if r.pages % self.pages_per_write == 0:
                self.flush()
            if len(page) < PAGE_LIMIT:
                return  # a short page: the exchange has nothing more before `stop`

    def report(self, done: bool = False) -> None:
        """Tell the progress callback how far the download got."""
        if self.progress is not None:
            expected = self.fetched if done else self.expected
            r = self.result
            self.progress(
                DownloadProgress(r.pair, r.timeframe, self.fetched, expected, self.last_ts, done)
            )

    def flush(self) -> None:
        """Merge the buffered rows into the store (atomically)."""
        if not self.rows:
            return
        data = np.asarray(self.rows, dtype=np.float64)
        names = ("open", "high", "low", "close", "volume")
        candles = CandleArrays.from_columns(
            data[:, 0].astype(np.int64), {n: data[:, i + 1] for i, n in enumerate(names)}
        )
        merged = self.store.merge(
            self.result.pair, self.result.timeframe, candles.to_frame(), self.name
        )
        self.result.added += merged.added
        self.rows = []

    def interrupted(self, error: ExchangeError) -> None:
        """Save what was fetched and say so in the error's message."""
        self.flush()
        r = self.result
        kept = self.store.bounds(r.pair, r.timeframe, self.name)
        held = f"the store holds up to {format_ms(kept[1])}" if kept else "nothing stored"
        error.message = (
            f"download of {r.pair} {r.timeframe} from {self.name} stopped: {error.message}; "
            f"{r.added} new candles kept ({held}); run again to resume"
        )
        error.args = (error.message,)


def _check_market(exchange: HistorySource, symbol: str, timeframe: str, name: str) -> None:
    if symbol not in (exchange.markets or {}):
        raise InvalidInputError(f"unknown pair {symbol} on {name}")
    timeframes = exchange.timeframes
    if timeframes and timeframe not in timeframes:
        raise InvalidInputError(
            f"{name} has no {timeframe} candles (it offers {', '.join(timeframes)})"
        )


def _page_fetcher(
    exchange: HistorySource, symbol: str, timeframe: str, since: int, stop: int
) -> Callable[[], list[list[float]]]:
    def fetch() -> list[list[float]]:
        # `until` becomes Binance's endTime (inclusive): never past the requested range.
        return exchange.fetch_ohlcv(symbol, timeframe, since, PAGE_LIMIT, until=stop - 1)

    return fetch


def download_candles(
    exchange: HistorySource,
    store: CandleStore,
    pair: str,
    timeframe: str,
    *,
    since: int | None = None,
    until: int | None = None,
    exchange_name: str | None = None,
    progress: Callable[[DownloadProgress], None] | None = None,
    retry: RetryPolicy | None = None,
    pages_per_write: int = 5,
    now_ms: Callable[[], int] | None = None,
) -> DownloadResult:
    """Fetch the closed candles of [since, until) that the store lacks; returns a summary."""
    name = exchange_name or exchange.name
    symbol = Pair.parse(pair).symbol
    step = timeframe_to_ms(timeframe)
    policy = retry or RetryPolicy()
    if exchange.markets is None:
        load_markets(exchange, store, name, policy)
    _check_market(exchange, symbol, timeframe, name)
    now = now_ms() if now_ms is not None else exchange.milliseconds()
    end = min(until, now) if until is not None else now
    bounds = store.bounds(symbol, timeframe, name)
    if bounds is None and since is None:
        raise InvalidInputError(
            f"nothing stored for {symbol} {timeframe} yet: give a start date (--since)"
        )
    result = DownloadResult(symbol, timeframe, ranges=_ranges(bounds, since, end, step))
    job = _Download(exchange, store, result, name, now, policy, progress, pages_per_write)
    try:
        for start, stop in result.ranges:
            job.fetch_range(start, stop)
    except ExchangeError as error:
        job.interrupted(error)
        raise
    finally:
        # Also on Ctrl-C: what was fetched is kept, and the next run resumes after it.
        job.flush()
    if job.fetched:
        job.report(done=True)
    _summarise(result, store, name, step)
    return result


def _summarise(result: DownloadResult, store: CandleStore, exchange: str, step: int) -> None:
    if not store.exists(result.pair, result.timeframe, exchange):
        return
    ts = store.load_arrays(result.pair, result.timeframe, exchange).ts
    gaps = find_gaps(ts, step)
    result.rows, result.first, result.last = len(ts), int(ts[0]), int(ts[-1])
    result.gaps, result.missing = len(gaps), sum(g.missing for g in gaps)


def download_many(
    exchange: HistorySource,
    store: CandleStore,
    pairs: Iterable[str],
    timeframes: Iterable[str],
    **kwargs: Any,
) -> list[DownloadResult]:
    """Download every pair x timeframe, checking all pairs against the markets first."""
    name = kwargs.get("exchange_name") or exchange.name
    policy = kwargs.get("retry") or RetryPolicy()
    symbols = [Pair.parse(p).symbol for p in pairs]
    frames = list(timeframes)
    for tf in frames:
        timeframe_to_ms(tf)
    if exchange.markets is None:
        load_markets(exchange, store, name, policy)
    unknown = [s for s in symbols if s not in (exchange.markets or {})]
    if unknown:
        raise InvalidInputError(f"unknown pair(s) on {name}: {', '.join(unknown)}")
    results = [
        download_candles(exchange, store, symbol, tf, **kwargs)
        for symbol in symbols
        for tf in frames
    ]
    if not any(r.rows for r in results):
        raise NoDataError(f"{name} returned no candles for the requested range")
    return results
