"""The live client: the real ccxt library against the Binance emulator over HTTP."""

import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import ccxt
import pytest

from aurumbotx.domain.enums import OrderSide, OrderStatus, OrderType
from aurumbotx.domain.errors import (
    AuthenticationError,
    InvalidOrderError,
    PermanentExchangeError,
    TemporaryExchangeError,
)
from aurumbotx.domain.events import Event, OrderCancelled
from aurumbotx.domain.trading import Order, Signal
from aurumbotx.engine.core import TradingEngine
from aurumbotx.engine.orders import MemoryOrderStore, OrderRouter
from aurumbotx.engine.portfolio import Portfolio
from aurumbotx.execution.ccxt.client import CLOCK_MARGIN_MS, CcxtExchangeClient
from aurumbotx.execution.ccxt.errors import map_ccxt_error
from aurumbotx.execution.ccxt.orders import trigger_client_order_id
from aurumbotx.execution.ccxt.shared import CcxtAccount, clear_shared_ccxt
from aurumbotx.risk.manager import RiskLimits, RiskManager
from aurumbotx.testing.emulator import BinanceEmulator, make_exchange_client
from aurumbotx.testing.orders import MINUTE, make_candle, make_order

D = Decimal
KEY, SECRET = "key-alice", "secret-alice-0123456789"
ORDER = "/api/v3/order"
PAIR = "BTC/USDT"


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    clear_shared_ccxt()
    yield
    clear_shared_ccxt()


@pytest.fixture
def emulator(binance_emulator: BinanceEmulator) -> BinanceEmulator:
    binance_emulator.add_market(PAIR, tick_size="0.01", step_size="0.00001", min_notional="5")
    binance_emulator.add_account(KEY, SECRET, {"USDT": "10000"})
    binance_emulator.set_price(PAIR, "40000")
    return binance_emulator


@pytest.fixture
def client(emulator: BinanceEmulator) -> CcxtExchangeClient:
    return make_exchange_client(emulator.base_url, KEY, SECRET)


def posts(emulator: BinanceEmulator) -> list[tuple[int | None, int | None]]:
    """(answered status, the endpoint's own status) of every order submission."""
    return [(r.status, r.handled_status) for r in emulator.requests(ORDER) if r.method == "POST"]


def buy(cid: str = "abx-entry", quote: str = "1000") -> Order:
    return make_order(cid, OrderSide.BUY, quote=quote)


def test_market_rules_come_from_exchange_info(client: CcxtExchangeClient) -> None:
    rules = client.market_rules(PAIR)
    assert rules is not None
    assert (rules.price_tick, rules.amount_step, rules.min_amount, rules.min_notional) == (
        D("0.01"),
        D("0.00001"),
        D("0.00001"),
        D("5"),
    )
    assert client.market_rules("DOGE/USDT") is None


def test_round_trip_quote_budget_buy_then_sell(
    emulator: BinanceEmulator, client: CcxtExchangeClient
) -> None:
    bought = client.submit_order(buy(), now_ts=59_999)
    # Budget 1000 includes the fee: quoteOrderQty = 1000 / 1.001 cut to the tick = 999.00.
    (sent,) = [r for r in emulator.requests(ORDER) if r.method == "POST"]
    assert sent.params["quoteOrderQty"] == "999"
    assert sent.params["newClientOrderId"] == "abx-entry"
    assert "quantity" not in sent.params
    assert bought.status is OrderStatus.FILLED
    assert bought.filled_amount == D("0.02497")  # 999 / 40000 down to the step
    assert bought.average_price == D(40000)
    assert bought.fee == D("0.9988")  # the emulator's commission, read from the fill
    assert bought.exchange_order_id == "1"
    assert client.balances() == {"BTC": D("0.02497"), "USDT": D("9000.2012")}

    (fill,) = client.on_candle(make_candle(1, 1, 1, 1, 1))
    assert (fill.client_order_id, fill.side, fill.amount, fill.price, fill.fee) == (
        "abx-entry",
        OrderSide.BUY,
        D("0.02497"),
        D(40000),
        D("0.9988"),
    )
    assert (fill.ts, fill.tag, fill.order_type, fill.trade_id) == (
        MINUTE,
        "entry",
        OrderType.MARKET,
        "1",
    )
    assert client.on_candle(make_candle(2, 1, 1, 1, 1)) == []  # reported once

    emulator.set_price(PAIR, "41000")
    sold = client.submit_order(
        make_order("abx-exit", OrderSide.SELL, amount="0.02497", tag="exit"), now_ts=179_999
    )
    assert (sold.status, sold.filled_amount, sold.fee) == (
        OrderStatus.FILLED,
        D("0.02497"),
        D("1.023770"),
    )
    (exit_fill,) = client.on_candle(make_candle(3, 1, 1, 1, 1))
    assert (exit_fill.side, exit_fill.price, exit_fill.tag) == (OrderSide.SELL, D(41000), "exit")
    # 9000.2012 + 0.02497 x 41000 x 0.999
    assert client.balances() == {"BTC": D(0), "USDT": D("10022.94743")}
    assert emulator.balances(KEY)["USDT"] == (D("10022.94743"), D(0))


