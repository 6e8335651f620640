"""The bot runner and the engine service emit typed, owned events; the bus carries their JSON."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from aurumbotx.data.feeds import ReplayFeed
from aurumbotx.domain.candles import Candle
from aurumbotx.domain.enums import BotStatus, TradingMode
from aurumbotx.domain.events import (
    CandleGap,
    OrderFilled,
    SignalGenerated,
    StrategyFailed,
    TradeClosed,
    event_from_dict,
)
from aurumbotx.domain.trading import Order
from aurumbotx.engine.bot import BotRunner, BotSpec, BotState, CandleResult
from aurumbotx.engine.service import BotHandle, run_bot
from aurumbotx.execution.paper import PaperExchange
from aurumbotx.risk.manager import RiskManager
from aurumbotx.strategies.base import Strategy

PAIR = "BTC/USDT"
MINUTE = 60_000


class StubEnterExit(Strategy):
    """Enters on candle 2, exits on candle 4, raises on candle 6 (by open time)."""

    name = "stub_enter_exit"

    @property
    def startup_candles(self) -> int:
        return 1

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        minute = candles.index.as_unit("ms").asi8 // MINUTE
        if minute[-1] == 6:
            raise KeyError("lost the order book")
        return pd.DataFrame(
            {"enter_long": minute == 2, "exit_long": minute == 4}, index=candles.index
        )


class StubStore:
    """A BotStore in memory: intents and candles are kept as given."""

    def __init__(self) -> None:
        self.results: list[CandleResult] = []
        self.statuses: list[tuple[BotStatus, str | None]] = []
        self.logs: list[str] = []

    def save_intent(self, order: Order) -> Order | None:
        return None

    def save_result(self, order: Order) -> None:
        pass

    def load_state(self) -> BotState:
        return BotState()

    def commit_candle(self, result: CandleResult) -> None:
        self.results.append(result)

    def set_status(self, status: BotStatus, reason: str | None = None) -> None:
        self.statuses.append((status, reason))

    def status(self) -> BotStatus:
        return self.statuses[-1][0] if self.statuses else BotStatus.CREATED

    def heartbeat(self) -> None:
        pass

    def log_error(self, message: str, data: dict[str, Any]) -> None:
        self.logs.append(message)

    def log(self, level: str, message: str, data: dict[str, Any]) -> None:
        self.logs.append(message)


class StubLog:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def make_runner(store: StubStore) -> BotRunner:
    spec = BotSpec(
        5, 42, "b", StubEnterExit.name, {}, [PAIR], "1m", Decimal(1000), TradingMode.PAPER
    )
    exchange = PaperExchange({"USDT": Decimal(1000)})
    return BotRunner(spec, StubEnterExit(), exchange, store, RiskManager())


def candle(minute: int) -> Candle:
    return Candle(
        PAIR, minute * MINUTE, 100.0 + minute, 101.0 + minute, 99.0 + minute, 100.0 + minute, 1.0
    )


def test_the_runner_emits_typed_events_stamped_with_its_bot_and_user() -> None:
    store = StubStore()
    runner = make_runner(store)
    runner.reconcile()
    for minute in (0, 1, 2, 3, 4, 5, 6, 9):  # 7 and 8 never arrive
        runner.on_candle(candle(minute))
    events = [e for r in store.results for e in r.events]
    assert [type(e).__name__ for e in events] == [
        "SignalGenerated",  # 2: enter
        "OrderFilled",  # 3: the entry fills at the open
        "SignalGenerated",  # 4: exit
        "OrderFilled",  # 5: the exit fills at the open
        "TradeClosed",
        "StrategyFailed",  # 6
        "CandleGap",  # 9
    ]
    assert {(e.bot_id, e.user_id) for e in events} == {(5, 42)}
    enter = events[0]
    assert isinstance(enter, SignalGenerated)
    assert (enter.enter, enter.exit, enter.ts) == (True, False, 3 * MINUTE - 1)
    filled = [e for e in events if isinstance(e, OrderFilled)]
    assert [f.fill for f in filled] == [f for r in store.results for f in r.fills]
    (closed,) = [e for e in events if isinstance(e, TradeClosed)]
    assert closed.round_trip == runner.engine.portfolio.closed[0]
    (failed,) = [e for e in events if isinstance(e, StrategyFailed)]
    assert "KeyError" in failed.reason
    (gap,) = [e for e in events if isinstance(e, CandleGap)]
    assert (gap.missing, gap.ts) == (2, 9 * MINUTE)


def test_the_service_publishes_the_events_json_and_status_changes() -> None:
    store = StubStore()
    runner = make_runner(store)
    minutes = np.arange(6)
    index = pd.DatetimeIndex((minutes * MINUTE).astype("datetime64[ms]"), name="timestamp")
    frame = pd.DataFrame(
        {"open": 100.0, "high": 101.0, "low": 99.0, "close": 100.0, "volume": 1.0},
        index=index.tz_localize("UTC"),
    )
    feed = ReplayFeed({PAIR: frame}, "1m")
    assert (feed.history_end, feed.health, feed.speed, feed.is_late(candle(0))) == (
        None,
        None,
        None,
        False,
    )
    published: list[tuple[str, dict[str, Any]]] = []

    async def publish(channel: str, event: dict[str, Any]) -> None:
        published.append((channel, event))

    status = asyncio.run(run_bot(BotHandle(runner, feed, store), publish, StubLog()))
    assert status is BotStatus.STOPPED
    assert {channel for channel, _ in published} == {"bots.5"}
    types = [event["type"] for _, event in published]
    assert types[:2] == ["BotStatusChanged", "BotStatusChanged"]  # reconciling, running
    assert types[-2:] == ["BotStatusChanged", "BotStatusChanged"]  # stopping, stopped
    assert types.count("OrderFilled") == 2
    assert types.count("TradeClosed") == 1
    for _, event in published:
        assert (event["schema_version"], event["bot_id"], event["user_id"]) == (1, 5, 42)
        assert event_from_dict(event).ts == event["ts"]
    statuses = [e["status"] for _, e in published if e["type"] == "BotStatusChanged"]
    assert statuses == ["reconciling", "running", "stopping", "stopped"]
