"""The fill model, with hand-computed fills."""

from decimal import Decimal

import pytest

from aurumbotx.domain.enums import OrderSide, OrderStatus, OrderType
from aurumbotx.domain.markets import MarketRules
from aurumbotx.execution.paper import PaperExchange
from aurumbotx.testing.orders import MINUTE, make_candle, make_order

BUY, SELL = OrderSide.BUY, OrderSide.SELL
D = Decimal


def exchange(usdt: str = "1000", btc: str = "0", **kw: object) -> PaperExchange:
    return PaperExchange({"USDT": D(usdt), "BTC": D(btc)}, **kw)  # type: ignore[arg-type]


def test_market_buy_all_in_fills_at_next_open_with_fee() -> None:
    ex = exchange()
    order = ex.submit_order(make_order("a", BUY, quote="1000"), now_ts=MINUTE - 1)
    assert order.status is OrderStatus.OPEN
    assert ex.free("USDT") == 0  # reserved
    # The candle of the signal itself does not fill it: it opened before the order.
    assert ex.on_candle(make_candle(0, 99, 101, 98, 100)) == []
    (fill,) = ex.on_candle(make_candle(1, 100, 102, 99, 101))
    # amount = 1000 / (100 x 1.001) = 9.99000999000999...; fee = amount x 100 x 0.001
    assert fill.price == D(100)
    assert fill.amount == D(1000) / (D(100) * D("1.001"))
    assert fill.fee == fill.amount * D(100) * D("0.001")
    assert fill.amount * fill.price + fill.fee <= D(1000)
    assert D(1000) - (fill.amount * fill.price + fill.fee) < D("1e-20")
    assert ex.balances()["BTC"] == fill.amount
    assert order.status is OrderStatus.FILLED


def test_market_sell_with_slippage_and_tick() -> None:
    rules = {"BTC/USDT": MarketRules("BTC/USDT", price_tick=D("0.01"), amount_step=D("0.001"))}
    ex = exchange(btc="2", fee_rate=D("0.001"), slippage_bps=D("10"), rules=rules)
    ex.submit_order(make_order("s", SELL, amount="1.2345"), now_ts=MINUTE - 1)
    (fill,) = ex.on_candle(make_candle(1, 100.005, 101, 99, 100))
    # 100.005 x (1 - 0.001) = 99.904995 -> floored to the tick: 99.90; amount floored to 1.234
    assert fill.price == D("99.90")
    assert fill.amount == D("1.234")
    assert fill.fee == D("1.234") * D("99.90") * D("0.001")
    assert ex.balances()["USDT"] == D(1000) + D("1.234") * D("99.90") - fill.fee


def test_buy_slippage_rounds_up() -> None:
    rules = {"BTC/USDT": MarketRules("BTC/USDT", price_tick=D("0.01"))}
    ex = exchange(slippage_bps=D("10"), rules=rules)
    ex.submit_order(make_order("b", BUY, quote="500"), now_ts=MINUTE - 1)
    (fill,) = ex.on_candle(make_candle(1, 100.001, 101, 99, 100))
    assert fill.price == D("100.11")  # 100.001 x 1.001 = 100.101001 -> ceiling 100.11


def test_insufficient_balance_is_rejected_not_half_done() -> None:
    ex = exchange(usdt="10")
    order = ex.submit_order(make_order("x", BUY, quote="11"), now_ts=0)
    assert order.status is OrderStatus.REJECTED
    assert "insufficient balance" in (order.error or "")
    assert ex.balances() == {"BTC": D(0), "USDT": D(10)}


def test_min_notional_checked_at_fill() -> None:
    rules = {"BTC/USDT": MarketRules("BTC/USDT", min_notional=D("10"))}
    ex = exchange(btc="0.05", rules=rules)
    order = ex.submit_order(make_order("s", SELL, amount="0.05"), now_ts=MINUTE - 1)
    assert ex.on_candle(make_candle(1, 150, 151, 149, 150)) == []  # 0.05 x 150 = 7.5 < 10
    assert order.status is OrderStatus.REJECTED
    assert "below the minimum" in (order.error or "")
    assert ex.free("BTC") == D("0.05")  # released


def test_idempotent_on_client_order_id() -> None:
    ex = exchange()
    first = ex.submit_order(make_order("same", BUY, quote="100"), now_ts=0)
    again = ex.submit_order(make_order("same", BUY, quote="100"), now_ts=0)
    assert again is first
    assert ex.free("USDT") == D(900)  # reserved once


