"""What a backtest returns: trades, equity curve, metrics; and its JSON form.

JSON (`BacktestResult.to_json_dict`, written by `write_json`)::

    {"metrics": {...},
     "trades": [{"pair", "side", "entry_time", "exit_time", "entry_price", "exit_price",
                 "amount", "fees", "profit_loss", "exit_reason"}, ...],
     "equity_curve": [[timestamp_ms, equity], ...],
     "run": {"strategy", "params", "pairs", "timeframe", "start", "end", ...}}

Times are ISO-8601 UTC strings, prices and amounts decimal strings (exact), metrics numbers;
an infinite metric (profit factor without a losing trade) is the string "inf" and an undefined
one (Sharpe ratio of a flat equity curve) is null.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import orjson
import pandas as pd

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(ts: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime (exact: no float division)."""
    return _EPOCH + timedelta(milliseconds=ts)


@dataclass(slots=True, init=False)
class TradeRecord:
    """One round trip (or a still-open position) of one pair.

    Times are kept as the engine has them, epoch milliseconds (`entry_ts`, `exit_ts`);
    `entry_time` and `exit_time` give them as UTC datetimes. `fees` are entry plus exit fees in
    the quote asset. `profit_loss` is net of fees; for a position still open at the end of the
    data it is marked to market at the last close without an exit fee, and the exit fields are
    None.
    """

    pair: str
    side: str  # "long" (spot, long-only for now)
    entry_ts: int
    entry_price: Decimal
    amount: Decimal
    fees: Decimal
    profit_loss: Decimal
    exit_ts: int | None = None
    exit_price: Decimal | None = None
    exit_reason: str | None = None  # "signal", "stop_loss", "take_profit" or None while open

    def __init__(  # explicit for the compiled engine (see aurumbotx.domain.trading)
        self,
        pair: str,
        side: str,
        entry_ts: int,
        entry_price: Decimal,
        amount: Decimal,
        fees: Decimal,
        profit_loss: Decimal,
        exit_ts: int | None = None,
        exit_price: Decimal | None = None,
        exit_reason: str | None = None,
    ) -> None:
        self.pair = pair
        self.side = side
        self.entry_ts = entry_ts
        self.entry_price = entry_price
        self.amount = amount
        self.fees = fees
        self.profit_loss = profit_loss
        self.exit_ts = exit_ts
        self.exit_price = exit_price
        self.exit_reason = exit_reason

    @property
    def entry_time(self) -> datetime:
        """When the first entry filled (UTC)."""
        return _utc(self.entry_ts)

    @property
    def exit_time(self) -> datetime | None:
        """When the exit filled (UTC); None while open."""
        return None if self.exit_ts is None else _utc(self.exit_ts)

    @property
    def is_open(self) -> bool:
        """True for a position still open at the end of the data."""
        return self.exit_ts is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "pair": self.pair,
            "side": self.side,
            "entry_time": _utc(self.entry_ts).isoformat(),
            "exit_time": _utc(self.exit_ts).isoformat() if self.exit_ts is not None else None,
            "entry_price": str(self.entry_price),
            "exit_price": str(self.exit_price) if self.exit_price is not None else None,
            "amount": str(self.amount),
            "fees": str(self.fees),
            "profit_loss": str(self.profit_loss),
            "exit_reason": self.exit_reason,
        }


@dataclass
class BacktestResult:
    """Everything a report, a JSON file or a test needs about one run."""

    strategy: str
    params: dict[str, Any]
    pairs: list[str]
    timeframe: str
    starting_capital: Decimal
    final_equity: Decimal
    trades: list[TradeRecord]
    equity: pd.Series  # DatetimeIndex (UTC) -> equity in the quote asset, marked at each close
    metrics: dict[str, float | int | None]
    candles: dict[str, pd.DataFrame] = field(default_factory=dict)  # pair -> candle frame
    fee_rate: Decimal = Decimal("0.001")
    slippage_bps: Decimal = Decimal(0)
    warnings: list[str] = field(default_factory=list)
    run_info: dict[str, Any] = field(default_factory=dict)

    @property
    def closed_trades(self) -> list[TradeRecord]:
        """Round trips that ended inside the data."""
        return [t for t in self.trades if not t.is_open]

    def equity_curve(self) -> list[list[float]]:
        """[[timestamp_ms, equity], ...]."""
        return [list(point) for point in self._equity_points()]

    def _equity_points(self) -> list[tuple[int, float]]:
        if not len(self.equity):
            return []
        times = self.equity.index.as_unit("ms").asi8.tolist()
        values = self.equity.to_numpy(dtype="float64").tolist()
        return list(zip(times, values, strict=True))

    def json_metrics(self) -> dict[str, float | int | str | None]:
        """The metrics as JSON values ("inf" for an infinite one, null for an undefined one)."""
        return {k: _json_number(v) for k, v in self.metrics.items()}

    def json_run(self) -> dict[str, Any]:
        """The "run" part of the JSON: what was run, on what, with which costs."""
        start = self.equity.index[0].isoformat() if len(self.equity) else None
        end = self.equity.index[-1].isoformat() if len(self.equity) else None
        return {
            "strategy": self.strategy,
            "params": self.params,
            "pairs": self.pairs,
            "timeframe": self.timeframe,
            "start": start,
            "end": end,
            "starting_capital": str(self.starting_capital),
            "final_equity": str(self.final_equity),
            "fee_rate": str(self.fee_rate),
            "slippage_bps": str(self.slippage_bps),
            "warnings": self.warnings,
            **self.run_info,
        }

    def to_json_dict(self) -> dict[str, Any]:
        """The documented JSON structure."""
        return {
            "metrics": self.json_metrics(),
            "trades": [t.to_dict() for t in self.trades],
            "equity_curve": self.equity_curve(),
            "run": self.json_run(),
        }

    def write_json(self, path: Path) -> None:
        """Write the JSON file (atomically), compact: a million-point curve is about 40 MB.

        orjson writes the same document as `to_json_dict`, several times faster than the
        standard library (floats in their shortest round-trip form, like `repr`; numpy
        numbers as numbers).
        """
        document = {
            "metrics": self.json_metrics(),
            "trades": [t.to_dict() for t in self.trades],
            "equity_curve": self._equity_points(),  # tuples are written as arrays
            "run": self.json_run(),
        }
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(orjson.dumps(document, default=str, option=orjson.OPT_SERIALIZE_NUMPY))
        tmp.replace(path)


def _json_number(value: float | int | None) -> float | int | str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    return value
