"""Makers for engine tests: candles, orders and a paper engine wired like a backtest."""

from __future__ import annotations

from decimal import Decimal

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.enums import OrderSide, OrderType
from aurumbotx.domain.markets import MarketRules
from aurumbotx.domain.trading import Order
from aurumbotx.engine.core import TradingEngine
from aurumbotx.engine.orders import MemoryOrderStore, OrderRouter
from aurumbotx.engine.portfolio import Portfolio
from aurumbotx.execution.paper import PaperExchange
from aurumbotx.risk.manager import RiskLimits, RiskManager

MINUTE = 60_000


def make_candle(
    i: int, o: float, h: float, lo: float, c: float, pair: str = "BTC/USDT", step: int = MINUTE
) -> Candle:
    """Candle number `i` (open time i x step)."""
    return Candle(pair, i * step, o, h, lo, c, 1.0)


def make_order(
    cid: str,
    side: OrderSide,
    kind: OrderType = OrderType.MARKET,
    *,
    amount: str | None = None,
    price: str | None = None,
    quote: str | None = None,
    pair: str = "BTC/USDT",
    oco: str | None = None,
    tag: str = "entry",
) -> Order:
    """An order as the engine would build it."""
    return Order(
        client_order_id=cid,
        pair=pair,
        side=side,
        type=kind,
        tag=tag,
        created_ts=0,
        amount=Decimal(amount) if amount is not None else None,
        price=Decimal(price) if price is not None else None,
        quote_amount=Decimal(quote) if quote is not None else None,
        oco_group=oco,
    )


def make_engine(
    cash: str = "1000",
    *,
    fee: str = "0.001",
    slippage_bps: str = "0",
    limits: RiskLimits | None = None,
    rules: dict[str, MarketRules | None] | None = None,
    stop_loss_pct: str | None = None,
    take_profit_pct: str | None = None,
    step: int = MINUTE,
) -> TradingEngine:
    """A TradingEngine on a PaperExchange holding `cash` USDT."""
    exchange = PaperExchange(
        {"USDT": Decimal(cash)},
        fee_rate=Decimal(fee),
        slippage_bps=Decimal(slippage_bps),
        rules=rules,
    )
    return TradingEngine(
        bot_id="test-bot",
        exchange=exchange,
        router=OrderRouter(exchange, MemoryOrderStore()),
        portfolio=Portfolio(Decimal(cash)),
        risk=RiskManager(limits or RiskLimits(), Decimal(fee)),
        timeframe_ms=step,
        stop_loss_pct=Decimal(stop_loss_pct) if stop_loss_pct else None,
        take_profit_pct=Decimal(take_profit_pct) if take_profit_pct else None,
    )
