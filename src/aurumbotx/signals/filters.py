"""The spec's signal filters, applied in this order: volume, volatility, trend, risk.

Each filter looks at one BUY or SELL and lets it through or turns it into HOLD with a reason.
The values are the candle's features (`aurumbotx.features`) plus its close; ``mcv`` is
``market_condition_volatility`` = ATR(14) / close, ``volatility`` the standard deviation of the
last 20 one-candle returns. Defaults in brackets, chosen for 1h-4h candles:

===========  =============================================  ==================================
filter       holds a BUY when                               holds a SELL when
===========  =============================================  ==================================
volume       volume_ratio < min_volume_ratio [0.5]          the same
volatility   mcv < min_volatility [0.0005] or               mcv < min_volatility
             mcv > max_volatility [0.05]
trend        close < sma_200 or ema_20 < ema_50             close > sma_200 or ema_20 > ema_50
             (a down-trend)                                 (an up-trend)
risk         the bot is paused or halted, or                confidence < min_confidence
             confidence < min_confidence [0, off], or
             volatility > max_realised_volatility [0.03]
===========  =============================================  ==================================

A value that is undefined (NaN: a warm-up row, a candle with no volume history) holds the
signal in every rule above: no decision on missing data. Ties pass (close == sma_200 is not
against the trend).

Why some rules hold only a BUY: the strategies are long-only, so a SELL closes a position.
Refusing it in a storm (mcv or realised volatility too high) or while the bot is paused would
keep exactly the risk those rules exist to avoid. Thin or dead markets and the trend question
the model's forecast itself, so they hold both sides.

Every filter has a scalar `check` (the live path, one candle) and a vectorised `check_many`
(backtests); both implement the same comparisons, written as ``not (value >= limit)`` so that
NaN holds in both, and a test checks they agree row for row.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.signals.record import SignalAction

BoolArray = np.ndarray
BUY, SELL = SignalAction.BUY, SignalAction.SELL


class SignalFilter(ABC):
    """One filter of the chain: a name, the values it reads, a scalar and a vectorised rule."""

    name: ClassVar[str] = ""
    columns: ClassVar[tuple[str, ...]] = ()
    enabled: bool = True

    @abstractmethod
    def check(
        self,
        action: SignalAction,
        values: Mapping[str, float],
        confidence: float,
        halted: str | None,
    ) -> str | None:
        """Why a BUY/SELL must be held (a reason), or None to let it through."""

    @abstractmethod
    def check_many(
        self,
        buy: BoolArray,
        sell: BoolArray,
        columns: Mapping[str, np.ndarray],
        confidence: np.ndarray,
        halted: str | None,
    ) -> BoolArray:
        """Boolean mask of the rows of `buy` | `sell` that `check` would hold."""


@dataclass(frozen=True)
class VolumeFilter(SignalFilter):
    """Holds BUY and SELL on a thin candle: volume below a fraction of its 20-candle mean."""

    name: ClassVar[str] = "volume"
    columns: ClassVar[tuple[str, ...]] = ("volume_ratio",)
    min_volume_ratio: float = 0.5
    enabled: bool = True

    def __post_init__(self) -> None:
        _non_negative("min_volume_ratio", self.min_volume_ratio)

    def check(
        self,
        action: SignalAction,
        values: Mapping[str, float],
        confidence: float,
        halted: str | None,
    ) -> str | None:
        """volume_ratio must be >= min_volume_ratio."""
        ratio = values["volume_ratio"]
        if not ratio >= self.min_volume_ratio:
            return f"volume_ratio {ratio:.3g} < min_volume_ratio {self.min_volume_ratio:g}"
        return None

    def check_many(
        self,
        buy: BoolArray,
        sell: BoolArray,
        columns: Mapping[str, np.ndarray],
        confidence: np.ndarray,
        halted: str | None,
    ) -> BoolArray:
        """Vectorised `check`."""
        with np.errstate(invalid="ignore"):
            thin = ~(columns["volume_ratio"] >= self.min_volume_ratio)
        return np.asarray((buy | sell) & thin, dtype=bool)


@dataclass(frozen=True)
class VolatilityFilter(SignalFilter):
    """Holds both sides in a dead market (ATR/close too low), a BUY in a wild one (too high)."""

    name: ClassVar[str] = "volatility"
    columns: ClassVar[tuple[str, ...]] = ("market_condition_volatility",)
    min_volatility: float = 0.0005
    max_volatility: float = 0.05
    enabled: bool = True

    def __post_init__(self) -> None:
        _non_negative("min_volatility", self.min_volatility)
        if not self.max_volatility > self.min_volatility:
            raise InvalidInputError(
                f"max_volatility ({self.max_volatility}) must be above min_volatility "
                f"({self.min_volatility})"
            )

    def check(
        self,
        action: SignalAction,
        values: Mapping[str, float],
        confidence: float,
        halted: str | None,
    ) -> str | None:
        """min_volatility <= mcv (both sides), mcv <= max_volatility (BUY)."""
        mcv = values["market_condition_volatility"]
        if not mcv >= self.min_volatility:
            return f"market_condition_volatility {mcv:.3g} < min_volatility {self.min_volatility:g}"
        if action is BUY and not mcv <= self.max_volatility:
            return f"market_condition_volatility {mcv:.3g} > max_volatility {self.max_volatility:g}"
        return None

    def check_many(
        self,
        buy: BoolArray,
        sell: BoolArray,
        columns: Mapping[str, np.ndarray],
        confidence: np.ndarray,
        halted: str | None,
    ) -> BoolArray:
        """Vectorised `check`."""
        mcv = columns["market_condition_volatility"]
        with np.errstate(invalid="ignore"):
            dead = ~(mcv >= self.min_volatility)
            wild = ~(mcv <= self.max_volatility)
        return np.asarray(((buy | sell) & dead) | (buy & wild), dtype=bool)


@dataclass(frozen=True)
class TrendFilter(SignalFilter):
    """Holds a BUY against a down-trend and a SELL against an up-trend (close, SMA 200, EMAs)."""

    name: ClassVar[str] = "trend"
    columns: ClassVar[tuple[str, ...]] = ("close", "sma_200", "ema_20", "ema_50")
    enabled: bool = True

    def check(
        self,
        action: SignalAction,
        values: Mapping[str, float],
        confidence: float,
        halted: str | None,
    ) -> str | None:
        """BUY needs close >= sma_200 and ema_20 >= ema_50; SELL the opposite (<=)."""
        close, sma_200 = values["close"], values["sma_200"]
        ema_20, ema_50 = values["ema_20"], values["ema_50"]
        if action is BUY:
            if not close >= sma_200:
                return f"BUY against a down-trend: close {close:.6g} < sma_200 {sma_200:.6g}"
            if not ema_20 >= ema_50:
                return f"BUY against a down-trend: ema_20 {ema_20:.6g} < ema_50 {ema_50:.6g}"
            return None
        if not close <= sma_200:
            return f"SELL against an up-trend: close {close:.6g} > sma_200 {sma_200:.6g}"
        if not ema_20 <= ema_50:
            return f"SELL against an up-trend: ema_20 {ema_20:.6g} > ema_50 {ema_50:.6g}"
        return None

    def check_many(
        self,
        buy: BoolArray,
        sell: BoolArray,
        columns: Mapping[str, np.ndarray],
        confidence: np.ndarray,
        halted: str | None,
    ) -> BoolArray:
        """Vectorised `check`."""
        close, sma_200 = columns["close"], columns["sma_200"]
        ema_20, ema_50 = columns["ema_20"], columns["ema_50"]
        with np.errstate(invalid="ignore"):
            up_ok = (close >= sma_200) & (ema_20 >= ema_50)
            down_ok = (close <= sma_200) & (ema_20 <= ema_50)
        return np.asarray((buy & ~up_ok) | (sell & ~down_ok), dtype=bool)


@dataclass(frozen=True)
class RiskFilter(SignalFilter):
    """Holds low-confidence signals; holds a BUY while the bot is halted or returns are wild."""

    name: ClassVar[str] = "risk"
    columns: ClassVar[tuple[str, ...]] = ("volatility",)
    min_confidence: float = 0.0
    max_realised_volatility: float = 0.03
    enabled: bool = True

    def __post_init__(self) -> None:
        _non_negative("min_confidence", self.min_confidence)
        _non_negative("max_realised_volatility", self.max_realised_volatility)

    def check(
        self,
        action: SignalAction,
        values: Mapping[str, float],
        confidence: float,
        halted: str | None,
    ) -> str | None:
        """Confidence floor (both sides); not halted and volatility <= the cap (BUY)."""
        if not confidence >= self.min_confidence:
            return f"confidence {confidence:.3f} < min_confidence {self.min_confidence:g}"
        if action is BUY:
            if halted is not None:
                return f"bot paused or halted: {halted}"
            volatility = values["volatility"]
            if not volatility <= self.max_realised_volatility:
                return (
                    f"realised volatility {volatility:.3g} > max_realised_volatility "
                    f"{self.max_realised_volatility:g}"
                )
        return None

    def check_many(
        self,
        buy: BoolArray,
        sell: BoolArray,
        columns: Mapping[str, np.ndarray],
        confidence: np.ndarray,
        halted: str | None,
    ) -> BoolArray:
        """Vectorised `check`."""
        with np.errstate(invalid="ignore"):
            unsure = ~(confidence >= self.min_confidence)
            wild = ~(columns["volatility"] <= self.max_realised_volatility)
        risky = np.ones_like(buy, dtype=bool) if halted is not None else wild
        return np.asarray(((buy | sell) & unsure) | (buy & risky), dtype=bool)


def default_filters() -> tuple[SignalFilter, ...]:
    """The spec's chain with default parameters: volume, volatility, trend, risk."""
    return (VolumeFilter(), VolatilityFilter(), TrendFilter(), RiskFilter())


def _non_negative(name: str, value: float) -> None:
    if not (np.isfinite(value) and value >= 0):
        raise InvalidInputError(f"{name} must be a finite number >= 0, got {value!r}")


FILTER_ORDER: tuple[str, ...] = tuple(f.name for f in default_filters())
