"""Walk-forward evaluation of a model, traded through our backtester on each test window.

For every fold (`aurumbotx.ml.walkforward`): fit and tune on the training window, predict the
test window, score the predictions, then trade them with `run_backtest` and compare with two
baselines on the same window, all with the same fee (0.1 % per side by default):

* the model: a `PredictionSignals` strategy fed the fold's predictions; BUY (prediction above
  +threshold) enters all-in when flat, SELL (below -threshold) exits; long-only;
* buy-and-hold: all-in at the window's first open, the entry fee paid, marked at its last close
  (amount = cash / (open x (1 + fee)), as the engine sizes an all-in entry);
* `sma_cross` with its defaults (10/50), warmed up on the candles before the window.

A position still open at the end of a window is marked at its last close without an exit fee,
for the model and sma_cross as for buy-and-hold. Returns are fractions of the starting capital.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from aurumbotx.backtest.runner import BacktestConfig, run_backtest
from aurumbotx.domain.values import float_to_decimal
from aurumbotx.ml.dataset import Dataset
from aurumbotx.ml.scoring import leakage_warning
from aurumbotx.ml.walkforward import FoldResult, Progress, TrainingConfig, walk_forward
from aurumbotx.strategies.base import Parameter, Strategy
from aurumbotx.strategies.sma_cross import SmaCrossStrategy

WARMUP_BEFORE_WINDOW = 500  # candles before a test window: sma_cross's averages warm up there
CAPITAL = Decimal(10_000)
STRATEGIES = ("model", "buy_hold", "sma_cross")


class PredictionSignals(Strategy):
    """Signals from precomputed predictions: enter above +threshold, exit below -threshold."""

    name = "ml_predictions"
    description = "Long-only signals from a model's precomputed predictions (evaluation only)."
    parameters: ClassVar[dict[str, Parameter]] = {
        "threshold": Parameter(0.6, "signal threshold on the [-1, 1] prediction", 0.0, 1.0),
    }

    def __init__(self, predictions: pd.Series, threshold: float) -> None:
        self.predictions = predictions
        super().__init__(threshold=float(threshold))

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        """BUY/SELL where a prediction exists and passes the threshold; nothing elsewhere."""
        prediction = self.predictions.reindex(candles.index).to_numpy(np.float64)
        threshold = float(self.params["threshold"])
        with np.errstate(invalid="ignore"):
            enter = prediction > threshold
            leave = prediction < -threshold
        return pd.DataFrame(
            {"enter_long": enter, "exit_long": leave, "prediction": prediction},
            index=candles.index,
        )


@dataclass
class FoldTrading:
    """Returns and equity curves of the model and the two baselines on one test window."""

    metrics: dict[str, Any]
    equity: dict[str, pd.Series]


@dataclass
class Evaluation:
    """The walk-forward folds, their trading, and the pooled scores."""

    folds: list[FoldResult]
    trading: list[FoldTrading]
    overall: dict[str, Any]
    config: TrainingConfig
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready metrics stored with the model and in the database."""
        folds = [_fold_dict(f, t) for f, t in zip(self.folds, self.trading, strict=True)]
        return {
            "config": self.config.to_dict(),
            "folds": folds,
            "overall": self.overall,
            "seconds": round(self.seconds, 3),
            "warnings": list(self.warnings),
        }


def buy_and_hold(candles: pd.DataFrame, fee_rate: float, capital: float) -> pd.Series:
    """Equity of buying all-in at the first open (entry fee paid), marked at each close."""
    amount = capital / (float(candles["open"].iloc[0]) * (1.0 + fee_rate))
    return (candles["close"].astype("float64") * amount).rename("equity")


def trade_fold(
    candles: pd.DataFrame, pair: str, timeframe: str, fold: FoldResult, fee_rate: float
) -> FoldTrading:
    """Backtest the fold's signals, buy-and-hold and sma_cross on its test window."""
    first, last = int(fold.split.test[0]), int(fold.split.test[-1])
    frame = candles.iloc[max(0, first - WARMUP_BEFORE_WINDOW) : last + 1]
    config = BacktestConfig(
        capital=CAPITAL,
        fee_rate=float_to_decimal(fee_rate),
        start=candles.index[first].to_pydatetime(),
        end=candles.index[last].to_pydatetime(),
        bot_id="ml-eval",
    )
    signals = PredictionSignals(pd.Series(fold.prediction, index=fold.index), fold.model.threshold)
    model = run_backtest(signals, {pair: frame}, timeframe, config)
    sma = run_backtest(SmaCrossStrategy(), {pair: frame}, timeframe, config)
    hold = buy_and_hold(candles.iloc[first : last + 1], fee_rate, float(CAPITAL))
    equity = {"model": model.equity, "buy_hold": hold, "sma_cross": sma.equity}
    start = float(CAPITAL)
    metrics: dict[str, Any] = {
        f"{name}_return": float(curve.iloc[-1]) / start - 1.0 for name, curve in equity.items()
    }
    metrics |= {
        "model_trades": len(model.trades),
        "sma_cross_trades": len(sma.trades),
        "model_max_drawdown": model.metrics.get("max_drawdown"),
        "model_exposure": model.metrics.get("exposure"),
        "buy_hold_max_drawdown": float((hold / hold.cummax() - 1.0).min()),
    }
    return FoldTrading(metrics, equity)


def evaluate(
    dataset: Dataset,
    pair: str,
    timeframe: str,
    config: TrainingConfig,
    progress: Progress | None = None,
) -> Evaluation:
    """Walk-forward: fit, tune, predict, score and trade every fold (see the module docstring)."""
    trading: list[FoldTrading] = []

    def trade(fold: FoldResult) -> None:
        if progress:
            progress(fold.split.number, "trading the test window")
        trading.append(trade_fold(dataset.candles, pair, timeframe, fold, config.fee_rate))

    result = walk_forward(dataset, config, progress, on_fold=trade)
    overall = result.overall | overall_trading(trading)
    warning = leakage_warning(overall)
    return Evaluation(
        result.folds,
        trading,
        overall,
        config,
        result.seconds,
        warnings=[warning] if warning else [],
    )


def overall_trading(trading: list[FoldTrading]) -> dict[str, Any]:
    """Returns compounded over the test windows, and how many windows beat each baseline."""
    out: dict[str, Any] = {}
    for name in STRATEGIES:
        returns = np.array([t.metrics[f"{name}_return"] for t in trading])
        out[f"{name}_return"] = float(np.prod(1.0 + returns) - 1.0)
        out[f"{name}_mean_fold_return"] = float(returns.mean())
    model = np.array([t.metrics["model_return"] for t in trading])
    for name in ("buy_hold", "sma_cross"):
        other = np.array([t.metrics[f"{name}_return"] for t in trading])
        out[f"folds_beating_{name}"] = int(np.sum(model > other))
    out["model_trades"] = int(sum(t.metrics["model_trades"] for t in trading))
    return out


def _fold_dict(fold: FoldResult, trading: FoldTrading) -> dict[str, Any]:
    split = fold.split
    index = fold.index
    return {
        "fold": split.number,
        "test_first": index[0].isoformat(),
        "test_last": index[-1].isoformat(),
        "fit_rows": len(split.fit),
        "validation_rows": len(split.validation),
        "test_rows": len(split.test),
        "gap": split.gap,
        "weights": dict(fold.model.ensemble.weights),
        "threshold": fold.model.threshold,
        "validation": fold.model.validation,
        "seconds": round(fold.seconds, 3),
        **fold.scores,
        **trading.metrics,
    }
