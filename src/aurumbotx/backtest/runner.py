"""The backtester: the trading engine driven by a simulated clock over history.

The strategy computes its signals vectorised over the whole history (no lookahead, checked);
then every candle on which something can happen goes through the SAME `TradingEngine`,
`RiskManager`, `OrderRouter` and `PaperExchange` a paper bot uses. Candles on which nothing can
happen (no signal, no open order the candle could fill, no equity limit to watch) are skipped:
`every_candle=True` processes them all and gives the same result, which a test checks.

Multi-pair runs share one cash balance; candles are processed in time order, pairs in the given
order at equal times. The equity curve is marked at every candle close of the trading window
(cash + positions at their latest closes). A position still open at the end is reported open
(exit fields None), marked to market at the last close without an exit fee. Candles before
`start` only warm the indicators up: nothing is traded on them.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, Final

import numpy as np
import pandas as pd

from aurumbotx.backtest.result import BacktestResult, TradeRecord
from aurumbotx.data.validation import find_gaps
from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import InvalidInputError, NoDataError
from aurumbotx.domain.markets import MarketRules
from aurumbotx.domain.timeframes import periods_per_year, timeframe_to_ms
from aurumbotx.domain.trading import RoundTrip, Signal
from aurumbotx.domain.values import float_to_decimal, money_arithmetic
from aurumbotx.engine.core import TradingEngine
from aurumbotx.engine.orders import MemoryOrderStore, OrderRouter
from aurumbotx.engine.portfolio import Portfolio
from aurumbotx.execution.paper import PaperExchange
from aurumbotx.metrics import compute_metrics, market_change, mean_market_change
from aurumbotx.risk.manager import RiskLimits, RiskManager
from aurumbotx.strategies.base import Strategy, compute_signals


@dataclass
class BacktestConfig:
    """Money, costs, window and limits of one run."""

    capital: Decimal = Decimal(10_000)
    fee_rate: Decimal = Decimal("0.001")
    slippage_bps: Decimal = Decimal(0)
    start: datetime | None = None
    end: datetime | None = None
    quote: str = "USDT"
    risk: RiskLimits = field(default_factory=RiskLimits)
    market_rules: dict[str, MarketRules | None] = field(default_factory=dict)
    every_candle: bool = False
    bot_id: str = "backtest"


_PLAIN_SIGNALS: Final = {
    (enter, leave): Signal(enter=enter, exit=leave)
    for enter in (False, True)
    for leave in (False, True)
}


class _PairData:
    """One pair's arrays and signals, restricted to the trading window [i0, i1)."""

    __slots__ = (
        "_ts",
        "close",
        "enter",
        "exit",
        "high",
        "i0",
        "i1",
        "index",
        "low",
        "ns",
        "open",
        "pair",
        "ptr",
        "sig",
        "sig_idx",
        "stop",
        "target",
        "unit",
        "volume",
    )

    def __init__(self, pair: str, candles: pd.DataFrame, signals: pd.DataFrame, i0: int, i1: int):
        self.pair = pair
        self.index = candles.index
        # Open times in the index's own unit (a view); milliseconds are made when needed.
        self.ns = candles.index.asi8
        self.unit = str(candles.index.unit)
        self._ts: np.ndarray | None = None
        self.open, self.high, self.low, self.close, self.volume = [
            np.ascontiguousarray(candles[column].to_numpy(np.float64))
            for column in ("open", "high", "low", "close", "volume")
        ]
        self.enter = signals["enter_long"].to_numpy(bool)
        self.exit = signals["exit_long"].to_numpy(bool)
        self.stop = signals["stop_loss"].to_numpy(np.float64) if "stop_loss" in signals else None
        self.target = (
            signals["take_profit"].to_numpy(np.float64) if "take_profit" in signals else None
        )
        self.i0, self.i1 = i0, i1
        active = self.enter[i0:i1] | self.exit[i0:i1]
        self.sig = np.flatnonzero(active) + i0
        # Python ints: the driver walks this list once, one comparison per processed candle.
        self.sig_idx: list[int] = self.sig.tolist()
        self.ptr = 0

    @property
    def ts(self) -> np.ndarray:
        """Open times in epoch milliseconds (int64), computed on first use."""
        if self._ts is None:
            self._ts = _ms(self.ns, self.unit)
        return self._ts

    def ms_at(self, rows: np.ndarray) -> np.ndarray:
        """Open times of `rows` in epoch milliseconds."""
        return _ms(self.ns[rows], self.unit)

    def candle(self, i: int) -> Candle:
        return Candle(
            self.pair,
            int(self.ts[i]),
            float(self.open[i]),
            float(self.high[i]),
            float(self.low[i]),
            float(self.close[i]),
            float(self.volume[i]),
        )

    def signal(self, i: int) -> Signal:
        enter, leave = bool(self.enter[i]), bool(self.exit[i])
        if self.stop is None and self.target is None:
            # Signals are never mutated: plain ones can be shared.
            return _PLAIN_SIGNALS[enter, leave]
        return Signal(
            enter=enter,
            exit=leave,
            stop_loss=_price(self.stop, i),
            take_profit=_price(self.target, i),
        )

    def next_signal(self, start: int) -> int:
        idx, ptr = self.sig_idx, self.ptr
        n = len(idx)
        while ptr < n and idx[ptr] < start:
            ptr += 1
        self.ptr = ptr
        return idx[ptr] if ptr < n else self.i1

    def is_signal(self, i: int) -> bool:
        return self.next_signal(i) == i