def test_limit_order_partial_fill_across_two_polls(
    emulator: BinanceEmulator, client: CcxtExchangeClient
) -> None:
    emulator.partial_fill_next("0.4")
    order = make_order("abx-limit", OrderSide.BUY, OrderType.LIMIT, amount="0.1", price="39000")
    placed = client.submit_order(order, now_ts=1)
    assert placed.status is OrderStatus.OPEN
    assert emulator.balances(KEY)["USDT"] == (D("6096.1"), D("3903.9"))  # 3900 + fee locked
    assert client.on_candle(make_candle(1, 1, 1, 1, 1)) == []

    emulator.set_price(PAIR, "38950")  # crosses: 40 % fills at the limit price
    (first,) = client.on_candle(make_candle(2, 1, 1, 1, 1))
    assert (first.amount, first.price, first.fee) == (D("0.04"), D(39000), D("1.56"))
    assert placed.status is OrderStatus.PARTIALLY_FILLED
    assert client.on_candle(make_candle(3, 1, 1, 1, 1)) == []

    emulator.set_price(PAIR, "38900")  # a later tick fills the rest
    (second,) = client.on_candle(make_candle(4, 1, 1, 1, 1))
    assert (second.amount, second.price, second.fee) == (D("0.06"), D(39000), D("2.34"))
    assert first.trade_id != second.trade_id
    assert (placed.status, placed.filled_amount, placed.fee) == (
        OrderStatus.FILLED,
        D("0.1"),
        D("3.9"),
    )
    assert client.balances() == {"BTC": D("0.1"), "USDT": D("6096.1")}


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (buy("abx-rich", quote="20000"), "insufficient balance for requested action"),
        (buy("abx-tiny", quote="4"), "Filter failure: NOTIONAL"),
        (
            make_order("abx-dust", OrderSide.SELL, amount="0.000001"),
            "must be greater than minimum amount precision",
        ),
        (make_order("abx-lot", OrderSide.SELL, amount="0.005", pair="ETH/USDT"), "LOT_SIZE"),
    ],
    ids=["insufficient-balance", "min-notional", "below-step", "lot-size"],
)
def test_permanent_refusals_come_back_rejected(
    emulator: BinanceEmulator, client: CcxtExchangeClient, order: Order, message: str
) -> None:
    emulator.add_market("ETH/USDT", step_size="0.0001", min_qty="0.01")
    emulator.set_price("ETH/USDT", "2000")
    answer = client.submit_order(order, now_ts=1)
    assert answer.status is OrderStatus.REJECTED
    assert answer.error is not None
    assert message in answer.error
    assert "\n" not in answer.error
    assert emulator.orders() == []
    assert client.on_candle(make_candle(1, 1, 1, 1, 1)) == []


def test_bad_secret_raises_authentication_error_without_secrets(
    emulator: BinanceEmulator,
) -> None:
    client = make_exchange_client(emulator.base_url, KEY, "not-the-secret-987")
    with pytest.raises(AuthenticationError) as caught:
        client.submit_order(buy(), now_ts=1)
    text = str(caught.value)
    assert text.startswith("the exchange refused the credentials")
    assert "Signature for this request is not valid." in text
    assert "\n" not in text
    assert "not-the-secret-987" not in text
    assert KEY not in text
    assert emulator.orders() == []
    stranger = make_exchange_client(emulator.base_url, "key-nobody", SECRET)
    with pytest.raises(AuthenticationError, match="Invalid API-key"):
        stranger.balances()


@pytest.mark.parametrize("status", [429, 418])
def test_rate_limits_wait_retry_after_then_retry(
    emulator: BinanceEmulator, client: CcxtExchangeClient, status: int
) -> None:
    emulator.fail_next(1, status=status, retry_after=1, path=ORDER, method="POST")
    started = time.monotonic()
    answer = client.submit_order(buy(), now_ts=1)
    assert answer.status is OrderStatus.FILLED
    assert time.monotonic() - started >= 1.0
    assert posts(emulator) == [(status, None), (200, 200)]
    sends = [r for r in emulator.requests(ORDER) if r.method == "POST"]
    assert sends[1].time - sends[0].time >= 1.0
    assert len(emulator.orders()) == 1