def test_stop_fills_at_trigger_or_gap_open() -> None:
    ex = exchange(btc="2")
    ex.submit_order(make_order("sl", SELL, OrderType.STOP_LOSS, amount="1", price="95"), now_ts=0)
    assert ex.on_candle(make_candle(1, 100, 101, 96, 97)) == []  # low 96 > 95
    (fill,) = ex.on_candle(make_candle(2, 97, 98, 94, 95))
    assert fill.price == D(95)
    ex.submit_order(make_order("sl2", SELL, OrderType.STOP_LOSS, amount="1", price="90"), now_ts=0)
    (gap,) = ex.on_candle(make_candle(3, 85, 86, 80, 82))  # opens below the stop
    assert gap.price == D(85)


def test_limit_buy_and_take_profit() -> None:
    ex = exchange(btc="1")
    ex.submit_order(make_order("lb", BUY, OrderType.LIMIT, amount="1", price="90"), now_ts=0)
    ex.submit_order(
        make_order("tp", SELL, OrderType.TAKE_PROFIT, amount="1", price="110"), now_ts=0
    )
    fills = ex.on_candle(make_candle(1, 100, 112, 89, 105))
    by_id = {f.client_order_id: f for f in fills}
    assert by_id["lb"].price == D(90)
    assert by_id["tp"].price == D(110)
    ex.submit_order(
        make_order("tp2", SELL, OrderType.TAKE_PROFIT, amount="1", price="110"), now_ts=0
    )
    (gap,) = ex.on_candle(make_candle(2, 120, 125, 118, 121))  # opens above the target
    assert gap.price == D(120)


def test_stop_and_target_in_one_candle_stop_wins() -> None:
    ex = exchange(btc="1")
    sl = ex.submit_order(
        make_order("sl", SELL, OrderType.STOP_LOSS, amount="1", price="95", oco="g"), now_ts=0
    )
    tp = ex.submit_order(
        make_order("tp", SELL, OrderType.TAKE_PROFIT, amount="1", price="105", oco="g"), now_ts=0
    )
    assert ex.free("BTC") == 0  # the group reserves the amount once
    (fill,) = ex.on_candle(make_candle(1, 100, 106, 94, 100))
    assert fill.client_order_id == "sl"
    assert fill.price == D(95)
    assert sl.status is OrderStatus.FILLED
    assert tp.status is OrderStatus.CANCELLED
    assert ex.balances()["BTC"] == 0
    assert ex.open_orders() == []


def test_cancelling_one_of_a_group_keeps_the_reservation_for_the_other() -> None:
    ex = exchange(btc="1")
    ex.submit_order(
        make_order("sl", SELL, OrderType.STOP_LOSS, amount="1", price="95", oco="g"), now_ts=0
    )
    ex.submit_order(
        make_order("tp", SELL, OrderType.TAKE_PROFIT, amount="1", price="105", oco="g"), now_ts=0
    )
    ex.cancel_order("sl", now_ts=1)
    assert ex.free("BTC") == 0
    ex.cancel_order("tp", now_ts=2)
    assert ex.free("BTC") == 1


def test_order_placed_at_the_open_matches_the_rest_of_the_candle() -> None:
    ex = exchange(btc="1")
    candle = make_candle(5, 100, 101, 90, 95)
    # Sent at the candle's open time: no gap fill at the open, the trigger price is used.
    ex.submit_order(
        make_order("sl", SELL, OrderType.STOP_LOSS, amount="1", price="99"), now_ts=candle.ts
    )
    (fill,) = ex.on_candle(candle)
    assert fill.price == D(99)
    # A market order sent at the open waits for the next candle.
    ex2 = exchange(usdt="100")
    ex2.submit_order(make_order("m", BUY, quote="100"), now_ts=candle.ts)
    assert ex2.on_candle(candle) == []
    assert len(ex2.on_candle(make_candle(6, 96, 97, 95, 96))) == 1


@pytest.mark.parametrize(
    ("kind", "side", "price", "expected"),
    [
        (OrderType.STOP_LOSS, SELL, "95", 3),
        (OrderType.TAKE_PROFIT, SELL, "105", 1),
        (OrderType.LIMIT, BUY, "97", 2),
    ],
)
def test_next_touch(kind: OrderType, side: OrderSide, price: str, expected: int) -> None:
    import numpy as np

    ex = exchange(btc="1")
    ex.submit_order(make_order("o", side, kind, amount="1", price=price), now_ts=0)
    high = np.array([101.0, 106.0, 101.0, 100.0])
    low = np.array([99.0, 99.0, 96.5, 94.0])
    assert ex.next_touch("BTC/USDT", high, low, 1, 4) == expected
    assert ex.next_touch("BTC/USDT", high, low, 1, 1) is None