_PER_MS: Final = {"ns": 1_000_000, "us": 1_000, "ms": 1}


def _ms(stamps: np.ndarray, unit: str) -> np.ndarray:
    """int64 times in `unit` (a pandas resolution) as epoch milliseconds."""
    if unit == "s":
        return stamps * 1000
    per_ms = _PER_MS[unit]
    return stamps // per_ms if per_ms != 1 else stamps


def _price(values: np.ndarray | None, i: int) -> Decimal | None:
    if values is None:
        return None
    value = float(values[i])
    return float_to_decimal(value) if np.isfinite(value) and value > 0 else None


def _window(
    index: pd.DatetimeIndex, start: datetime | None, end: datetime | None
) -> tuple[int, int]:
    i0 = int(index.searchsorted(pd.Timestamp(start), side="left")) if start else 0
    i1 = int(index.searchsorted(pd.Timestamp(end), side="right")) if end else len(index)
    return i0, i1


def run_backtest(
    strategy: Strategy,
    candles: dict[str, pd.DataFrame],
    timeframe: str,
    config: BacktestConfig | None = None,
) -> BacktestResult:
    """Run `strategy` over `candles` (pair -> candle frame) and measure the result."""
    config = config or BacktestConfig()
    if not candles:
        raise NoDataError("no candles to backtest")
    tf_ms = timeframe_to_ms(timeframe)
    pairs = list(candles)
    data: list[_PairData] = []
    for pair in pairs:
        frame = candles[pair]
        i0, i1 = _window(frame.index, config.start, config.end)
        if i1 - i0 < 2:
            raise NoDataError(
                f"{pair}: fewer than 2 candles between {config.start or 'the start'} and "
                f"{config.end or 'the end'} (data: {frame.index[0]} .. {frame.index[-1]})"
            )
        data.append(_PairData(pair, frame, compute_signals(strategy, frame), i0, i1))

    with _gc_paused(), money_arithmetic():  # many objects and no cycles; fixed decimal rules
        # Everything the engine built (orders, fills, books) is freed when `_simulate`
        # returns, still inside the pause: the collector never has to walk it.
        run = _simulate(strategy, data, tf_ms, config)
    equity, exposure = _equity_curve(data, run.log, config.capital)
    metrics = compute_metrics(
        equity,
        run.pnls,
        starting_capital=float(config.capital),
        periods_per_year=periods_per_year(timeframe),
        exposure=exposure,
        open_trades=run.open_trades,
    )
    metrics["final_equity"] = float(run.final_equity)
    # The yardstick (equal-weight over the pairs) and the costs, so `--json` carries them too.
    metrics["buy_and_hold_return"] = mean_market_change(
        [market_change(candles[d.pair]["close"].iloc[d.i0 : d.i1]) for d in data]
    )
    metrics["total_fees"] = float(sum((t.fees for t in run.trades), Decimal(0)))
    return BacktestResult(
        strategy=strategy.name,
        params=dict(strategy.params),
        pairs=pairs,
        timeframe=timeframe,
        starting_capital=config.capital,
        final_equity=run.final_equity,
        trades=run.trades,
        equity=equity,
        metrics=metrics,
        candles={d.pair: candles[d.pair].iloc[d.i0 : d.i1] for d in data},
        fee_rate=config.fee_rate,
        slippage_bps=config.slippage_bps,
        warnings=run.warnings + _gap_warnings(data, tf_ms, timeframe),
        run_info={**run.run_info, "data_gaps": _gaps(data, tf_ms)},
    )


