"""Spot trading inside the Binance emulator: accounts, orders, trades, prices and matching.

Binance's rules, as far as a trading bot can see them:

* filters reject with -1013 "Filter failure: <NAME>": LOT_SIZE (minQty, stepSize, maxQty),
  PRICE_FILTER (tickSize) and NOTIONAL (minNotional, checked for market orders at the price they
  fill at);
* an account that cannot pay gets -2010 "Account has insufficient balance for requested
  action."; a client order id used by an OPEN order of the account gets -2010 "Duplicate order
  sent.", while the id of a filled or cancelled order may be reused (as on Binance, which is why
  a client must look an order up before sending it again);
* fees are `fee_rate` of the notional (0.1 %, Binance's base taker rate). Binance charges the
  asset the trade RECEIVES (base on a buy, quote on a sell) unless the account pays with BNB.
  The emulator charges the quote asset by default (simpler arithmetic in tests) and reports the
  fee in each fill's commission/commissionAsset like Binance, so clients must read it from the
  answer. `fee_asset="received"` reproduces Binance's default; another asset code ("BNB")
  charges that asset at its emulator price (no discount), falling back to the received asset
  when the account holds too little of it, as Binance does.

Prices: a MARKET order fills at once at its symbol's price. With a price script the price of
each DISTINCT accepted market order (per account, symbol and client order id) is the next price
of the script, and the same id always gets the same price, so the fills of a run are a pure
function of the sequence of distinct orders (a crashed-and-restarted bot fills like an
uninterrupted one). Taking a script price is a tick: the symbol's price moves there. When the
script runs out the last price stays. LIMIT orders rest until a tick (`set_price` or a script
price) crosses them and fill at their limit price (maker); a limit that already crosses the
price when it arrives fills at once at that price (taker).

Order faults, consumed by the next accepted orders: a partial fill (the first execution of the
order fills only a fraction, the rest waits for a later tick: for a MARKET order too, unless
`expire_rest` asks for what real Binance does, expire it at once) and a forced rejection (any
Binance code and message).

Every method expects the emulator state's lock to be held by the caller.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aurumbotx.testing.emulator.state import MarketSpec

ZERO = Decimal(0)
ONE = Decimal(1)
COMMISSION_QUANTUM = Decimal("0.00000001")  # Binance reports commissions with 8 decimals
MAX_QTY = Decimal(9000)  # LOT_SIZE maxQty in the emulator's exchangeInfo

NEW = "NEW"
PARTIALLY_FILLED = "PARTIALLY_FILLED"
FILLED = "FILLED"
CANCELED = "CANCELED"
EXPIRED = "EXPIRED"
OPEN_STATUSES = frozenset({NEW, PARTIALLY_FILLED})

BUY = "BUY"
SELL = "SELL"
MARKET = "MARKET"
LIMIT = "LIMIT"

INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
DUPLICATE_ORDER = "Duplicate order sent."
FEE_IN_QUOTE = "quote"
FEE_IN_RECEIVED = "received"

PARTIAL = "partial"
REJECT = "reject"


class OrderRejected(Exception):
    """Binance refused the order: `code` and `msg` as in its JSON error."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def filter_failure(name: str) -> OrderRejected:
    """Binance's -1013 for a filter an order breaks."""
    return OrderRejected(-1013, f"Filter failure: {name}")


@dataclass
class Account:
    """One API key: its secret and its balances (free and locked by open orders)."""

    api_key: str
    secret: str
    free: dict[str, Decimal] = field(default_factory=dict)
    locked: dict[str, Decimal] = field(default_factory=dict)

    def assets(self) -> list[str]:
        """Every asset the account has held, sorted."""
        return sorted(set(self.free) | set(self.locked))

    def total(self, asset: str) -> Decimal:
        """Free plus locked."""
        return self.free.get(asset, ZERO) + self.locked.get(asset, ZERO)


def _add(book: dict[str, Decimal], asset: str, amount: Decimal) -> None:
    book[asset] = book.get(asset, ZERO) + amount


@dataclass(frozen=True, slots=True)
class Trade:
    """One execution of an order, as GET /api/v3/myTrades lists it."""

    trade_id: int
    order_id: int
    symbol: str
    side: str
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    is_maker: bool

    @property
    def quote_qty(self) -> Decimal:
        """Notional in the quote asset."""
        return self.price * self.qty


