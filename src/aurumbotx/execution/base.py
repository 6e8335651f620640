"""The ExchangeClient protocol: what the engine needs from any exchange, real or simulated.

Two implementations, chosen in one place (bootstrap / the backtest runner): `PaperExchange`
(the backtester's fill model, used for backtests and paper bots) and the ccxt client (live).
The engine is synchronous; live drivers run it in a worker thread so that network calls never
block the asyncio loop of the API or the feeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.markets import MarketRules
from aurumbotx.domain.trading import Fill, Order


class ExchangeClient(Protocol):
    """Orders, fills and balances on one account."""

    fee_rate: Decimal

    def market_rules(self, pair: str) -> MarketRules | None:
        """The pair's trading rules, or None when unknown (nothing is rounded then)."""
        ...

    def submit_order(self, order: Order, now_ts: int) -> Order:
        """Send `order`; idempotent on its client order id. Returns it with the new status."""
        ...

    def cancel_order(self, client_order_id: str, now_ts: int) -> Order | None:
        """Cancel an open order; None when the exchange does not know it."""
        ...

    def fetch_order(self, client_order_id: str) -> Order | None:
        """The exchange's view of an order, by client order id (reconciliation)."""
        ...

    def resend_wait(self, order: Order) -> float:
        """Seconds until no request sent for `order` can still execute (0: it may be re-sent)."""
        ...

    def open_orders(self, pair: str | None = None) -> list[Order]:
        """Orders not yet in a final state."""
        ...

    def balances(self) -> dict[str, Decimal]:
        """Total balance per asset."""
        ...

    def on_candle(self, candle: Candle) -> list[Fill]:
        """New fills up to the close of `candle` (simulated: matched against its range)."""
        ...

    def restore(self, balances: dict[str, Decimal], open_orders: list[Order]) -> None:
        """After a restart, a paper bot: rebuild the simulated account from what was committed.

        A real account keeps its own balances and orders: a live client does nothing here.
        """
        ...

    def restore_open_orders(self, orders: Iterable[Order]) -> list[str]:
        """After a restart, a live bot: take back a previous run's open orders; notes for the log.

        A simulated account got its orders back with `restore`: it returns [].
        """
        ...