def _gaps(data: list[_PairData], tf_ms: int) -> dict[str, dict[str, int]]:
    """Per pair, the gaps in its traded window and the candles they lack (one rule: none are
    invented; indicators run over the candles that exist, as a bot's do)."""
    out: dict[str, dict[str, int]] = {}
    for d in data:
        ts = d.index[d.i0 : d.i1].as_unit("ms").asi8
        gaps = find_gaps(ts, tf_ms)
        out[d.pair] = {"gaps": len(gaps), "missing": sum(g.missing for g in gaps)}
    return out


def _gap_warnings(data: list[_PairData], tf_ms: int, timeframe: str) -> list[str]:
    return [
        f"{pair}: {found['gaps']} gap(s) in the data, {found['missing']} {timeframe} candle(s) "
        "missing; none are invented, indicators run over the candles that exist (as a bot's do)"
        for pair, found in _gaps(data, tf_ms).items()
        if found["gaps"]
    ]


@dataclass
class _Run:
    """What a simulation leaves for the result: no reference to the engine's books."""

    log: _Log
    trades: list[TradeRecord]
    pnls: list[float]
    final_equity: Decimal
    open_trades: int
    warnings: list[str]
    run_info: dict[str, Any]


def _simulate(
    strategy: Strategy, data: list[_PairData], tf_ms: int, config: BacktestConfig
) -> _Run:
    """Drive the engine over `data` and keep only what the result needs."""
    pairs = [d.pair for d in data]
    exchange = PaperExchange(
        {config.quote: config.capital},
        fee_rate=config.fee_rate,
        slippage_bps=config.slippage_bps,
        rules={p: config.market_rules.get(p) for p in pairs},
    )
    portfolio = Portfolio(config.capital, config.quote)
    engine = TradingEngine(
        bot_id=config.bot_id,
        exchange=exchange,
        router=OrderRouter(exchange, MemoryOrderStore()),
        portfolio=portfolio,
        risk=RiskManager(config.risk, config.fee_rate),
        timeframe_ms=tf_ms,
        stop_loss_pct=strategy.stop_loss_pct,
        take_profit_pct=strategy.take_profit_pct,
    )
    every = config.every_candle or config.risk.watches_equity
    log = _drive(engine, exchange, data, every)
    for d in data:  # mark open positions at the window's last close
        portfolio.mark(d.pair, float(d.close[d.i1 - 1]))
    warnings = (
        [f"{len(engine.rejections)} order(s) refused; first: {engine.rejections[0].reason}"]
        if engine.rejections
        else []
    )
    run_info: dict[str, Any] = {
        "candles_processed": log.processed,
        "rejections": len(engine.rejections),
    }
    if engine.halted_at is not None:
        halted = {"time": _dt(engine.halted_at).isoformat(), "reason": engine.risk.halted_reason}
        run_info["halted"] = halted
        warnings.append(f"halted at {halted['time']}: {halted['reason']} (no entries after it)")
    return _Run(
        log=log,
        trades=_records(_round_trips(portfolio, data)),
        pnls=[float(t.profit_loss) for t in portfolio.closed],
        final_equity=portfolio.equity(),
        open_trades=len(portfolio.positions),
        warnings=warnings,
        run_info=run_info,
    )


