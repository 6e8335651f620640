"""The backtester: the engine on a simulated clock, checked against independent arithmetic."""

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurumbotx.backtest.runner import BacktestConfig, _forward_fill, run_backtest
from aurumbotx.domain.errors import NoDataError
from aurumbotx.domain.markets import MarketRules
from aurumbotx.strategies.base import Parameter, Strategy
from aurumbotx.strategies.registry import create_strategy
from aurumbotx.strategies.sma_cross import crossings
from aurumbotx.testing.market import load_shared_candles

D = Decimal


def frame(closes: list[float], opens: list[float] | None = None, step: str = "1h") -> pd.DataFrame:
    opens = opens if opens is not None else [closes[0], *closes[:-1]]
    index = pd.date_range("2024-01-01", periods=len(closes), freq=step, tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, closes) + 1,
            "low": np.minimum(opens, closes) - 1,
            "close": closes,
            "volume": 1.0,
        },
        index=index,
    )


class ScriptedStrategy(Strategy):
    """Signals given as lists: for hand-computed cases."""

    name = "scripted"
    parameters = {"stop_loss_pct": Parameter(0.0), "take_profit_pct": Parameter(0.0)}  # noqa: RUF012

    def __init__(self, enter: list[int], leave: list[int], **params: object) -> None:
        super().__init__(**params)
        self.enter, self.leave = enter, leave

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        enter = np.zeros(len(candles), dtype=bool)
        leave = np.zeros(len(candles), dtype=bool)
        enter[[i for i in self.enter if i < len(candles)]] = True
        leave[[i for i in self.leave if i < len(candles)]] = True
        return pd.DataFrame({"enter_long": enter, "exit_long": leave}, index=candles.index)


def test_hand_computed_run() -> None:
    candles = frame([100, 100, 110, 120, 130, 125], opens=[100, 100, 105, 118, 131, 126])
    result = run_backtest(
        ScriptedStrategy([1], [3]),
        {"BTC/USDT": candles},
        "1h",
        BacktestConfig(capital=D(1000), fee_rate=D("0.001")),
    )
    (trade,) = result.trades
    amount = D(1000) / (D(105) * D("1.001"))  # signal at 1, fills at the open of 2
    assert trade.entry_price == D(105)
    assert trade.exit_price == D(131)  # exit signal at 3, fills at the open of 4
    assert trade.amount == amount
    assert trade.entry_time == datetime(2024, 1, 1, 2, tzinfo=UTC)
    assert trade.exit_time == datetime(2024, 1, 1, 4, tzinfo=UTC)
    proceeds = amount * 131 - amount * 131 * D("0.001")
    assert abs(result.final_equity - proceeds) < D("1e-18")
    equity = result.equity.to_numpy()
    assert equity[:2].tolist() == [1000.0, 1000.0]
    assert equity[2] == pytest.approx(float(amount) * 110)  # marked at the close of candle 2
    assert equity[3] == pytest.approx(float(amount) * 120)
    assert equity[4] == pytest.approx(float(proceeds))
    assert result.metrics["total_trades"] == 1
    assert result.metrics["winning_trades"] == 1


def test_open_position_at_the_end_is_reported_open_without_exit_fee() -> None:
    candles = frame([100, 100, 110, 120], opens=[100, 100, 105, 118])
    result = run_backtest(
        ScriptedStrategy([1], []), {"BTC/USDT": candles}, "1h", BacktestConfig(capital=D(1000))
    )
    (trade,) = result.trades
    assert trade.is_open
    assert trade.exit_time is None
    assert trade.exit_price is None
    amount = D(1000) / (D(105) * D("1.001"))
    entry_fee = amount * 105 * D("0.001")
    assert trade.profit_loss == amount * 120 - amount * 105 - entry_fee
    assert result.final_equity == amount * 120
    assert result.metrics["total_trades"] == 0
    assert result.metrics["open_trades"] == 1


def test_stop_and_target_in_one_candle_fill_the_stop() -> None:
    candles = frame([100, 100, 100, 100], opens=[100, 100, 100, 100])
    candles.iloc[2, candles.columns.get_loc("low")] = 96  # below the 3 % stop
    candles.iloc[2, candles.columns.get_loc("high")] = 106  # above the 5 % target
    strategy = ScriptedStrategy([1], [], stop_loss_pct=3.0, take_profit_pct=5.0)
    result = run_backtest(strategy, {"BTC/USDT": candles}, "1h")
    (trade,) = result.trades
    assert trade.exit_reason == "stop_loss"
    assert trade.exit_price == D(97)


