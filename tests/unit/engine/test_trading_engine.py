"""The engine's candle -> signal -> risk -> router -> exchange loop, hand-computed."""

from decimal import Decimal

from aurumbotx.domain.enums import OrderSide, OrderStatus
from aurumbotx.domain.events import (
    BotHalted,
    OrderFilled,
    OrderRejected,
    RiskLimitHit,
    TradeClosed,
)
from aurumbotx.domain.trading import Signal
from aurumbotx.engine.orders import client_order_id
from aurumbotx.risk.manager import RiskLimits
from aurumbotx.testing.orders import make_candle, make_engine

D = Decimal
ENTER, EXIT = Signal(enter=True), Signal(exit=True)
PAIR = "BTC/USDT"


def test_a_round_trip_emits_typed_fill_and_trade_events() -> None:
    events = []
    engine = make_engine("1000")
    engine.listener = events.append
    engine.on_candle(make_candle(0, 99, 101, 98, 100), ENTER)
    engine.on_candle(make_candle(1, 100, 103, 99, 102), None)
    engine.on_candle(make_candle(2, 102, 111, 101, 110), EXIT)
    engine.on_candle(make_candle(3, 110, 112, 109, 111), None)
    bought, sold, closed = events
    assert isinstance(bought, OrderFilled)
    assert isinstance(sold, OrderFilled)
    assert isinstance(closed, TradeClosed)
    assert (bought.fill.side, bought.fill.price, bought.ts) == (OrderSide.BUY, D(100), 60_000)
    assert (sold.fill.side, sold.fill.price, sold.pair) == (OrderSide.SELL, D(110), PAIR)
    assert closed.round_trip is engine.portfolio.closed[0]
    assert (closed.ts, closed.round_trip.exit_reason) == (180_000, "signal")
    # The engine core does not know its owner; the bot runner stamps it.
    assert {(e.bot_id, e.user_id) for e in events} == {(None, None)}


def test_round_trip_next_open_fills_and_fees() -> None:
    engine = make_engine("1000")
    engine.on_candle(make_candle(0, 99, 101, 98, 100), ENTER)
    assert engine.pending_entries  # sent at the close, fills at the next open
    engine.on_candle(make_candle(1, 100, 103, 99, 102), None)
    position = engine.portfolio.positions["BTC/USDT"]
    amount = D(1000) / (D(100) * D("1.001"))
    assert position.amount == amount
    assert position.entry_price == D(100)
    engine.on_candle(make_candle(2, 102, 111, 101, 110), EXIT)
    engine.on_candle(make_candle(3, 110, 112, 109, 111), None)
    assert engine.portfolio.positions == {}
    (trip,) = engine.portfolio.closed
    entry_fee = amount * D(100) * D("0.001")
    exit_fee = amount * D(110) * D("0.001")
    assert trip.entry_ts == make_candle(1, 0, 0, 0, 0).ts
    assert trip.exit_price == D(110)
    assert trip.profit_loss == amount * D(110) - amount * D(100) - entry_fee - exit_fee
    # cash = 1000 - 1000 (all in) + proceeds
    assert abs(engine.portfolio.cash - (amount * D(110) - exit_fee)) < D("1e-20")
    assert engine.exchange.balances()["USDT"] == engine.portfolio.cash


def test_entry_and_exit_on_one_candle_are_ignored() -> None:
    engine = make_engine()
    engine.on_candle(make_candle(0, 99, 101, 98, 100), Signal(enter=True, exit=True))
    assert not engine.pending_entries
    assert engine.exchange.open_orders() == []


def test_no_second_entry_while_in_a_position() -> None:
    engine = make_engine()
    engine.on_candle(make_candle(0, 99, 101, 98, 100), ENTER)
    engine.on_candle(make_candle(1, 100, 101, 99, 100), ENTER)
    engine.on_candle(make_candle(2, 100, 101, 99, 100), ENTER)
    assert len(engine.portfolio.positions) == 1
    assert engine.exchange.open_orders() == []


def test_stop_loss_placed_at_the_fill_can_trigger_in_the_same_candle() -> None:
    engine = make_engine("1000", stop_loss_pct="2", take_profit_pct="5")
    engine.on_candle(make_candle(0, 99, 101, 98, 100), ENTER)
    # Fills at 100; stop 98 and target 105 placed at the open; the candle then drops to 97.
    engine.on_candle(make_candle(1, 100, 104, 97, 99), None)
    (trip,) = engine.portfolio.closed
    assert trip.exit_reason == "stop_loss"
    assert trip.exit_price == D(98)
    assert engine.exchange.open_orders() == []  # the target was cancelled with its group
    assert engine.exchange.balances()["BTC"] == 0


