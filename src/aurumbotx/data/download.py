"""Incremental candle downloads through ccxt into the candle store, and market rules.

`download_candles` fetches only what the store lacks: everything after the last stored candle
and, when `since` is earlier than the first stored candle, the stretch before it. It pages
through `fetch_ohlcv` 1000 candles at a time (ccxt's throttler spaces the calls), retries
temporary errors with backoff (a 429's Retry-After is waited out), drops the still-open last
candle, and merges into the store atomically every few pages, so an interrupted run keeps what
it fetched and the next run resumes from there. Gaps inside the stored range are exchange
outages and are not fetched again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import ccxt
import numpy as np

from aurumbotx.data.frames import CandleArrays, format_ms
from aurumbotx.data.store import CandleStore
from aurumbotx.data.validation import find_gaps
from aurumbotx.domain.errors import (
    ExchangeError,
    InvalidInputError,
    NoDataError,
    TemporaryExchangeError,
)
from aurumbotx.domain.markets import MarketRules
from aurumbotx.domain.timeframes import timeframe_to_ms
from aurumbotx.domain.values import Pair
from aurumbotx.execution.ccxt_errors import with_retries

PAGE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How temporary exchange errors are retried."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    sleep: Callable[[float], None] | None = None
    on_retry: Callable[[int, TemporaryExchangeError, float], None] | None = None

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` under this policy."""
        extra: dict[str, Any] = {"sleep": self.sleep} if self.sleep is not None else {}
        return with_retries(
            fn,
            attempts=self.attempts,
            base_delay=self.base_delay,
            max_delay=self.max_delay,
            on_retry=self.on_retry,
            **extra,
        )


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


def _clean_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or number <= 0:
        return None
    # "0.01000000" -> 0.01, but 10 stays 10 (normalize() would give 1E+1).
    return number.normalize() if number != number.to_integral_value() else number.quantize(1)


def market_rules_from_ccxt(market: dict[str, Any], precision_is_tick: bool = True) -> MarketRules:
    """MarketRules of a ccxt market; Binance filters are read as exact decimal strings."""
    filters = {f.get("filterType"): f for f in (market.get("info") or {}).get("filters") or []}
    price = filters.get("PRICE_FILTER", {})
    lot = filters.get("LOT_SIZE", {})
    notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}

    def tick(value: Any) -> Decimal | None:
        # ccxt's TICK_SIZE mode gives grid sizes; DECIMAL_PLACES mode gives a digit count.
        if value is None:
            return None
        return _clean_decimal(value if precision_is_tick else Decimal(1).scaleb(-int(value)))

    return MarketRules(
        symbol=str(market["symbol"]),
        price_tick=_clean_decimal(price.get("tickSize")) or tick(precision.get("price")),
        amount_step=_clean_decimal(lot.get("stepSize")) or tick(precision.get("amount")),
        min_amount=_clean_decimal(lot.get("minQty"))
        or _clean_decimal((limits.get("amount") or {}).get("min")),
        min_notional=_clean_decimal(notional.get("minNotional") or notional.get("notional"))
        or _clean_decimal((limits.get("cost") or {}).get("min")),
    )


def load_markets(
    exchange: ccxt.Exchange,
    store: CandleStore | None = None,
    exchange_name: str | None = None,
    retry: RetryPolicy | None = None,
) -> dict[str, MarketRules]:
    """Load the exchange's spot markets (with retries) and save their rules in the store."""
    name = exchange_name or str(exchange.id)
    try:
        markets = (retry or RetryPolicy()).call(exchange.load_markets)
    except ExchangeError as error:
        error.message = f"cannot load the markets of {name}: {error.message}"
        error.args = (error.message,)
        raise
    precision_is_tick = getattr(exchange, "precisionMode", ccxt.TICK_SIZE) == ccxt.TICK_SIZE
    rules = {
        symbol: market_rules_from_ccxt(market, precision_is_tick)
        for symbol, market in markets.items()
        if market.get("spot")
    }
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
        exchange: ccxt.Exchange,
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


def _check_market(exchange: ccxt.Exchange, symbol: str, timeframe: str, name: str) -> None:
    if symbol not in (exchange.markets or {}):
        raise InvalidInputError(f"unknown pair {symbol} on {name}")
    timeframes = getattr(exchange, "timeframes", None) or {}
    if timeframes and timeframe not in timeframes:
        raise InvalidInputError(
            f"{name} has no {timeframe} candles (it offers {', '.join(timeframes)})"
        )


def _page_fetcher(
    exchange: ccxt.Exchange, symbol: str, timeframe: str, since: int, stop: int
) -> Callable[[], list[list[float]]]:
    def fetch() -> list[list[float]]:
        # `until` becomes Binance's endTime (inclusive): never past the requested range.
        page: list[list[float]] = exchange.fetch_ohlcv(
            symbol, timeframe, since=since, limit=PAGE_LIMIT, params={"until": stop - 1}
        )
        return page

    return fetch


def download_candles(
    exchange: ccxt.Exchange,
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
    name = exchange_name or str(exchange.id)
    symbol = Pair.parse(pair).symbol
    step = timeframe_to_ms(timeframe)
    policy = retry or RetryPolicy()
    if exchange.markets is None:
        load_markets(exchange, store, name, policy)
    _check_market(exchange, symbol, timeframe, name)
    now = now_ms() if now_ms is not None else int(exchange.milliseconds())
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
    exchange: ccxt.Exchange,
    store: CandleStore,
    pairs: Iterable[str],
    timeframes: Iterable[str],
    **kwargs: Any,
) -> list[DownloadResult]:
    """Download every pair x timeframe, checking all pairs against the markets first."""
    name = kwargs.get("exchange_name") or str(exchange.id)
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
