"""The emulator's state: markets, candles, injected faults and the log of received requests.

One `EmulatorState` per emulator, shared by its request threads under one lock. Endpoint
handlers read and change it; tests arrange it (markets, candles, accounts, prices, faults) and
inspect it (recorded requests, orders, trades). Accounts, orders, trades and prices live in its
`spot` book (`aurumbotx.testing.emulator.spot`), changed only with the lock held.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from aurumbotx.data.frames import CandleArrays
from aurumbotx.domain.values import Pair
from aurumbotx.testing.emulator.spot import SpotBook

STATUS = "status"
DELAY = "delay"
DROP = "drop"


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One spot market as exchangeInfo describes it (filters as Binance's decimal strings)."""

    symbol: str
    tick_size: Decimal = Decimal("0.01")
    step_size: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    min_notional: Decimal = Decimal("5")
    status: str = "TRADING"

    @property
    def pair(self) -> Pair:
        """Base and quote assets."""
        return Pair.parse(self.symbol)

    @property
    def exchange_id(self) -> str:
        """Binance's market id, e.g. BTCUSDT."""
        return f"{self.pair.base}{self.pair.quote}"


@dataclass(slots=True)
class Fault:
    """Misbehaviour for matching requests: an error status, a delay or a dropped connection.

    The first `skip` matching requests pass untouched; the next `times` (None: every one
    after that, i.e. a permanent outage) get the fault. `path` and `method` (None: any) select
    the requests. With `after` the request is processed first and only its answer is lost,
    late or replaced: an order accepted while the client sees a timeout, a dropped connection
    or a 5xx, the classic duplicate-order trap.
    """

    action: str
    status: int = 500
    retry_after: float | None = None
    seconds: float = 0.0
    body: Any = None
    path: str | None = None
    skip: int = 0
    times: int | None = 1
    seen: int = 0
    applied: int = 0
    method: str | None = None
    after: bool = False

    def claims(self, path: str, method: str | None = None) -> bool:
        """Count a request to `path`; True when this fault applies to it."""
        if self.path is not None and self.path != path:
            return False
        if self.method is not None and method is not None and self.method != method.upper():
            return False
        if self.times is not None and self.applied >= self.times:
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        self.applied += 1
        return True


@dataclass(slots=True)
class RecordedRequest:
    """A request the emulator received and the status it answered (None: dropped).

    `handled_status` is what the endpoint itself answered (None: the request never reached
    it); it differs from `status` when a fault hit after processing.
    """

    method: str
    path: str
    params: dict[str, str]
    time: float
    status: int | None = None
    handled_status: int | None = None


@dataclass
class EmulatorState:
    """Markets, candles, faults and the request log of one emulator."""

    markets: dict[str, MarketSpec] = field(default_factory=dict)
    candles: dict[tuple[str, str], CandleArrays] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    spot: SpotBook = field(default_factory=SpotBook)
    clock: Callable[[], float] = time.time
    lock: threading.RLock = field(default_factory=threading.RLock)

    def now_ms(self) -> int:
        """The emulator's current time in epoch milliseconds."""
        return int(self.clock() * 1000)

    def market_by_id(self, market_id: str) -> MarketSpec | None:
        """The market whose Binance id (BTCUSDT) is `market_id`."""
        return next((m for m in self.markets.values() if m.exchange_id == market_id), None)

    def upsert_candle(self, symbol: str, timeframe: str, row: Sequence[float]) -> None:
        """Add or replace one candle ([open time ms, o, h, l, c, v]) of a market's klines."""
        ts = int(row[0])
        values = [float(v) for v in row[1:6]]
        with self.lock:
            current = self.candles.get((symbol, timeframe)) or CandleArrays.empty()
            # New arrays every time: the current ones may share memory with a caller's frame.
            columns = [current.open, current.high, current.low, current.close, current.volume]
            at = int(np.searchsorted(current.ts, ts, "left"))
            if at < len(current) and int(current.ts[at]) == ts:
                times = current.ts.copy()
                columns = [c.copy() for c in columns]
                for column, value in zip(columns, values, strict=True):
                    column[at] = value
            else:
                times = np.insert(current.ts, at, ts)
                columns = [np.insert(c, at, v) for c, v in zip(columns, values, strict=True)]
            self.candles[(symbol, timeframe)] = CandleArrays(times, *columns)

    def take_fault(self, path: str, method: str | None = None) -> Fault | None:
        """The first fault that applies to this request to `path`, if any."""
        with self.lock:
            for fault in self.faults:
                if fault.claims(path, method):
                    return fault
        return None

    def record(self, method: str, path: str, params: dict[str, str]) -> RecordedRequest:
        """Log a received request."""
        entry = RecordedRequest(method, path, params, time.time())
        with self.lock:
            self.requests.append(entry)
        return entry