@dataclass
class _Log:
    """State after each candle that changed it: enough to rebuild the equity curve."""

    pair: list[int] = field(default_factory=list)  # index into the pair list
    row: list[int] = field(default_factory=list)  # candle index in that pair's arrays
    cash: list[float] = field(default_factory=list)
    qty: list[float] = field(default_factory=list)  # the pair's position after the candle
    processed: int = 0


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The loop creates many short-lived objects and no cycles: skip collections meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _next_event(d: _PairData, exchange: PaperExchange, start: int) -> tuple[int, bool]:
    """The next candle of `d` from `start` on which something can happen, and if it signals."""
    nxt = d.next_signal(start)
    touch = exchange.next_touch(d.pair, d.high, d.low, start, nxt)
    if touch is not None and touch < nxt:
        return touch, False
    return nxt, True


def _schedule(
    data: list[_PairData], exchange: PaperExchange, every: bool
) -> Iterator[tuple[int, int, bool]]:
    """(pair index, candle index, has a signal) in time order, pairs in order at equal times.

    Resumed after each candle is processed, so the orders it placed are taken into account.
    """
    if len(data) == 1:  # every candle (one pair skipping candles is `_drive_one`)
        d = data[0]
        for i in range(d.i0, d.i1):
            yield 0, i, d.is_signal(i)
        return
    heap: list[tuple[int, int, int, bool]] = []
    for k, d in enumerate(data):
        first = d.i0 if every else d.next_signal(d.i0)
        if first < d.i1:
            heap.append((int(d.ts[first]), k, first, not every))
    heapq.heapify(heap)
    while heap:
        _, k, i, signal = heap[0]
        d = data[k]
        yield k, i, (d.is_signal(i) if every else signal)
        nxt, signal = (i + 1, False) if every else _next_event(d, exchange, i + 1)
        if nxt < d.i1:
            heapq.heapreplace(heap, (int(d.ts[nxt]), k, nxt, signal))
        else:
            heapq.heappop(heap)


def _drive(
    engine: TradingEngine, exchange: PaperExchange, data: list[_PairData], every: bool
) -> _Log:
    """Feed the engine every candle on which something can happen, in time order."""
    if len(data) == 1 and not every:
        return _drive_one(engine, exchange, data[0])
    log = _Log()
    portfolio = engine.portfolio
    positions = portfolio.positions
    fills_seen = 0
    processed = 0
    multi = len(data) > 1
    for k, i, has_signal in _schedule(data, exchange, every):
        d = data[k]
        if multi:
            _mark_others(portfolio, data, k, int(d.ts[i]))
        engine.on_candle(d.candle(i), d.signal(i) if has_signal else None)
        processed += 1
        if engine.fill_count != fills_seen:
            fills_seen = engine.fill_count
            position = positions.get(d.pair)
            log.pair.append(k)
            log.row.append(i)
            log.cash.append(float(portfolio.cash))
            log.qty.append(float(position.amount) if position is not None else 0.0)
    log.processed = processed
    return log