def test_server_errors_are_retried(emulator: BinanceEmulator, client: CcxtExchangeClient) -> None:
    emulator.fail_next(2, status=503, path=ORDER, method="POST")
    assert client.submit_order(buy(), now_ts=1).status is OrderStatus.FILLED
    assert posts(emulator) == [(503, None), (503, None), (200, 200)]
    assert len(emulator.orders()) == 1


@pytest.mark.parametrize(
    "fault",
    ["timeout-after-accept", "dropped-after-accept", "5xx-after-accept"],
)
def test_unknown_outcome_adopts_the_accepted_order(emulator: BinanceEmulator, fault: str) -> None:
    client = make_exchange_client(emulator.base_url, KEY, SECRET, timeout_seconds=1.0)
    if fault == "timeout-after-accept":
        emulator.delay_next(seconds=1.5, path=ORDER, method="POST", after_processing=True)
    elif fault == "dropped-after-accept":
        emulator.drop_next(path=ORDER, method="POST", after_processing=True)
    else:
        emulator.fail_next(status=502, path=ORDER, method="POST", after_processing=True)
    answer = client.submit_order(buy(), now_ts=1)
    (accepted,) = emulator.orders()  # exactly one order on the exchange
    assert posts(emulator)[0][1] == 200  # the exchange accepted it...
    assert len(posts(emulator)) == 1  # ...and the client never sent it again
    lookups = [r for r in emulator.requests(ORDER) if r.method == "GET"]
    assert [r.handled_status for r in lookups] == [400, 200]  # unknown before, found after
    assert answer.status is OrderStatus.FILLED
    assert answer.exchange_order_id == str(accepted.order_id)
    assert answer.filled_amount == accepted.executed_qty == D("0.02497")
    (fill,) = client.on_candle(make_candle(1, 1, 1, 1, 1))
    assert fill.amount == D("0.02497")
    assert fill.trade_id == str(accepted.trades[0].trade_id)


def test_a_request_held_up_past_the_timeout_never_executes_late(
    emulator: BinanceEmulator,
) -> None:
    client = make_exchange_client(emulator.base_url, KEY, SECRET, timeout_seconds=1.0)
    assert client.exchange.options["recvWindow"] == 1000  # capped at the request timeout
    emulator.delay_next(seconds=1.3, path=ORDER, method="POST")  # held up BEFORE processing
    answer = client.submit_order(buy(), now_ts=1)
    assert answer.status is OrderStatus.FILLED
    time.sleep(0.4)  # let the held-up request reach the exchange
    assert len(emulator.orders()) == 1  # the resend; the late original was refused
    # The original arrived first and was refused (-1021, outside its recvWindow) once it got
    # through, after the resend had been accepted.
    assert [handled for _, handled in posts(emulator)] == [400, 200]


def test_dropped_before_processing_is_sent_again(
    emulator: BinanceEmulator, client: CcxtExchangeClient
) -> None:
    emulator.drop_next(path=ORDER, method="POST")
    assert client.submit_order(buy(), now_ts=1).status is OrderStatus.FILLED
    assert posts(emulator) == [(None, None), (200, 200)]
    assert len(emulator.orders()) == 1


def test_resubmitting_a_filled_client_order_id_creates_no_second_order(
    emulator: BinanceEmulator, client: CcxtExchangeClient
) -> None:
    client.submit_order(buy(), now_ts=1)
    client.on_candle(make_candle(1, 1, 1, 1, 1))
    # A restarted bot (new client, same account) replays the candle: same deterministic id.
    clear_shared_ccxt()
    restarted = make_exchange_client(emulator.base_url, KEY, SECRET)
    again = restarted.submit_order(buy(), now_ts=1)
    assert again.status is OrderStatus.FILLED
    assert again.filled_amount == D("0.02497")
    assert len(emulator.orders()) == 1
    assert len(posts(emulator)) == 1  # Binance would have accepted a reused filled id
    assert restarted.balances()["USDT"] == D("9000.2012")


