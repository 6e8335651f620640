"""Portfolio: one bot's cash, positions and round trips, updated by fills.

Long-only spot: a BUY fill opens or adds to the pair's position, a SELL fill reduces or closes
it. Fees are in the quote asset. A round trip's profit is proceeds - cost - both fees.
"""

from __future__ import annotations

from decimal import Decimal

from aurumbotx.domain.enums import BUY
from aurumbotx.domain.trading import ZERO, Fill, RoundTrip, Signal
from aurumbotx.domain.values import float_to_decimal


class Position:
    """An open long position of one pair."""

    __slots__ = (
        "amount",
        "cost",
        "entry_fee",
        "entry_price",
        "entry_ts",
        "oco_group",
        "pair",
        "signal",
    )

    def __init__(self, pair: str, ts: int, price: Decimal) -> None:
        self.pair = pair
        self.amount = ZERO
        self.cost = ZERO  # sum of amount x price of the entries
        self.entry_fee = ZERO
        self.entry_price = price  # the fill price; the average once several entries filled
        self.entry_ts = ts
        self.oco_group: str | None = None
        self.signal: Signal | None = None


class Portfolio:
    """Cash, positions and closed round trips of one bot (all pairs share the cash)."""

    def __init__(self, cash: Decimal, quote: str = "USDT") -> None:
        self.cash = cash
        self.quote = quote
        self.positions: dict[str, Position] = {}
        self.closed: list[RoundTrip] = []
        # Latest close per pair as the candle has it (a float); its Decimal is made when asked
        # for (`price`), not at every candle: most candles of a backtest never need it.
        self.closes: dict[str, float] = {}
        self._priced: dict[str, tuple[float, Decimal]] = {}
        self.fees_paid = ZERO

    def apply_fill(self, fill: Fill, reason: str | None = None) -> RoundTrip | None:
        """Update cash and positions; return the round trip a SELL fill closes."""
        self.fees_paid += fill.fee
        notional = fill.amount * fill.price
        if fill.side is BUY:
            self.cash -= notional + fill.fee  # same order of operations as the exchange
            position = self.positions.get(fill.pair)
            if position is None:
                position = self.positions[fill.pair] = Position(fill.pair, fill.ts, fill.price)
                position.amount = fill.amount
                position.cost = notional
                position.entry_fee = fill.fee
            else:
                position.amount += fill.amount
                position.cost += notional
                position.entry_fee += fill.fee
                position.entry_price = position.cost / position.amount
            return None
        self.cash += notional - fill.fee
        position = self.positions.get(fill.pair)
        if position is None:
            return None  # selling what this bot never bought (adopted balance): cash only
        closes = fill.amount >= position.amount
        if closes:
            cost, entry_fee = position.cost, position.entry_fee
        else:
            share = fill.amount / position.amount
            cost, entry_fee = position.cost * share, position.entry_fee * share
        trip = RoundTrip(
            pair=fill.pair,
            entry_ts=position.entry_ts,
            entry_price=position.entry_price,
            amount=fill.amount,
            entry_fee=entry_fee,
            exit_ts=fill.ts,
            exit_price=fill.price,
            exit_fee=fill.fee,
            exit_reason=reason or fill.tag,
            profit_loss=notional - cost - entry_fee - fill.fee,
            signal=position.signal,
        )
        if closes:
            del self.positions[fill.pair]
        else:
            position.amount -= fill.amount
            position.cost -= cost
            position.entry_fee -= entry_fee
        self.closed.append(trip)
        return trip

    def mark(self, pair: str, close: float) -> None:
        """Remember the pair's latest close (the engine writes `closes` directly)."""
        self.closes[pair] = close

    def price(self, pair: str) -> Decimal:
        """The pair's latest close as a Decimal (its shortest repr); KeyError before any."""
        close = self.closes[pair]
        known = self._priced.get(pair)
        if known is not None and known[0] == close:
            return known[1]
        price = float_to_decimal(close)
        self._priced[pair] = (close, price)
        return price

    def exposure(self, pair: str) -> Decimal:
        """Market value of the pair's position at its last price."""
        position = self.positions.get(pair)
        if position is None:
            return ZERO
        return position.amount * self.price(pair) if pair in self.closes else position.cost

    def total_exposure(self) -> Decimal:
        """Market value of every position."""
        return sum((self.exposure(p) for p in self.positions), ZERO)

    def equity(self) -> Decimal:
        """Cash plus positions at their last prices."""
        return self.cash + self.total_exposure()

    def open_round_trips(self) -> list[RoundTrip]:
        """Open positions as round trips marked at the last price, without an exit fee."""
        trips = []
        for position in self.positions.values():
            pair = position.pair
            price = self.price(pair) if pair in self.closes else position.entry_price
            trips.append(
                RoundTrip(
                    pair=position.pair,
                    entry_ts=position.entry_ts,
                    entry_price=position.entry_price,
                    amount=position.amount,
                    entry_fee=position.entry_fee,
                    profit_loss=position.amount * price - position.cost - position.entry_fee,
                    signal=position.signal,
                )
            )
        return trips