def _drive_one(engine: TradingEngine, exchange: PaperExchange, d: _PairData) -> _Log:
    """`_drive` for one pair when candles may be skipped: `_schedule`'s walk, inlined.

    The candles processed are the signal candles and those an open order could fill on
    (`PaperExchange.next_touch`); tests check that the results equal `every_candle=True`'s.
    The engine's and exchange's methods are called on their objects, not through local bound
    methods: compiled, that is a direct C call (a bound method is called through Python).
    """
    log = _Log()
    rows, cash_log, qty_log = log.row, log.cash, log.qty
    portfolio = engine.portfolio
    positions = portfolio.positions
    pair, high, low, end = d.pair, d.high, d.low, d.i1
    # Indexing a memoryview gives Python ints and floats, without numpy scalars or row copies.
    # Typed Any, not memoryview: compiled (mypyc), `memoryview[int]` would check every float.
    stamps: Any = None  # the millisecond times, made if a candle off the signals is visited
    opens: Any = d.open.data
    highs: Any = d.high.data
    lows: Any = d.low.data
    closes: Any = d.close.data
    volumes: Any = d.volume.data
    signals = d.sig_idx
    n_signals = len(signals)
    plain = d.stop is None and d.target is None
    enters = d.enter[d.sig].tolist() if plain and n_signals else []
    exits = d.exit[d.sig].tolist() if plain and n_signals else []
    # The candles of the signals and the candles right after them (where a market order sent at
    # a signal fills) are nearly all the walk visits: their rows are read in one vectorised pass.
    # Any other candle (a stop or a target touched later) is read from the arrays when visited.
    at_signal = _rows(d, d.sig)
    after_signal = _rows(d, np.minimum(d.sig + 1, end - 1))
    fills_seen = processed = k = 0  # signals[k]: the next signal candle
    i = signals[0] if n_signals else end
    while i < end:
        signal = None
        if k < n_signals and signals[k] == i:
            signal = _PLAIN_SIGNALS[enters[k], exits[k]] if plain else d.signal(i)
            candle = at_signal[k]
            k += 1
        elif k > 0 and signals[k - 1] + 1 == i:
            candle = after_signal[k - 1]
        else:
            if stamps is None:
                stamps = d.ts.data
            candle = Candle(pair, stamps[i], opens[i], highs[i], lows[i], closes[i], volumes[i])
        engine.on_candle(candle, signal)
        processed += 1
        if engine.fill_count != fills_seen:
            fills_seen = engine.fill_count
            position = positions.get(pair)
            rows.append(i)
            cash_log.append(float(portfolio.cash))
            qty_log.append(float(position.amount) if position is not None else 0.0)
        upcoming = signals[k] if k < n_signals else end
        touch = exchange.next_touch(pair, high, low, i + 1, upcoming)
        i = touch if touch is not None and touch < upcoming else upcoming
    log.pair = [0] * len(rows)
    log.processed = processed
    return log


def _rows(d: _PairData, rows: np.ndarray) -> list[Candle]:
    """The candles at `rows` of `d`, their values read in one vectorised pass per column."""
    pair = d.pair
    stamps: list[int] = d.ms_at(rows).tolist()
    opens: list[float] = d.open[rows].tolist()
    highs: list[float] = d.high[rows].tolist()
    lows: list[float] = d.low[rows].tolist()
    closes: list[float] = d.close[rows].tolist()
    volumes: list[float] = d.volume[rows].tolist()
    return [
        Candle(pair, stamps[j], opens[j], highs[j], lows[j], closes[j], volumes[j])
        for j in range(len(stamps))
    ]


def _mark_others(portfolio: Portfolio, data: list[_PairData], k: int, ts: int) -> None:
    """Give the other pairs their latest close at time `ts` (exposure, equity)."""
    for j, other in enumerate(data):
        if j == k:
            continue
        idx = int(other.ts.searchsorted(ts, side="right" if j < k else "left")) - 1
        if idx >= other.i0:
            portfolio.mark(other.pair, float(other.close[idx]))


