"""The Strategy base class: declared parameters, vectorised signals, a safe call wrapper.

A strategy turns a candle frame into signals, computed for every candle at its close:

    class MyStrategy(Strategy):
        name = "my_strategy"
        parameters = {"period": Parameter(14, "RSI period", minimum=2)}

        def populate(self, candles):        # whole history at once, vectorised
            ...
            return pd.DataFrame({"enter_long": ..., "exit_long": ...}, index=candles.index)

`populate` must not look ahead: the row at t may use candles up to t only (the backtester
checks a sample of signals after every run, `aurumbotx check-lookahead` checks them all).
Optional columns: `stop_loss` and `take_profit` (absolute prices for a position opened by that
row's entry) and any indicator columns, kept for reports and the lookahead check. Positions are
long-only; protective orders come from `stop_loss_pct` / `take_profit_pct` parameters when a
strategy declares them. User code is always called through `compute_signals`, which turns its
exceptions into a StrategyError. Signals on the candles of the strategy's warm-up (before
`startup_candles` candles of history) are dropped there, in backtests and bots alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import AurumBotXError, InvalidInputError, StrategyError
from aurumbotx.domain.trading import Signal

SIGNAL_COLUMNS = ("enter_long", "exit_long")
PRICE_COLUMNS = ("stop_loss", "take_profit")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Parameter:
    """A tunable parameter: default (its type is the parameter's type), help and bounds."""

    default: int | float | bool | str
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None

    def convert(self, name: str, value: object) -> int | float | bool | str:
        """Coerce `value` (often a CLI string) to this parameter's type, within its bounds."""
        kind = type(self.default)
        try:
            if kind is bool:
                if isinstance(value, bool):
                    result: int | float | bool | str = value
                elif str(value).strip().lower() in _TRUE:
                    result = True
                elif str(value).strip().lower() in _FALSE:
                    result = False
                else:
                    raise ValueError(value)
            elif kind is int:
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError(value)
                result = int(str(value).strip()) if isinstance(value, str) else int(value)  # type: ignore[call-overload]
            elif kind is float:
                result = float(value)  # type: ignore[arg-type]
                if not np.isfinite(result):
                    raise ValueError(value)
            else:
                result = str(value)
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"parameter {name!r} must be {kind.__name__}, got {value!r}"
            ) from None
        if isinstance(result, int | float) and not isinstance(result, bool):
            if self.minimum is not None and result < self.minimum:
                raise InvalidInputError(
                    f"parameter {name!r} must be >= {self.minimum}, got {result}"
                )
            if self.maximum is not None and result > self.maximum:
                raise InvalidInputError(
                    f"parameter {name!r} must be <= {self.maximum}, got {result}"
                )
        return result


class LiveSignals(Protocol):
    """A strategy's incremental signals: the next closed candle in, its signal out."""

    def on_candle(self, candle: Candle) -> Signal | None:
        """The signal at the close of `candle` (which follows the last one seen)."""
        ...


class Strategy(ABC):
    """Base class of every strategy, built-in or user-written."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    parameters: ClassVar[dict[str, Parameter]] = {}

    def __init__(self, **params: object) -> None:
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            valid = ", ".join(sorted(self.parameters)) or "none"
            raise InvalidInputError(
                f"unknown parameter(s) {', '.join(unknown)} for strategy {self.name!r} "
                f"(valid: {valid})"
            )
        self.params: dict[str, Any] = {
            key: spec.convert(key, params[key]) if key in params else spec.default
            for key, spec in self.parameters.items()
        }
        self.validate()

    def validate(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Check relations between parameters; raise InvalidInputError."""

    @property
    def startup_candles(self) -> int:
        """Candles the indicators need before the first valid signal."""
        return 0

    @property
    def stop_loss_pct(self) -> Decimal | None:
        """Stop-loss distance in % of the entry price (from a `stop_loss_pct` parameter)."""
        value = self.params.get("stop_loss_pct")
        return Decimal(str(value)) if value else None

    @property
    def take_profit_pct(self) -> Decimal | None:
        """Take-profit distance in % of the entry price (from a `take_profit_pct` parameter)."""
        value = self.params.get("take_profit_pct")
        return Decimal(str(value)) if value else None

    @abstractmethod
    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        """Signals (and indicators) for every candle, indexed like `candles`."""

    def live_signals(
        self, history: pd.DataFrame, on_record: Callable[[Any], None] | None = None
    ) -> LiveSignals | None:
        """An incremental signal source for live bots, warmed up on `history`; None: use
        `populate` on the history at every candle (the default, exact for any strategy)."""
        return None

    def describe(self) -> str:
        """'name(key=value, ...)'."""
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}({args})"


def compute_signals(strategy: Strategy, candles: pd.DataFrame) -> pd.DataFrame:
    """Call `strategy.populate` safely and check what it returned."""
    try:
        frame = strategy.populate(candles)
    except AurumBotXError:
        raise
    except Exception as error:
        raise StrategyError(
            f"strategy {strategy.name!r} failed in populate: {type(error).__name__}: {error}"
        ) from error
    if not isinstance(frame, pd.DataFrame):
        raise StrategyError(f"strategy {strategy.name!r}: populate must return a DataFrame")
    if len(frame) != len(candles) or not frame.index.equals(candles.index):
        raise StrategyError(
            f"strategy {strategy.name!r}: populate must return one row per candle, same index"
        )
    missing = [c for c in SIGNAL_COLUMNS if c not in frame.columns]
    if missing:
        raise StrategyError(f"strategy {strategy.name!r}: populate returned no {missing} column")
    loose = [c for c in SIGNAL_COLUMNS if frame[c].dtype != np.bool_]
    start = signal_start(strategy)
    early = start > 0 and any(frame[c].to_numpy()[:start].any() for c in SIGNAL_COLUMNS)
    if not loose and not early:
        return frame  # booleans (no NaN possible), none in the warm-up: nothing to copy
    out = frame.copy()
    for column in loose:
        out[column] = out[column].fillna(False).astype(bool)
    if early:
        for column in SIGNAL_COLUMNS:
            out.iloc[:start, out.columns.get_loc(column)] = False
    return out


def signal_start(strategy: Strategy) -> int:
    """Index of the first candle that may carry a signal: the one completing the warm-up.

    The one warm-up rule of backtests and bots: a signal needs `startup_candles` candles of
    history, its own included; earlier candles only warm the indicators up.
    """
    return max(strategy.startup_candles - 1, 0)


def warmed_up(strategy: Strategy, candles_seen: int) -> bool:
    """True once the latest of `candles_seen` candles may carry a signal (`signal_start`)."""
    return candles_seen > signal_start(strategy)


def parse_params(assignments: list[str] | None) -> dict[str, str]:
    """['fast=10', 'slow=50'] -> {'fast': '10', 'slow': '50'}; InvalidInputError otherwise."""
    result: dict[str, str] = {}
    for item in assignments or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"--param expects key=value, got {item!r}")
        result[key.strip()] = value.strip()
    return result