@dataclass
class SpotOrder:
    """An order of one account, from acceptance to a final status."""

    order_id: int
    api_key: str
    symbol: str
    client_order_id: str
    side: str
    type: str
    quantity: Decimal
    price: Decimal | None
    quote_qty: Decimal | None
    time_in_force: str | None
    created_ms: int
    step: Decimal = ONE  # the market's LOT_SIZE step: partial fills stay on its grid
    status: str = NEW
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    updated_ms: int = 0
    reserve_asset: str = ""
    reserved: Decimal = ZERO
    fill_fraction: Decimal | None = None
    trades: list[Trade] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """NEW or PARTIALLY_FILLED."""
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        """Quantity still to fill."""
        return self.quantity - self.executed_qty


@dataclass
class OrderFault:
    """A fault for the next `times` accepted orders: a partial fill or a rejection."""

    kind: str
    times: int = 1
    fraction: Decimal = ZERO
    expire_rest: bool = False  # a MARKET order's rest expires at once, as on Binance
    code: int = -2010
    msg: str = INSUFFICIENT_BALANCE
    applied: int = 0


def _split(symbol: str) -> tuple[str, str]:
    base, _, quote = symbol.partition("/")
    return base, quote


class SpotBook:
    """Accounts, orders, trades and prices of the emulated spot exchange."""

    def __init__(self, fee_rate: Decimal = Decimal("0.001"), fee_asset: str = FEE_IN_QUOTE):
        self.fee_rate = fee_rate
        self.fee_asset = fee_asset
        self.accounts: dict[str, Account] = {}
        self.orders: list[SpotOrder] = []
        self.trades: list[Trade] = []
        self.prices: dict[str, Decimal] = {}
        self.scripts: dict[str, deque[Decimal]] = {}
        self.faults: list[OrderFault] = []
        self._script_prices: dict[tuple[str, str, str], Decimal] = {}
        self._order_ids = itertools.count(1)
        self._trade_ids = itertools.count(1)

    # ------------------------------------------------------------------ arranging
    def add_account(self, api_key: str, secret: str, balances: dict[str, Decimal]) -> Account:
        """Create (or replace) the account of `api_key`."""
        account = Account(api_key, secret, dict(balances))
        self.accounts[api_key] = account
        return account

    def set_script(self, symbol: str, prices: list[Decimal]) -> None:
        """Prices for the next distinct market orders of `symbol`, one each."""
        self.scripts[symbol] = deque(prices)

    def set_price(self, symbol: str, price: Decimal, now_ms: int) -> list[Trade]:
        """Move the price of `symbol` (a tick): resting orders it crosses fill."""
        self.prices[symbol] = price
        return self._match_resting(symbol, price, now_ms, exclude=None)

    def take_fault(self, kind: str) -> OrderFault | None:
        """Consume one use of the first pending order fault of `kind`."""
        for fault in self.faults:
            if fault.kind == kind and fault.applied < fault.times:
                fault.applied += 1
                return fault
        return None

    # ------------------------------------------------------------------ queries
    def find(
        self, api_key: str, symbol: str, order_id: int | None, client_order_id: str | None
    ) -> SpotOrder | None:
        """The newest order of the account matching the id (a client id may be reused)."""
        for order in reversed(self.orders):
            if order.api_key != api_key or order.symbol != symbol:
                continue
            if order_id is not None and order.order_id != order_id:
                continue
            if client_order_id is not None and order.client_order_id != client_order_id:
                continue
            return order
        return None

    def open_orders(self, api_key: str, symbol: str | None) -> list[SpotOrder]:
        """Open orders of the account (of one symbol when given), oldest first."""
        return [
            o
            for o in self.orders
            if o.api_key == api_key and o.is_open and (symbol is None or o.symbol == symbol)
        ]

    # ------------------------------------------------------------------ orders
    def place(
        self,
        account: Account,
        market: MarketSpec,
        *,
        client_order_id: str,
        side: str,
        kind: str,
        quantity: Decimal | None,
        quote_qty: Decimal | None,
        price: Decimal | None,
        time_in_force: str | None,
        now_ms: int,
    ) -> tuple[SpotOrder, list[Trade]]:
        """Accept an order (and fill what it can now) or raise OrderRejected."""
        symbol = market.symbol
        key = account.api_key
        if any(o.client_order_id == client_order_id for o in self.open_orders(key, None)):
            raise OrderRejected(-2010, DUPLICATE_ORDER)
        forced = self.take_fault(REJECT)
        if forced is not None:
            raise OrderRejected(forced.code, forced.msg)
        if kind == LIMIT:
            # The handler refuses a LIMIT without price or quantity.
            assert price is not None  # noqa: S101
            assert quantity is not None  # noqa: S101
            if price < market.tick_size or price % market.tick_size != 0:
                raise filter_failure("PRICE_FILTER")
            reference = price
        else:
            market_price = self._market_price(key, symbol, client_order_id)
            if market_price is None:
                raise OrderRejected(-2010, f"No price for {market.exchange_id} in the emulator.")
            reference = market_price
            if quote_qty is not None:
                steps = (quote_qty / reference / market.step_size).to_integral_value(ROUND_DOWN)
                quantity = steps * market.step_size
        assert quantity is not None  # noqa: S101 - MARKET has quantity or quoteOrderQty
        if (
            quantity < market.min_qty
            or quantity > MAX_QTY
            or (quantity - market.min_qty) % market.step_size != 0
        ):
            raise filter_failure("LOT_SIZE")
        if quantity * reference < market.min_notional:
            raise filter_failure("NOTIONAL")
        asset, need = self._reservation(symbol, side, quantity, reference)
        if account.free.get(asset, ZERO) < need:
            raise OrderRejected(-2010, INSUFFICIENT_BALANCE)
        order = SpotOrder(
            order_id=next(self._order_ids),
            api_key=key,
            symbol=symbol,
            client_order_id=client_order_id,
            side=side,
            type=kind,
            quantity=quantity,
            price=price,
            quote_qty=quote_qty,
            time_in_force=time_in_force,
            created_ms=now_ms,
            step=market.step_size,
            updated_ms=now_ms,
            reserve_asset=asset,
            reserved=need,
        )
        _add(account.free, asset, -need)
        _add(account.locked, asset, need)
        partial = self.take_fault(PARTIAL)
        if partial is not None:
            order.fill_fraction = partial.fraction
        self.orders.append(order)
        trades: list[Trade] = []
        if kind == MARKET:
            self._take_script_price(key, symbol, client_order_id, reference)
            self.prices[symbol] = reference
            trades += self._fill(order, reference, now_ms, maker=False)
            if partial is not None and partial.expire_rest and order.is_open:
                self._close(order, EXPIRED, now_ms)  # out of liquidity: the rest never executes
            # A script price is a tick: earlier resting orders it crosses fill too.
            self._match_resting(symbol, reference, now_ms, exclude=order.order_id)
        else:
            current = self.prices.get(symbol)
            if current is not None and self._crosses(order, current):
                trades += self._fill(order, current, now_ms, maker=False)
            if time_in_force == "IOC" and order.is_open:
                self._close(order, EXPIRED, now_ms)
        return order, trades

    def cancel(self, order: SpotOrder, now_ms: int) -> None:
        """Cancel an open order and release what it reserved."""
        self._close(order, CANCELED, now_ms)

    # ------------------------------------------------------------------ internals
    def _market_price(self, api_key: str, symbol: str, client_order_id: str) -> Decimal | None:
        known = self._script_prices.get((api_key, symbol, client_order_id))
        if known is not None:
            return known
        script = self.scripts.get(symbol)
        if script:
            return script[0]
        return self.prices.get(symbol)

    def _take_script_price(
        self, api_key: str, symbol: str, client_order_id: str, price: Decimal
    ) -> None:
        memo = (api_key, symbol, client_order_id)
        if memo in self._script_prices:
            return
        script = self.scripts.get(symbol)
        if script:
            script.popleft()
            self._script_prices[memo] = price

    def _reservation(
        self, symbol: str, side: str, quantity: Decimal, price: Decimal
    ) -> tuple[str, Decimal]:
        base, quote = _split(symbol)
        if side == SELL:
            return base, quantity
        notional = quantity * price
        if self.fee_asset == FEE_IN_QUOTE:
            return quote, notional * (ONE + self.fee_rate)
        return quote, notional

    @staticmethod
    def _crosses(order: SpotOrder, price: Decimal) -> bool:
        assert order.price is not None  # noqa: S101 - only LIMIT orders are asked
        return price <= order.price if order.side == BUY else price >= order.price

    def _match_resting(
        self, symbol: str, price: Decimal, now_ms: int, exclude: int | None
    ) -> list[Trade]:
        trades: list[Trade] = []
        for order in [o for o in self.orders if o.symbol == symbol and o.is_open]:
            if order.order_id == exclude:
                continue
            if order.type == MARKET:
                trades += self._fill(order, price, now_ms, maker=False)
            elif self._crosses(order, price):
                assert order.price is not None  # noqa: S101 - a LIMIT order has a price
                trades += self._fill(order, order.price, now_ms, maker=True)
        return trades

    def _commission(
        self, account: Account, symbol: str, side: str, qty: Decimal, notional: Decimal
    ) -> tuple[Decimal, str]:
        base, quote = _split(symbol)
        received = base if side == BUY else quote
        mode = self.fee_asset
        if mode not in (FEE_IN_QUOTE, FEE_IN_RECEIVED):
            rate = self.prices.get(f"{mode}/{quote}")
            if rate:
                fee = (notional * self.fee_rate / rate).quantize(COMMISSION_QUANTUM, ROUND_HALF_UP)
                if account.free.get(mode, ZERO) >= fee:
                    return fee, mode
            mode = FEE_IN_RECEIVED  # not enough of the fee asset: Binance takes the received one
        if mode == FEE_IN_QUOTE or received == quote:
            return (notional * self.fee_rate).quantize(COMMISSION_QUANTUM, ROUND_HALF_UP), quote
        return (qty * self.fee_rate).quantize(COMMISSION_QUANTUM, ROUND_HALF_UP), base

    def _fill(self, order: SpotOrder, price: Decimal, now_ms: int, maker: bool) -> list[Trade]:
        account = self.accounts[order.api_key]
        qty = order.remaining
        if order.fill_fraction is not None:
            qty = ((qty * order.fill_fraction) / order.step).to_integral_value(ROUND_DOWN)
            qty *= order.step
            order.fill_fraction = None
            if qty <= 0:
                return []
        base, quote = _split(order.symbol)
        notional = qty * price
        commission, fee_asset = self._commission(account, order.symbol, order.side, qty, notional)
        pay_asset, pay, get_asset, get = (
            (quote, notional, base, qty) if order.side == BUY else (base, qty, quote, notional)
        )
        if fee_asset == pay_asset:
            pay += commission
        elif fee_asset == get_asset:
            get -= commission
        if pay > order.reserved + account.free.get(pay_asset, ZERO):
            # The rest of a market order met a price it cannot pay: expired, like Binance's
            # market orders that run out of liquidity.
            self._close(order, EXPIRED, now_ms)
            return []
        from_lock = min(order.reserved, pay)
        order.reserved -= from_lock
        _add(account.locked, pay_asset, -from_lock)
        _add(account.free, pay_asset, -(pay - from_lock))
        _add(account.free, get_asset, get)
        if fee_asset not in (pay_asset, get_asset):
            _add(account.free, fee_asset, -commission)
        trade = Trade(
            next(self._trade_ids),
            order.order_id,
            order.symbol,
            order.side,
            price,
            qty,
            commission,
            fee_asset,
            now_ms,
            maker,
        )
        self.trades.append(trade)
        order.trades.append(trade)
        order.executed_qty += qty
        order.cum_quote += notional
        order.updated_ms = now_ms
        if order.remaining <= 0:
            self._close(order, FILLED, now_ms)
        else:
            order.status = PARTIALLY_FILLED
        return [trade]

    def _close(self, order: SpotOrder, status: str, now_ms: int) -> None:
        account = self.accounts[order.api_key]
        if order.reserved:
            _add(account.locked, order.reserve_asset, -order.reserved)
            _add(account.free, order.reserve_asset, order.reserved)
            order.reserved = ZERO
        order.status = status
        order.updated_ms = now_ms