def test_an_order_accepted_during_an_outage_is_settled_on_the_next_candle(
    emulator: BinanceEmulator,
) -> None:
    client = make_exchange_client(emulator.base_url, KEY, SECRET, attempts=2)
    emulator.drop_next(path=ORDER, method="POST", after_processing=True)
    emulator.drop_next(path=ORDER, method="GET", skip=1)  # the look-up after it fails too
    lost = buy("abx-lost")
    with pytest.raises(TemporaryExchangeError, match="gave up after 2 attempts"):
        client.submit_order(lost, now_ts=1)
    assert lost.status is OrderStatus.PENDING  # the router keeps it so: outcome unknown
    (fill,) = client.on_candle(make_candle(1, 1, 1, 1, 1))
    assert (lost.status, fill.client_order_id, fill.amount) == (
        OrderStatus.FILLED,
        "abx-lost",
        D("0.02497"),
    )
    assert len(posts(emulator)) == 1


def test_an_order_that_never_reached_the_exchange_is_rejected_once_its_request_expired(
    emulator: BinanceEmulator,
) -> None:
    sent: list[int | None] = []
    client = make_exchange_client(emulator.base_url, KEY, SECRET, attempts=2)
    client.on_send = lambda order: sent.append(order.sent_ts)
    emulator.drop_next(2, path=ORDER, method="POST")
    never = buy("abx-never")
    with pytest.raises(TemporaryExchangeError, match="gave up after 2 attempts"):
        client.submit_order(never, now_ts=1)
    assert never.status is OrderStatus.PENDING
    posted = [int(r.params["timestamp"]) for r in emulator.requests(ORDER) if r.method == "POST"]
    assert posted == sent  # each attempt's timestamp was handed over before it left
    assert never.sent_ts == sent[-1]
    # A candle right after: the last request may still execute, so nothing is decided yet.
    assert client.on_candle(make_candle(1, 1, 1, 1, 1)) == []
    assert never.status is OrderStatus.PENDING
    window = (client.recv_window_ms + CLOCK_MARGIN_MS) / 1000
    assert 0 < client.resend_wait(never) <= window
    never.sent_ts -= client.recv_window_ms + CLOCK_MARGIN_MS  # as if that long had passed
    assert client.resend_wait(never) == 0
    assert client.on_candle(make_candle(1, 1, 1, 1, 1)) == []
    assert never.status is OrderStatus.REJECTED
    assert never.error is not None
    assert never.error.startswith("never reached the exchange (exchange unavailable")
    assert emulator.orders() == []


def test_two_clients_on_one_key_share_one_ccxt_instance(emulator: BinanceEmulator) -> None:
    emulator.add_account("key-bob", "secret-bob", {"USDT": "500"})
    first = make_exchange_client(emulator.base_url, KEY, SECRET)
    second = make_exchange_client(emulator.base_url, KEY, SECRET)
    other = make_exchange_client(emulator.base_url, "key-bob", "secret-bob")
    assert first.exchange is second.exchange
    assert first.lock is second.lock
    assert other.exchange is not first.exchange
    errors: list[BaseException] = []

    def trade(client: CcxtExchangeClient, n: int) -> None:
        try:
            for i in range(5):
                client.submit_order(buy(f"abx-{n}-{i}", quote="100"), now_ts=i)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=trade, args=(c, n)) for n, c in enumerate([first, second])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(emulator.orders(KEY)) == 10
    assert all(o.status == "FILLED" for o in emulator.orders(KEY))
    assert other.balances() == {"USDT": D(500)}


def test_protective_stop_is_triggered_by_a_candle(
    emulator: BinanceEmulator, client: CcxtExchangeClient
) -> None:
    client.submit_order(buy(), now_ts=1)
    client.on_candle(make_candle(1, 1, 1, 1, 1))
    stop = make_order(
        "abx-stop", OrderSide.SELL, OrderType.STOP_LOSS, amount="0.02497", price="39000"
    )
    stop.oco_group, stop.tag = "abx-oco", "stop_loss"
    target = make_order(
        "abx-target", OrderSide.SELL, OrderType.TAKE_PROFIT, amount="0.02497", price="42000"
    )
    target.oco_group, target.tag = "abx-oco", "take_profit"
    for order in (stop, target):
        assert client.submit_order(order, now_ts=2 * MINUTE).status is OrderStatus.OPEN
    assert len(posts(emulator)) == 1  # held client-side: nothing sent
    assert {o.client_order_id for o in client.open_orders(PAIR)} == {"abx-stop", "abx-target"}
    assert client.on_candle(make_candle(2, 40000, 41000, 39500, 40500)) == []

    emulator.set_price(PAIR, "38900")
    (fill,) = client.on_candle(make_candle(3, 40000, 40100, 38800, 38900))
    assert (fill.client_order_id, fill.tag, fill.order_type) == (
        "abx-stop",
        "stop_loss",
        OrderType.STOP_LOSS,
    )
    assert (fill.amount, fill.price) == (D("0.02497"), D(38900))
    assert (stop.status, target.status) == (OrderStatus.FILLED, OrderStatus.CANCELLED)
    (sell,) = [o for o in emulator.orders() if o.side == "SELL"]
    assert (sell.client_order_id, sell.type) == ("abx-stop-t", "MARKET")
    assert client.open_orders(PAIR) == []
    assert client.cancel_order("abx-target", now_ts=5) is target  # already final: unchanged
    assert target.status is OrderStatus.CANCELLED


