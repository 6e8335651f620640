"""Walk-forward trading through the backtester: prediction signals, baselines, the report."""

import json
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from aurumbotx.backtest.ml_eval import (
    PredictionSignals,
    buy_and_hold,
    evaluate,
    overall_trading,
)
from aurumbotx.backtest.ml_report import render_training_report
from aurumbotx.backtest.runner import BacktestConfig, run_backtest
from aurumbotx.ml.dataset import build_dataset
from aurumbotx.ml.target import TargetSpec
from aurumbotx.ml.walkforward import TrainingConfig
from aurumbotx.strategies.sma_cross import SmaCrossStrategy
from aurumbotx.testing.market import load_shared_candles

CONFIG = TrainingConfig(folds=2, n_estimators=5)


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_shared_candles("binance_ETH-USDT_1h", rows=5_000)


def test_prediction_signals_follow_the_threshold(candles: pd.DataFrame) -> None:
    frame = candles.iloc[:6]
    predictions = pd.Series([0.7, 0.2, -0.7, np.nan], index=frame.index[1:5])
    signals = PredictionSignals(predictions, 0.6).populate(frame)
    assert signals["enter_long"].tolist() == [False, True, False, False, False, False]
    assert signals["exit_long"].tolist() == [False, False, False, True, False, False]
    assert signals.index.equals(frame.index)


def test_prediction_signals_trade_through_the_engine(candles: pd.DataFrame) -> None:
    frame = candles.iloc[:20]
    predictions = pd.Series(0.0, index=frame.index)
    predictions.iloc[2], predictions.iloc[7] = 0.9, -0.9
    result = run_backtest(PredictionSignals(predictions, 0.6), {"ETH/USDT": frame}, "1h")
    (trade,) = result.trades
    # Signals at the close of candle 2 and 7, fills at the next opens, 0.1 % per side.
    assert trade.entry_time == frame.index[3].to_pydatetime()
    assert trade.exit_time == frame.index[8].to_pydatetime()
    open_in, open_out = frame["open"].iloc[3], frame["open"].iloc[8]
    expected = (open_out * (1 - 0.001)) / (open_in * (1 + 0.001)) - 1
    assert float(result.final_equity) / 10_000 - 1 == pytest.approx(expected, rel=1e-6)


def test_buy_and_hold_pays_the_entry_fee_and_marks_at_the_close(candles: pd.DataFrame) -> None:
    window = candles.iloc[100:200]
    equity = buy_and_hold(window, 0.001, 10_000.0)
    first_open, last_close = window["open"].iloc[0], window["close"].iloc[-1]
    assert equity.iloc[-1] == pytest.approx(10_000 * last_close / (first_open * 1.001))
    assert equity.index.equals(window.index)


def test_evaluate_scores_and_trades_every_fold(candles: pd.DataFrame) -> None:
    dataset = build_dataset(candles, TargetSpec(horizon=12, vol_window=100))
    stages: list[tuple[int, str]] = []
    evaluation = evaluate(dataset, "ETH/USDT", "1h", CONFIG, lambda k, s: stages.append((k, s)))
    assert [s for s in stages if s[1] == "done"] == [(1, "done"), (2, "done")]
    assert len(evaluation.folds) == len(evaluation.trading) == 2
    for fold, trading in zip(evaluation.folds, evaluation.trading, strict=True):
        window = candles.iloc[fold.split.test[0] : fold.split.test[-1] + 1]
        model = trading.equity["model"]
        assert model.index[0] == window.index[0]
        assert model.index[-1] == window.index[-1]
        assert trading.metrics["model_return"] == pytest.approx(model.iloc[-1] / 10_000 - 1)
        hold = window["close"].iloc[-1] / (window["open"].iloc[0] * 1.001) - 1
        assert trading.metrics["buy_hold_return"] == pytest.approx(hold)
        config = BacktestConfig(
            capital=Decimal(10_000),
            start=window.index[0].to_pydatetime(),
            end=window.index[-1].to_pydatetime(),
        )
        sma = run_backtest(SmaCrossStrategy(), {"ETH/USDT": candles}, "1h", config)
        assert trading.metrics["sma_cross_return"] == pytest.approx(
            float(sma.final_equity) / 10_000 - 1, abs=1e-9
        )
    compounded = math.prod(1 + t.metrics["model_return"] for t in evaluation.trading) - 1
    assert evaluation.overall["model_return"] == pytest.approx(compounded)
    assert evaluation.warnings == []
    document = evaluation.to_dict()
    json.dumps(document)
    assert [f["fold"] for f in document["folds"]] == [1, 2]
    assert document["overall"]["rows"] == sum(len(f.prediction) for f in evaluation.folds)

    html = render_training_report(evaluation, {"version": "v1", "pair": "ETH/USDT"})
    assert html.count("<script type='text/javascript'>") == 1
    for div in ("prediction-scatter", "prediction-series", "fold-equity"):
        assert f'id="{div}"' in html
    assert "buy-and-hold" in html
    assert "sma_cross" in html


def test_overall_trading_compounds_and_counts() -> None:
    class Stub:
        def __init__(self, model: float, hold: float, sma: float) -> None:
            self.metrics = {
                "model_return": model,
                "buy_hold_return": hold,
                "sma_cross_return": sma,
                "model_trades": 2,
            }

    out = overall_trading([Stub(0.1, 0.2, -0.1), Stub(-0.1, -0.3, 0.0)])  # type: ignore[list-item]
    assert out["model_return"] == pytest.approx(1.1 * 0.9 - 1)
    assert out["buy_hold_return"] == pytest.approx(1.2 * 0.7 - 1)
    assert out["folds_beating_buy_hold"] == 1
    assert out["folds_beating_sma_cross"] == 1
    assert out["model_trades"] == 4
