"""The candle frame: the one in-memory shape of market history in research code.

A candle frame is a `pandas.DataFrame` with

* index: `DatetimeIndex`, timezone UTC, named ``timestamp``: each candle's OPEN time
  (Binance's convention), strictly increasing, on the timeframe's grid;
* columns ``open, high, low, close, volume`` (float64; volume in the base asset);
* optional ``attrs``: ``pair`` ('BTC/USDT'), ``timeframe`` ('1h'), ``source`` (file or store).

Loaders produce it, validation checks it, features and strategies consume it. The engine
turns one row into a `Candle` (below) when it acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass

CANDLE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
INDEX_NAME = "timestamp"


@dataclass(slots=True, init=False)
class Candle:
    """One closed candle of one pair: open time in epoch milliseconds, float prices.

    Not frozen: creating frozen dataclasses costs several times more, and the backtester makes
    one per processed candle. Treat it as immutable. The explicit __init__ is for the compiled
    engine (see `aurumbotx.domain.trading`).
    """

    pair: str
    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float

    def __init__(
        self, pair: str, ts: int, open: float, high: float, low: float, close: float, volume: float
    ) -> None:
        self.pair = pair
        self.ts = ts
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