def test_restore_adopts_a_trigger_sent_before_a_crash(
    emulator: BinanceEmulator, client: CcxtExchangeClient
) -> None:
    client.submit_order(buy(), now_ts=1)
    stop = make_order(
        "abx-stop", OrderSide.SELL, OrderType.STOP_LOSS, amount="0.02497", price="39000"
    )
    stop.tag = "stop_loss"
    client.submit_order(stop, now_ts=1)
    client.on_candle(make_candle(1, 40000, 40000, 38000, 38500))  # fired; then the crash
    assert stop.status is OrderStatus.FILLED

    clear_shared_ccxt()
    restarted = make_exchange_client(emulator.base_url, KEY, SECRET)
    # The database still had it OPEN (the fill was not booked before the crash).
    saved = make_order("abx-stop", OrderSide.SELL, OrderType.STOP_LOSS, amount="0.02497")
    saved.price, saved.tag, saved.status = D(39000), "stop_loss", OrderStatus.OPEN
    restarted.restore_open_orders([saved])
    assert saved.status is OrderStatus.FILLED
    (fill,) = restarted.on_candle(make_candle(2, 38500, 38600, 38400, 38500))
    assert (fill.client_order_id, fill.amount, fill.tag) == ("abx-stop", D("0.02497"), "stop_loss")
    assert len([o for o in emulator.orders() if o.side == "SELL"]) == 1
    assert trigger_client_order_id("x" * 36) != trigger_client_order_id("x" * 35 + "y")
    assert len(trigger_client_order_id("x" * 36)) <= 36


def test_restore_waits_for_a_trigger_request_still_in_flight(emulator: BinanceEmulator) -> None:
    """A stop's trigger sent just before a crash is not fired again while it may still execute."""
    stored: dict[str, int | None] = {}  # the database: trades.sent_ts by client order id

    def on_send(order: Order) -> None:
        stored[order.client_order_id] = order.sent_ts

    crashed = make_exchange_client(
        emulator.base_url, KEY, SECRET, timeout_seconds=1.0, on_send=on_send
    )
    crashed.submit_order(buy(), now_ts=1)
    stop = make_order(
        "abx-stop", OrderSide.SELL, OrderType.STOP_LOSS, amount="0.02497", price="39000"
    )
    stop.tag = "stop_loss"
    crashed.submit_order(stop, now_ts=1)
    emulator.delay_next(seconds=0.7, path=ORDER, method="POST")  # held before processing
    hitting = make_candle(1, 40000, 40000, 38000, 38500)
    in_flight = threading.Thread(target=crashed.on_candle, args=(hitting,))
    in_flight.start()  # the trigger is on its way; the process "dies" here
    deadline = time.monotonic() + 5
    while "abx-stop" not in stored and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stored["abx-stop"] is not None  # stored on the protective order's own row

    clear_shared_ccxt()
    restarted = make_exchange_client(emulator.base_url, KEY, SECRET, timeout_seconds=1.0)
    saved = make_order("abx-stop", OrderSide.SELL, OrderType.STOP_LOSS, amount="0.02497")
    saved.price, saved.tag, saved.status = D(39000), "stop_loss", OrderStatus.OPEN
    saved.sent_ts = stored["abx-stop"]
    notes = restarted.restore_open_orders([saved])
    assert len(notes) == 1
    assert "waited" in notes[0]
    assert saved.status is OrderStatus.FILLED  # adopted: the held request executed meanwhile
    (fill,) = restarted.on_candle(make_candle(2, 38500, 38600, 38000, 38500))  # still below
    assert (fill.client_order_id, fill.amount) == ("abx-stop", D("0.02497"))
    in_flight.join()
    sells = [o for o in emulator.orders() if o.side == "SELL"]
    assert [o.client_order_id for o in sells] == [trigger_client_order_id("abx-stop")]


