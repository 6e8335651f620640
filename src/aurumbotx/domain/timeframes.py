"""Candle timeframes ('1m', '5m', '1h', '1d', ...) in ccxt/Binance notation."""

from __future__ import annotations

import re

from aurumbotx.domain.errors import InvalidInputError

_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_TIMEFRAME_RE = re.compile(r"^(\d+)([mhdw])$")
MS_PER_YEAR = 365 * 86_400_000  # crypto trades every day of the year


def timeframe_to_ms(timeframe: str) -> int:
    """Length of one candle in milliseconds; InvalidInputError for an unknown timeframe."""
    match = _TIMEFRAME_RE.match(timeframe.strip())
    if not match or int(match.group(1)) <= 0:
        raise InvalidInputError(
            f"not a timeframe: {timeframe!r} (expected e.g. 1m, 5m, 15m, 1h, 4h, 1d)"
        )
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def periods_per_year(timeframe: str) -> float:
    """How many candles of `timeframe` a 365-day year holds (for annualising)."""
    return MS_PER_YEAR / timeframe_to_ms(timeframe)


def pandas_freq(timeframe: str) -> str:
    """The pandas offset alias of a timeframe ('1h' -> '60min')."""
    return f"{timeframe_to_ms(timeframe) // 60_000}min"