def _forward_fill(
    positions: np.ndarray, values: np.ndarray, length: int, before: float
) -> np.ndarray:
    """Array of `length` holding, at each position, the last value set at or before it.

    `positions` is non-decreasing (records in time order); at equal positions the later record
    wins. Before the first position the value is `before`.
    """
    out = np.empty(length, dtype=np.float64)
    if len(positions) == 0:
        out.fill(before)
        return out
    last = np.ones(len(positions), dtype=bool)
    last[:-1] = positions[1:] != positions[:-1]
    starts = positions[last]
    out[: starts[0]] = before
    out[starts[0] :] = np.repeat(values[last], np.diff(starts, append=length))
    return out


def _equity_curve(data: list[_PairData], log: _Log, capital: Decimal) -> tuple[pd.Series, float]:
    """Cash + positions at each close of the window (pairs' union of times)."""
    pair_of = np.asarray(log.pair, dtype=np.int64)
    rows = np.asarray(log.row, dtype=np.int64)
    if len(data) == 1:
        d = data[0]
        size = d.i1 - d.i0
        where = rows - d.i0
    else:
        timeline = np.unique(np.concatenate([d.ts[d.i0 : d.i1] for d in data]))
        event_ts = np.array([data[k].ts[r] for k, r in zip(log.pair, log.row, strict=True)])
        where = np.searchsorted(timeline, event_ts.astype(np.int64)) if len(event_ts) else rows
        size = len(timeline)
    equity = _forward_fill(where, np.asarray(log.cash), size, float(capital))
    invested = np.zeros(size, dtype=bool)
    qty_all = np.asarray(log.qty)
    for k, d in enumerate(data):
        mine = pair_of == k
        if not mine.any():
            continue
        qty = _forward_fill(where[mine], qty_all[mine], size, 0.0)
        if len(data) == 1:
            close = d.close[d.i0 : d.i1]
        else:
            own = np.searchsorted(timeline, d.ts[d.i0 : d.i1])
            close = _forward_fill(own, d.close[d.i0 : d.i1], size, 0.0)
        equity += qty * close
        invested |= qty > 0
    if len(data) == 1:
        index = data[0].index[data[0].i0 : data[0].i1]
    else:
        index = pd.DatetimeIndex(timeline.astype("datetime64[ms]"), name="timestamp").tz_localize(
            UTC
        )
    exposure = float(invested.mean()) if size else 0.0
    return pd.Series(equity, index=index, name="equity"), exposure


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts / 1000, tz=UTC)


def _round_trips(portfolio: Portfolio, data: list[_PairData]) -> list[RoundTrip]:
    """Closed and still-open round trips in entry order."""
    trips = portfolio.closed + portfolio.open_round_trips()
    if len(data) > 1:  # one pair's round trips follow each other: already in entry order
        trips.sort(key=attrgetter("entry_ts", "pair"))
    return trips


def _records(trips: list[RoundTrip]) -> list[TradeRecord]:
    """The round trips as trade records."""
    return [
        TradeRecord(
            trip.pair,
            "long",
            trip.entry_ts,
            trip.entry_price,
            trip.amount,
            trip.entry_fee + trip.exit_fee,
            trip.profit_loss,
            trip.exit_ts,
            trip.exit_price,
            trip.exit_reason,
        )
        for trip in trips
    ]


def check_timeframe(candles: dict[str, pd.DataFrame], timeframe: str) -> None:
    """Refuse candle frames whose spacing does not match `timeframe`."""
    step = pd.Timedelta(milliseconds=timeframe_to_ms(timeframe))
    for pair, frame in candles.items():
        if len(frame) > 1:
            smallest = pd.Timedelta(milliseconds=int(np.diff(frame.index.as_unit("ms").asi8).min()))
            if smallest != step:
                raise InvalidInputError(
                    f"{pair}: candles are {smallest} apart, not {timeframe}; "
                    "pass --timeframe matching the data"
                )