def test_a_trigger_retried_after_an_unknown_outcome_waits(emulator: BinanceEmulator) -> None:
    """The next candle's retry of a failed trigger waits like any order's retry does."""
    client = make_exchange_client(emulator.base_url, KEY, SECRET, timeout_seconds=1.0, attempts=1)
    client.submit_order(buy(), now_ts=1)
    stop = make_order(
        "abx-stop", OrderSide.SELL, OrderType.STOP_LOSS, amount="0.02497", price="39000"
    )
    client.submit_order(stop, now_ts=1)
    emulator.drop_next(path=ORDER, method="POST")  # the trigger's only attempt: no answer
    fills = client.on_candle(make_candle(1, 40000, 40000, 38000, 38500))
    assert [f.client_order_id for f in fills] == ["abx-entry"]  # the stop's trigger: no answer
    assert stop.status is OrderStatus.OPEN
    assert stop.sent_ts is not None
    first_ts = stop.sent_ts
    (fill,) = client.on_candle(make_candle(2, 38500, 38600, 38000, 38500))
    twin = trigger_client_order_id("abx-stop")
    dropped, accepted = [
        r
        for r in emulator.requests(ORDER)
        if r.method == "POST" and r.params.get("newClientOrderId") == twin
    ]
    assert int(dropped.params["timestamp"]) == first_ts
    gap_ms = int(accepted.params["timestamp"]) - first_ts
    assert gap_ms >= client.recv_window_ms + client.clock_margin_ms
    assert fill.client_order_id == "abx-stop"
    assert len([o for o in emulator.orders() if o.side == "SELL"]) == 1


def test_fees_in_the_received_asset_are_converted(emulator: BinanceEmulator) -> None:
    emulator.set_fees("0.001", asset="received")  # Binance's default: a buy pays in base
    client = make_exchange_client(emulator.base_url, KEY, SECRET)
    bought = client.submit_order(buy(), now_ts=1)
    (fill,) = client.on_candle(make_candle(1, 1, 1, 1, 1))
    # 0.02497 bought, 0.00002497 BTC commission: the account holds the net amount.
    assert fill.amount == D("0.02494503")
    assert fill.fee == D("0.00002497") * 40000
    assert bought.filled_amount == D("0.02494503")
    assert client.balances()["BTC"] == D("0.02494503")
    sold = client.submit_order(
        make_order("abx-exit", OrderSide.SELL, amount=str(fill.amount)), now_ts=2
    )
    assert sold.status is OrderStatus.FILLED  # selling "the whole position" fits the balance


def test_fees_in_a_third_asset_are_priced_by_its_ticker(emulator: BinanceEmulator) -> None:
    emulator.add_account("key-bnb", "secret-bnb", {"USDT": "10000", "BNB": "10"})
    emulator.set_price("BNB/USDT", "500")
    emulator.set_fees("0.001", asset="BNB")
    client = make_exchange_client(emulator.base_url, "key-bnb", "secret-bnb")
    client.submit_order(buy(), now_ts=1)
    (fill,) = client.on_candle(make_candle(1, 1, 1, 1, 1))
    assert fill.amount == D("0.02497")
    assert fill.fee == D("0.0019976") * D(500)  # 0.9988 USDT worth of BNB
    assert client.balances()["BNB"] == D("9.9980024")


def test_clock_skew_is_resynchronised(emulator: BinanceEmulator) -> None:
    emulator.state.clock = lambda: time.time() + 30  # the exchange runs 30 s ahead of us
    client = make_exchange_client(emulator.base_url, KEY, SECRET)
    assert client.balances()["USDT"] == D(10000)
    statuses = [(r.path, r.status) for r in emulator.requests() if r.path != "/api/v3/exchangeInfo"]
    assert statuses == [
        ("/api/v3/account", 400),
        ("/api/v3/time", 200),
        ("/api/v3/account", 200),
    ]


def test_fetch_cancel_and_open_orders(
    emulator: BinanceEmulator, client: CcxtExchangeClient
) -> None:
    assert client.fetch_order("abx-unknown", PAIR) is None
    limit = make_order("abx-limit", OrderSide.BUY, OrderType.LIMIT, amount="0.01", price="35000")
    client.submit_order(limit, now_ts=1)
    assert [o.client_order_id for o in client.open_orders()] == ["abx-limit"]
    fetched = client.fetch_order("abx-limit")
    assert fetched is limit
    assert fetched.status is OrderStatus.OPEN
    cancelled = client.cancel_order("abx-limit", now_ts=2)
    assert cancelled is limit
    assert limit.status is OrderStatus.CANCELLED
    assert emulator.balances(KEY)["USDT"] == (D(10000), D(0))
    assert client.open_orders(PAIR) == []
    assert client.cancel_order("abx-unknown", now_ts=3) is None
    # An order placed by another client on the account: seen, its tag from its side.
    other = make_exchange_client(emulator.base_url, KEY, SECRET)
    other.submit_order(
        make_order("abx-foreign", OrderSide.BUY, OrderType.LIMIT, amount="0.01", price="35000"),
        now_ts=4,
    )
    (foreign,) = client.open_orders(PAIR)
    assert (foreign.client_order_id, foreign.tag, foreign.amount) == (
        "abx-foreign",
        "entry",
        D("0.01"),
    )
    assert client.fetch_order("abx-foreign") is not None


