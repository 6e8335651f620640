"""Candles and spot markets of an exchange through a sync ccxt client, errors mapped to ours.

`CcxtOhlcvSource` is the real exchange behind data's ports: the live polling feed's
`OhlcvSource` (`data/feeds.py`) and the download's `HistorySource` (`data/download.py`).
It makes one request per call; retrying is the caller's choice (`domain/retry.py`).
"""

from __future__ import annotations

from typing import Any

from aurumbotx.domain.markets import MarketRules
from aurumbotx.execution.ccxt.errors import map_ccxt_error, translate_ccxt_errors
from aurumbotx.execution.ccxt.factory import create_ccxt_exchange
from aurumbotx.execution.ccxt.markets import spot_market_rules


class CcxtOhlcvSource:
    """One exchange's public market data: OHLCV pages, spot market rules and its clock."""

    def __init__(self, exchange: Any) -> None:
        self._exchange = exchange  # a ccxt.Exchange; Any because ccxt ships no type information
        self._rules: dict[str, MarketRules] | None = None

    @classmethod
    def create(
        cls, name: str, *, base_url: str | None = None, timeout_seconds: float = 10.0
    ) -> CcxtOhlcvSource:
        """A source on a new ccxt client of exchange `name` (see `create_ccxt_exchange`)."""
        return cls(create_ccxt_exchange(name, base_url=base_url, timeout_seconds=timeout_seconds))

    @property
    def name(self) -> str:
        """The ccxt id of the exchange ('binance')."""
        return str(self._exchange.id)

    @property
    def markets(self) -> dict[str, MarketRules] | None:
        """The rules of the loaded spot markets by symbol; None before `load_markets`."""
        if self._rules is None and self._exchange.markets is not None:
            self._rules = spot_market_rules(self._exchange, self._exchange.markets)
        return self._rules

    @property
    def timeframes(self) -> tuple[str, ...]:
        """The candle timeframes the exchange offers (empty when ccxt does not say)."""
        return tuple(getattr(self._exchange, "timeframes", None) or {})

    def load_markets(self) -> dict[str, MarketRules]:
        """Load the exchange's markets (one request) and return the spot markets' rules."""
        with translate_ccxt_errors():
            markets = self._exchange.load_markets()
        self._rules = spot_market_rules(self._exchange, markets)
        return self._rules

    def fetch_ohlcv(
        self, pair: str, timeframe: str, since: int, limit: int, until: int | None = None
    ) -> list[list[float]]:
        """Up to `limit` candles from `since` (ms), none opening after `until` (inclusive)."""
        params = {"until": until} if until is not None else {}
        try:
            rows: list[list[float]] = self._exchange.fetch_ohlcv(
                pair, timeframe, since=since, limit=limit, params=params
            )
        except Exception as error:
            # Anything the client raises (not only ccxt's tree) is an exchange error to the
            # feed, which keeps polling after one (data/feeds.py).
            raise map_ccxt_error(error) from error
        return rows

    def milliseconds(self) -> int:
        """Now, in epoch milliseconds, on ccxt's clock."""
        return int(self._exchange.milliseconds())
