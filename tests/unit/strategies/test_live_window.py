"""How the bot feeds strategies: a bounded `populate` window without a live source, and
`populate` over the whole history when a live source cannot decide a candle."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pandas as pd

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.enums import TradingMode
from aurumbotx.domain.trading import Signal
from aurumbotx.engine.bot import BotRunner, BotSpec, BotStore
from aurumbotx.execution.paper import PaperExchange
from aurumbotx.risk.manager import RiskManager
from aurumbotx.strategies.base import LiveSignals, Strategy
from aurumbotx.strategies.live import UndecidedSignal, populate_window
from aurumbotx.testing.market import load_shared_candles

PAIR = "BTC/USDT"


class StubBreakout(Strategy):
    """Close above the highest of the 20 closes before (exact whatever the history's start)."""

    name = "stub_breakout"

    def __init__(self) -> None:
        super().__init__()
        self.lengths: list[int] = []

    @property
    def startup_candles(self) -> int:
        return 60

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        self.lengths.append(len(candles))
        close = candles["close"]
        enter = close > close.rolling(20).max().shift(1)
        leave = close < close.rolling(20).min().shift(1)
        return pd.DataFrame({"enter_long": enter, "exit_long": leave}, index=candles.index)


def test_populate_sees_a_bounded_window_and_gives_the_whole_history_signals() -> None:
    candles = load_shared_candles("binance_BTC-USDT_1h", 2_400)
    strategy = StubBreakout()
    spec = BotSpec(1, 1, "b", strategy.name, {}, [PAIR], "1h", Decimal(1000), TradingMode.PAPER)
    exchange = PaperExchange({"USDT": Decimal(1000)})
    runner = BotRunner(spec, strategy, exchange, cast(BotStore, object()), RiskManager())
    whole = StubBreakout().populate(candles)
    ts = candles.index.as_unit("ms").asi8
    values = candles[["open", "high", "low", "close", "volume"]].to_numpy()
    decisions = 0
    for i in range(len(candles)):
        candle = Candle(PAIR, int(ts[i]), *values[i].tolist())
        runner.history[PAIR].append(candle)
        signal = runner.signal(PAIR, candle)
        if i + 1 < strategy.startup_candles:
            assert signal is None
            continue
        expected = (bool(whole["enter_long"].iloc[i]), bool(whole["exit_long"].iloc[i]))
        got = (signal.enter, signal.exit) if signal is not None else (False, False)
        assert got == expected, i
        decisions += signal is not None
    window = populate_window(strategy.startup_candles)
    assert window == 1_200
    assert max(strategy.lengths) == window
    assert strategy.lengths[-1] == window
    assert decisions > 100


class StubUndecided:
    """A live source that can never decide: every candle goes back to populate."""

    def __init__(self) -> None:
        self.calls = 0

    def on_candle(self, candle: Candle) -> Signal | None:
        self.calls += 1
        raise UndecidedSignal("too close to call")


class StubBreakoutWithSource(StubBreakout):
    name = "stub_breakout_source"

    def __init__(self) -> None:
        super().__init__()
        self.source = StubUndecided()

    def live_signals(
        self, history: pd.DataFrame, on_record: Callable[[Any], None] | None = None
    ) -> LiveSignals:
        return self.source


def test_an_undecided_source_hands_the_candle_to_populate_over_the_whole_history() -> None:
    candles = load_shared_candles("binance_BTC-USDT_1h", 1_500)
    strategy = StubBreakoutWithSource()
    spec = BotSpec(1, 1, "b", strategy.name, {}, [PAIR], "1h", Decimal(1000), TradingMode.PAPER)
    exchange = PaperExchange({"USDT": Decimal(1000)})
    runner = BotRunner(spec, strategy, exchange, cast(BotStore, object()), RiskManager())
    whole = StubBreakout().populate(candles)
    ts = candles.index.as_unit("ms").asi8
    values = candles[["open", "high", "low", "close", "volume"]].to_numpy()
    for i in range(len(candles)):
        candle = Candle(PAIR, int(ts[i]), *values[i].tolist())
        runner.history[PAIR].append(candle)
        signal = runner.signal(PAIR, candle)
        if i + 1 >= strategy.startup_candles:
            expected = (bool(whole["enter_long"].iloc[i]), bool(whole["exit_long"].iloc[i]))
            assert ((signal.enter, signal.exit) if signal else (False, False)) == expected, i
    assert strategy.source.calls == len(candles) - strategy.startup_candles + 1
    assert strategy.lengths[-1] == len(candles)  # the whole history, not the window