def test_engine_trades_live_through_the_client(emulator: BinanceEmulator) -> None:
    client = make_exchange_client(emulator.base_url, KEY, SECRET)
    engine = TradingEngine(
        bot_id="live-bot",
        exchange=client,
        router=OrderRouter(client, MemoryOrderStore()),
        portfolio=Portfolio(D(1000)),
        risk=RiskManager(RiskLimits(), D("0.001")),
        timeframe_ms=MINUTE,
        stop_loss_pct=D("2"),
    )
    emulator.add_account(KEY, SECRET, {"USDT": "1000"})
    emulator.set_price_script(PAIR, ["100"])
    engine.on_candle(make_candle(0, 99, 101, 98, 100), Signal(enter=True))
    engine.on_candle(make_candle(1, 100, 101, 99, 100), None)  # fill booked, stop placed at 98
    position = engine.portfolio.positions[PAIR]
    assert position.amount == D("9.99")  # quoteOrderQty 999.00 at 100
    assert client.balances() == {"BTC": position.amount, "USDT": engine.portfolio.cash}
    emulator.set_price(PAIR, "97.5")
    engine.on_candle(make_candle(2, 99, 99, 97, 97.5), None)
    (trip,) = engine.portfolio.closed
    assert (trip.exit_reason, trip.exit_price, trip.amount) == ("stop_loss", D("97.5"), D("9.99"))
    assert client.balances() == {"BTC": D(0), "USDT": engine.portfolio.cash}
    assert engine.rejections == []


def test_reconciliation_adopts_an_order_whose_answer_was_lost(emulator: BinanceEmulator) -> None:
    first = make_exchange_client(emulator.base_url, KEY, SECRET)
    first.submit_order(buy("abx-crash"), now_ts=1)  # accepted; the bot dies before storing it
    clear_shared_ccxt()
    restarted = make_exchange_client(emulator.base_url, KEY, SECRET)
    assert restarted.fetch_order("abx-crash") is None  # no pair known: nowhere to look
    clear_shared_ccxt()
    account = CcxtAccount("binance", KEY, SECRET, base_url=emulator.base_url)
    restarted = CcxtExchangeClient.connect(account, pairs=[PAIR])
    known = restarted.fetch_order("abx-crash")
    assert known is not None
    assert (known.status, known.tag, known.filled_amount) == (
        OrderStatus.FILLED,
        "entry",
        D("0.02497"),
    )
    assert known.exchange_response is not None
    assert known.exchange_response["clientOrderId"] == "abx-crash"
    restarted.restore_open_orders([known])  # the bot hands it back: not counted twice
    (fill,) = restarted.on_candle(make_candle(1, 1, 1, 1, 1))
    assert (fill.client_order_id, fill.amount, fill.fee) == ("abx-crash", D("0.02497"), D("0.9988"))
    assert restarted.on_candle(make_candle(2, 1, 1, 1, 1)) == []
    assert len(emulator.orders()) == 1


def test_restored_partial_fills_are_not_reported_twice(emulator: BinanceEmulator) -> None:
    first = make_exchange_client(emulator.base_url, KEY, SECRET)
    emulator.partial_fill_next("0.5")
    order = make_order("abx-limit", OrderSide.BUY, OrderType.LIMIT, amount="0.1", price="39000")
    first.submit_order(order, now_ts=1)
    emulator.set_price(PAIR, "38000")
    (booked,) = first.on_candle(make_candle(1, 1, 1, 1, 1))
    assert booked.amount == D("0.05")
    clear_shared_ccxt()
    restarted = make_exchange_client(emulator.base_url, KEY, SECRET)
    saved = make_order("abx-limit", OrderSide.BUY, OrderType.LIMIT, amount="0.1", price="39000")
    saved.status, saved.filled_amount = OrderStatus.PARTIALLY_FILLED, D("0.05")
    restarted.restore_open_orders([saved])
    assert restarted.on_candle(make_candle(2, 1, 1, 1, 1)) == []
    emulator.set_price(PAIR, "37000")
    (rest,) = restarted.on_candle(make_candle(3, 1, 1, 1, 1))
    assert (rest.amount, rest.price) == (D("0.05"), D(39000))
    assert (saved.status, saved.filled_amount) == (OrderStatus.FILLED, D("0.1"))