def test_market_rules_are_respected() -> None:
    candles = frame([100, 100, 110, 120, 130], opens=[100, 100, 105.123, 118, 131])
    rules = {"BTC/USDT": MarketRules("BTC/USDT", price_tick=D("0.01"), amount_step=D("0.001"))}
    result = run_backtest(
        ScriptedStrategy([1], [3]),
        {"BTC/USDT": candles},
        "1h",
        BacktestConfig(capital=D(1000), market_rules=rules),
    )
    (trade,) = result.trades
    assert trade.amount == D("9.503")  # 1000 / (105.123 x 1.001) = 9.5033... floored to 0.001


def test_trading_window_uses_earlier_candles_only_for_warm_up() -> None:
    candles = frame([100.0] * 10)
    start = candles.index[5].to_pydatetime()
    result = run_backtest(
        ScriptedStrategy([2, 6], [8]), {"BTC/USDT": candles}, "1h", BacktestConfig(start=start)
    )
    (trade,) = result.trades
    assert trade.entry_time == candles.index[7].to_pydatetime()
    assert result.equity.index[0] == candles.index[5]
    with pytest.raises(NoDataError, match="fewer than 2 candles"):
        run_backtest(
            ScriptedStrategy([], []),
            {"BTC/USDT": candles},
            "1h",
            BacktestConfig(start=datetime(2030, 1, 1, tzinfo=UTC)),
        )


def test_multi_pair_runs_share_one_cash_balance() -> None:
    a = frame([100, 100, 110, 120, 130], opens=[100, 100, 105, 118, 131])
    b = frame([50, 50, 55, 60, 65], opens=[50, 50, 52, 59, 66])
    result = run_backtest(
        ScriptedStrategy([1], [3]),
        {"AAA/USDT": a, "BBB/USDT": b},
        "1h",
        BacktestConfig(capital=D(1000)),
    )
    # Both signal at candle 1; AAA (first) takes the whole cash, BBB is refused.
    assert [t.pair for t in result.trades] == ["AAA/USDT"]
    assert result.run_info["rejections"] == 1
    assert "no room" in result.warnings[0]


def _reference_sma_cross(candles: pd.DataFrame, fee: float = 0.001, cash: float = 10_000.0):
    """An independent float simulation of sma_cross (signal at close, fill at next open)."""
    close = candles["close"].to_numpy()
    fast = pd.Series(close).rolling(10).mean().to_numpy()
    slow = pd.Series(close).rolling(50).mean().to_numpy()
    up, down = crossings(fast, slow)
    opens = candles["open"].to_numpy()
    qty, trades, pending = 0.0, [], None
    for i in range(len(close)):
        if pending == "buy":
            qty = cash / (opens[i] * (1 + fee))
            cash, entry = 0.0, (i, opens[i])
        elif pending == "sell":
            cash = qty * opens[i] * (1 - fee)
            trades.append((entry[0], entry[1], i, opens[i]))
            qty = 0.0
        pending = None
        if up[i] and qty == 0:
            pending = "buy"
        elif down[i] and qty > 0:
            pending = "sell"
    return trades, cash + qty * close[-1]


def test_sma_cross_matches_an_independent_simulation_on_real_data() -> None:
    candles = load_shared_candles("binance_BTC-USDT_1h", rows=20_000)
    result = run_backtest(create_strategy("sma_cross"), {"BTC/USDT": candles}, "1h")
    reference, final = _reference_sma_cross(candles)
    ours = [
        (
            candles.index.get_loc(pd.Timestamp(t.entry_time)),
            float(t.entry_price),
            candles.index.get_loc(pd.Timestamp(t.exit_time)),
            float(t.exit_price),
        )
        for t in result.closed_trades
    ]
    assert len(ours) > 250
    assert ours == [(a, pytest.approx(b), c, pytest.approx(d)) for a, b, c, d in reference]
    assert float(result.final_equity) == pytest.approx(final, rel=1e-9)


@pytest.mark.parametrize("rows", [5_000])
def test_skipping_quiet_candles_changes_nothing(rows: int) -> None:
    btc = load_shared_candles("binance_BTC-USDT_1h", rows=rows)
    eth = load_shared_candles("binance_ETH-USDT_1h", rows=rows)
    strategy = ScriptedStrategy(
        list(range(60, rows, 97)),
        list(range(100, rows, 89)),
        stop_loss_pct=2.0,
        take_profit_pct=3.0,
    )
    for data in ({"BTC/USDT": btc}, {"BTC/USDT": btc, "ETH/USDT": eth}):
        fast = run_backtest(strategy, data, "1h")
        slow = run_backtest(strategy, data, "1h", BacktestConfig(every_candle=True))
        assert fast.run_info["candles_processed"] < slow.run_info["candles_processed"]
        assert [t.to_dict() for t in fast.trades] == [t.to_dict() for t in slow.trades]
        assert fast.final_equity == slow.final_equity
        assert np.array_equal(fast.equity.to_numpy(), slow.equity.to_numpy())
        assert {t.exit_reason for t in fast.closed_trades} >= {"stop_loss", "take_profit"}