def test_take_profit_and_exit_signal_cancels_protection() -> None:
    engine = make_engine("1000", take_profit_pct="5")
    engine.on_candle(make_candle(0, 99, 101, 98, 100), ENTER)
    engine.on_candle(make_candle(1, 100, 104, 99, 103), None)
    (target,) = engine.exchange.open_orders()
    assert target.price == D(105)
    engine.on_candle(make_candle(2, 103, 104, 101, 102), EXIT)
    assert target.status is OrderStatus.CANCELLED
    engine.on_candle(make_candle(3, 102, 106, 101, 105), None)
    (trip,) = engine.portfolio.closed
    assert trip.exit_reason == "signal"
    assert trip.exit_price == D(102)
    assert engine.exchange.balances()["BTC"] == 0


def test_risk_rejection_is_an_event_not_an_exception() -> None:
    events = []
    engine = make_engine(limits=RiskLimits(max_orders_per_hour=1))
    engine.listener = events.append
    engine.on_candle(make_candle(0, 99, 101, 98, 100), ENTER)
    engine.on_candle(make_candle(1, 100, 101, 99, 100), EXIT)
    engine.on_candle(make_candle(2, 100, 101, 99, 100), ENTER)  # over the limit
    (refused,) = [e for e in events if isinstance(e, RiskLimitHit)]
    assert not any(isinstance(e, OrderRejected) for e in events)  # the exchange saw nothing
    assert engine.rejections == [refused]
    assert (refused.pair, refused.tag, refused.user_id) == (PAIR, "entry", None)
    assert "orders per hour" in refused.reason


def test_kill_switch_blocks_entries_not_exits() -> None:
    engine = make_engine()
    engine.on_candle(make_candle(0, 99, 101, 98, 100), ENTER)
    engine.on_candle(make_candle(1, 100, 101, 99, 100), None)
    engine.risk.kill()
    engine.on_candle(make_candle(2, 100, 101, 99, 100), EXIT)
    engine.on_candle(make_candle(3, 100, 101, 99, 100), None)
    assert engine.portfolio.positions == {}
    engine.on_candle(make_candle(4, 100, 101, 99, 100), ENTER)
    assert engine.rejections[-1].reason == "kill switch is on"


def test_drawdown_halt_emits_an_event() -> None:
    events = []
    engine = make_engine("1000", fee="0", limits=RiskLimits(max_drawdown_pct=D(10)))
    engine.listener = events.append
    engine.on_candle(make_candle(0, 99, 101, 98, 100), ENTER)
    engine.on_candle(make_candle(1, 100, 101, 99, 100), None)  # 10 units at 100
    engine.on_candle(make_candle(2, 100, 101, 89, 89), None)  # equity 890: -11 %
    halts = [e for e in events if isinstance(e, BotHalted)]
    assert len(halts) == 1
    assert "max drawdown" in halts[0].reason


def test_deterministic_client_order_ids() -> None:
    a, b = make_engine(), make_engine()
    for engine in (a, b):
        engine.on_candle(make_candle(0, 99, 101, 98, 100), ENTER)
    (order_a,) = a.exchange.open_orders()
    (order_b,) = b.exchange.open_orders()
    assert order_a.client_order_id == order_b.client_order_id
    assert len(order_a.client_order_id) <= 36


def test_client_order_id_format_is_stable() -> None:
    # Ids are persisted: a restart after an upgrade must compute the same ids to find the
    # orders sent before it. These are the ids of the first release; they must never change.
    assert client_order_id("bot-7", "BTC/USDT", 1704067200000, "entry") == (
        "abx83197a8f42e115423f177befde81c0"
    )
    assert client_order_id("backtest", "ETH/USDT", 0, "oco") == "abxa288dce7c35bb188dba61d406c3994"
    # Asked again, and after other pairs and bots, the answer is the same.
    client_order_id("bot-7", "ETH/USDT", 1704067200000, "entry")
    assert client_order_id("bot-7", "BTC/USDT", 1704067200000, "entry") == (
        "abx83197a8f42e115423f177befde81c0"
    )