def test_binance_specific_error_mappings() -> None:
    notional = map_ccxt_error(
        ccxt.BadRequest('binance {"code":-1013,"msg":"Filter failure: NOTIONAL"}')
    )
    assert type(notional) is InvalidOrderError
    assert str(notional) == 'invalid order: binance {"code":-1013,"msg":"Filter failure: NOTIONAL"}'
    assert type(map_ccxt_error(ccxt.BadRequest("binance Illegal characters"))) is (
        PermanentExchangeError
    )
    clock = map_ccxt_error(ccxt.InvalidNonce("binance Timestamp outside of the recvWindow."))
    assert type(clock) is TemporaryExchangeError
    assert str(clock).startswith("clock out of sync with the exchange: ")


def test_ccxt_calls_leave_the_callers_decimal_context_alone(
    emulator: BinanceEmulator, client: CcxtExchangeClient
) -> None:
    """ccxt's precision helpers set ROUND_HALF_UP on the calling thread's context for good."""
    import decimal

    raw = ccxt.binance()
    with decimal.localcontext():
        raw.decimal_to_precision("1.5", ccxt.ROUND, 0)
        assert decimal.getcontext().rounding == decimal.ROUND_HALF_UP  # what ccxt does
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_HALF_EVEN
        client.submit_order(buy(), now_ts=59_999)  # amount_to_precision, create_order
        assert decimal.getcontext().rounding == decimal.ROUND_HALF_EVEN


def test_an_entry_that_expires_partly_filled_is_booked_protected_and_told(
    emulator: BinanceEmulator,
) -> None:
    """Binance expires the rest of a market order that runs out of liquidity."""
    client = make_exchange_client(emulator.base_url, KEY, SECRET)
    events: list[Event] = []
    engine = TradingEngine(
        bot_id="live-bot",
        exchange=client,
        router=OrderRouter(client, MemoryOrderStore()),
        portfolio=Portfolio(D(1000)),
        risk=RiskManager(RiskLimits(), D("0.001")),
        timeframe_ms=MINUTE,
        stop_loss_pct=D("2"),
        listener=events.append,
    )
    emulator.add_account(KEY, SECRET, {"USDT": "1000"})
    emulator.set_price_script(PAIR, ["100"])
    emulator.partial_fill_next("0.4", expire_rest=True)
    engine.on_candle(make_candle(0, 99, 101, 98, 100), Signal(enter=True))
    engine.on_candle(make_candle(1, 100, 101, 99, 100), None)
    (remote,) = emulator.orders(KEY)
    assert (remote.status, remote.executed_qty) == ("EXPIRED", D("3.996"))
    position = engine.portfolio.positions[PAIR]
    assert position.amount == D("3.996")  # exactly what executed (fee in USDT)
    assert client.balances()["BTC"] == position.amount
    assert engine.pending_entries == {}
    (told,) = [e for e in events if isinstance(e, OrderCancelled)]
    assert (told.filled, told.tag, told.pair) == (D("3.996"), "entry", PAIR)
    assert told.client_order_id == remote.client_order_id
    assert "partly filled" in told.reason
    assert engine.rejections == []  # a partial fill is not a rejection
    # The booked part is protected like a whole entry: the stop sells exactly it.
    emulator.set_price(PAIR, "97.5")
    engine.on_candle(make_candle(2, 99, 99, 97, 97.5), None)
    (trip,) = engine.portfolio.closed
    assert (trip.exit_reason, trip.amount) == ("stop_loss", D("3.996"))
    assert client.balances()["BTC"] == D(0)


def test_a_retry_after_an_unknown_outcome_waits_until_the_first_request_is_void(
    emulator: BinanceEmulator, client: CcxtExchangeClient
) -> None:
    """A dropped request may still be executing: the retry sends only once it no longer can."""
    emulator.drop_next(1, path=ORDER, method="POST")
    start = time.monotonic()
    placed = client.submit_order(buy("abx-retry"), now_ts=1)
    waited = time.monotonic() - start
    first, second = [r for r in emulator.requests(ORDER) if r.method == "POST"]
    gap_ms = int(second.params["timestamp"]) - int(first.params["timestamp"])
    assert gap_ms >= client.recv_window_ms + client.clock_margin_ms  # never while still valid
    assert waited >= (client.recv_window_ms + client.clock_margin_ms) / 1000 - 0.05
    assert placed.status is OrderStatus.FILLED
    assert [o.client_order_id for o in emulator.orders(KEY)] == ["abx-retry"]