def test_skipping_quiet_candles_inside_a_window_changes_nothing() -> None:
    # Signals before, inside, on the last candle of and after the window; consecutive signal
    # candles too (a signal candle is then also the candle after the previous signal).
    rows = 2_000
    candles = load_shared_candles("binance_BTC-USDT_1h", rows=rows)
    start, end = candles.index[300].to_pydatetime(), candles.index[1_500].to_pydatetime()
    strategy = ScriptedStrategy(
        [100, 299, 300, 301, 640, 641, 1_100, 1_500, 1_700],
        [250, 305, 642, 643, 900, 1_499, 1_800],
        stop_loss_pct=1.5,
    )
    window = {"start": start, "end": end}
    fast = run_backtest(strategy, {"BTC/USDT": candles}, "1h", BacktestConfig(**window))
    slow = run_backtest(
        strategy, {"BTC/USDT": candles}, "1h", BacktestConfig(every_candle=True, **window)
    )
    assert fast.run_info["candles_processed"] < slow.run_info["candles_processed"]
    assert len(fast.trades) >= 4
    assert [t.to_dict() for t in fast.trades] == [t.to_dict() for t in slow.trades]
    assert fast.final_equity == slow.final_equity
    assert np.array_equal(fast.equity.to_numpy(), slow.equity.to_numpy())
    assert fast.equity.index[0] == candles.index[300]
    assert fast.equity.index[-1] == candles.index[1_500]


class PricedStopsStrategy(ScriptedStrategy):
    """Scripted signals whose entries carry absolute stop and target prices (3 % away)."""

    name = "priced_stops"

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        frame = super().populate(candles)
        close = candles["close"]
        frame["stop_loss"] = (close * 0.97).where(frame["enter_long"])
        frame["take_profit"] = (close * 1.03).where(frame["enter_long"])
        return frame


def test_skipping_quiet_candles_with_priced_stops_changes_nothing() -> None:
    rows = 3_000
    data = {"BTC/USDT": load_shared_candles("binance_BTC-USDT_1h", rows=rows)}
    strategy = PricedStopsStrategy(list(range(40, rows, 61)), list(range(90, rows, 113)))
    fast = run_backtest(strategy, data, "1h")
    slow = run_backtest(strategy, data, "1h", BacktestConfig(every_candle=True))
    assert fast.run_info["candles_processed"] < slow.run_info["candles_processed"]
    assert [t.to_dict() for t in fast.trades] == [t.to_dict() for t in slow.trades]
    assert fast.final_equity == slow.final_equity
    assert np.array_equal(fast.equity.to_numpy(), slow.equity.to_numpy())
    assert {t.exit_reason for t in fast.closed_trades} == {"stop_loss", "take_profit", "signal"}


@given(
    length=st.integers(1, 60),
    records=st.lists(st.tuples(st.integers(0, 59), st.floats(-1e6, 1e6)), max_size=25),
)
def test_forward_fill_holds_the_last_record_at_or_before_each_point(
    length: int, records: list[tuple[int, float]]
) -> None:
    records = sorted((p % length, v) for p, v in records)  # in time order, like the log
    positions = np.array([p for p, _ in records], dtype=np.int64)
    values = np.array([v for _, v in records], dtype=np.float64)
    expected = []
    current = -5.0
    for point in range(length):
        for p, v in records:
            if p == point:
                current = v  # the later record at one point wins
        expected.append(current)
    assert _forward_fill(positions, values, length, -5.0).tolist() == expected


def test_a_changed_decimal_context_in_the_thread_changes_nothing() -> None:
    """ccxt leaves ROUND_HALF_UP on the thread's context; no run may depend on what ran first."""
    import decimal

    candles = load_shared_candles("binance_BTC-USDT_1h", rows=5_000)
    baseline = run_backtest(create_strategy("sma_cross"), {"BTC/USDT": candles}, "1h")
    with decimal.localcontext() as ctx:
        ctx.prec, ctx.rounding = 12, decimal.ROUND_HALF_UP
        changed = run_backtest(create_strategy("sma_cross"), {"BTC/USDT": candles}, "1h")
        assert decimal.getcontext().rounding == decimal.ROUND_HALF_UP  # the caller's, untouched
    assert len(baseline.trades) > 20
    assert [(t.amount, t.fees, t.profit_loss) for t in changed.trades] == [
        (t.amount, t.fees, t.profit_loss) for t in baseline.trades
    ]
    assert changed.final_equity == baseline.final_equity
