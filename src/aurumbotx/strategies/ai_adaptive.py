"""`ai_adaptive`: a trained ensemble's predictions through the SignalProcessor and its filters.

At each candle's close: the 27 features, the model's prediction (the artifact's fitted
preprocessing and ensemble, exactly ``artifact.predict``; NaN on the 199 warm-up rows), then
`SignalProcessor.process_many` with the filters configured below. enter_long = BUY,
exit_long = SELL; the frame also carries ``prediction``, ``confidence``, ``action``,
``held_by`` (the filter that held a BUY/SELL, "" if none) and the features the filters read.

Which model (parameter ``model``): a version (``YYYYMMDD-HHMMSS-xxxx``), or ``active``
(default), the active model of the data's pair and timeframe (``candles.attrs['pair']`` and
``['timeframe']``, which the loaders set), looked up in ``active.json`` by
`aurumbotx.ml.registry`, without the database. A model is loaded once per pair and timeframe
and kept for the strategy object's life: activating another model takes effect in the next
backtest or bot start.

Where models live is injected, never read from settings or a global here: the constructor's
``models_dir`` argument, which whoever builds strategies passes (`create_strategy(...,
models_dir=)`: bootstrap for bots, the backtest service for backtests, both
``<AURUMBOTX_HOME>/models``). Without it the strategy is built and validated, and says so
clearly when it needs a model.

Threshold: ``threshold`` 0 (default) uses the model's tuned one (meta.json), any other value
replaces it. Filters: ``*_filter`` switches and the parameters of `aurumbotx.signals.filters`.

`in_sample_warnings` tells when a backtest window overlaps the model's training data: such a
backtest grades the model on candles it learnt from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.domain.trading import Signal
from aurumbotx.features import WARMUP_CANDLES
from aurumbotx.signals import (
    RiskFilter,
    SignalAction,
    SignalProcessor,
    TrendFilter,
    VolatilityFilter,
    VolumeFilter,
)
from aurumbotx.strategies.base import LiveSignals, Parameter, Strategy

if TYPE_CHECKING:
    from aurumbotx.ml.artifact import ModelArtifact

ACTIVE = "active"
FEATURE_OUTPUT = (
    "volume_ratio",
    "market_condition_volatility",
    "volatility",
    "ema_20",
    "ema_50",
    "sma_200",
)


class AiAdaptiveStrategy(Strategy):
    """The AI strategy: model predictions, threshold, filters (see the module docstring)."""

    name = "ai_adaptive"
    description = "Trade the trained ensemble's predictions through the spec's signal filters."
    parameters = {  # noqa: RUF012 - class-level declaration read by the base class
        "model": Parameter(ACTIVE, "model version, or 'active' for the pair's active model"),
        "threshold": Parameter(
            0.0, "signal threshold; 0 = the model's tuned one", minimum=0, maximum=1
        ),
        "volume_filter": Parameter(True, "hold signals on thin candles"),
        "min_volume_ratio": Parameter(
            VolumeFilter.min_volume_ratio, "volume / its 20-candle mean at least", minimum=0
        ),
        "volatility_filter": Parameter(True, "hold signals in dead or (BUY) wild markets"),
        "min_volatility": Parameter(
            VolatilityFilter.min_volatility, "ATR(14)/close at least", minimum=0
        ),
        "max_volatility": Parameter(
            VolatilityFilter.max_volatility, "ATR(14)/close at most, for a BUY", minimum=0
        ),
        "trend_filter": Parameter(True, "hold a BUY in a down-trend, a SELL in an up-trend"),
        "risk_filter": Parameter(True, "confidence floor; hold a BUY when returns are wild"),
        "min_confidence": Parameter(
            RiskFilter.min_confidence, "confidence at least (0 = off)", minimum=0, maximum=1
        ),
        "max_realised_volatility": Parameter(
            RiskFilter.max_realised_volatility, "std of 20 returns at most, for a BUY", minimum=0
        ),
        "stop_loss_pct": Parameter(0.0, "stop-loss, % below the entry (0 = risk default)"),
        "take_profit_pct": Parameter(0.0, "take-profit, % above the entry (0 = none)"),
    }

    def __init__(self, models_dir: Path | None = None, **params: object) -> None:
        self._models_dir = models_dir
        self._models: dict[tuple[str | None, str | None], ModelArtifact] = {}
        super().__init__(**params)

    def validate(self) -> None:
        """A model version or 'active'; filter parameters within their rules."""
        model = str(self.params["model"])
        if model != ACTIVE:
            from aurumbotx.ml.artifact import check_version

            check_version(model)
        self.processor(threshold=0.6)  # the filters check their own parameters

    @property
    def startup_candles(self) -> int:
        """The features' warm-up."""
        return WARMUP_CANDLES + 1

    @property
    def directory(self) -> Path:
        """The models directory given to the constructor."""
        if self._models_dir is None:
            raise InvalidInputError(
                "ai_adaptive does not know where models live: build it with "
                "create_strategy(..., models_dir=) or AiAdaptiveStrategy(models_dir=)"
            )
        return Path(self._models_dir)

    def processor(self, threshold: float, model_version: str | None = None) -> SignalProcessor:
        """The SignalProcessor these parameters describe, at `threshold`."""
        p = self.params
        filters = (
            VolumeFilter(p["min_volume_ratio"], enabled=p["volume_filter"]),
            VolatilityFilter(
                p["min_volatility"], p["max_volatility"], enabled=p["volatility_filter"]
            ),
            TrendFilter(enabled=p["trend_filter"]),
            RiskFilter(p["min_confidence"], p["max_realised_volatility"], enabled=p["risk_filter"]),
        )
        return SignalProcessor(threshold, filters, model_version=model_version)

    def model_for(self, candles: pd.DataFrame) -> ModelArtifact:
        """The model for these candles' pair and timeframe (loaded once, then kept)."""
        from aurumbotx.ml.artifact import load_artifact
        from aurumbotx.ml.registry import resolve_model

        pair, timeframe = candles.attrs.get("pair"), candles.attrs.get("timeframe")
        key = (pair, timeframe) if pair and timeframe else (None, None)
        if key not in self._models:
            model = str(self.params["model"])
            if pair and timeframe:
                self._models[key] = resolve_model(model, pair, timeframe, self.directory)
            elif model != ACTIVE:
                self._models[key] = load_artifact(self.directory, model)
            else:
                raise InvalidInputError(
                    "ai_adaptive with model=active needs the candles' pair and timeframe "
                    "(candles.attrs), or a model version: --model VERSION"
                )
        return self._models[key]

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        """Predictions, the processor's decisions and the features the filters read."""
        from aurumbotx.ml.preprocess import complete_rows, model_inputs

        artifact = self.model_for(candles)
        inputs = model_inputs(candles)
        complete = complete_rows(inputs)
        prediction = np.full(len(candles), np.nan)
        if complete.any():
            prediction[complete] = artifact.predict_inputs(inputs[complete])
        threshold = float(self.params["threshold"]) or artifact.threshold
        decided = self.processor(threshold, artifact.version).process_many(prediction, inputs)
        action = decided["action"].to_numpy()
        out = pd.DataFrame(
            {
                "enter_long": action == SignalAction.BUY.value,
                "exit_long": action == SignalAction.SELL.value,
                "prediction": prediction,
                "confidence": decided["confidence"].to_numpy(),
                "action": action,
                "held_by": decided["held_by"].to_numpy(),
            },
            index=candles.index,
        )
        for column in FEATURE_OUTPUT:
            out[column] = inputs[column].to_numpy()
        return out

    def live_signals(
        self, history: pd.DataFrame, on_record: Callable[[Any], None] | None = None
    ) -> LiveSignals:
        """The fast live path: streaming features, compiled ensemble, the same processor."""
        from aurumbotx.ml.live import LiveSignalPipeline

        artifact = self.model_for(history)
        threshold = float(self.params["threshold"]) or artifact.threshold
        pipeline = LiveSignalPipeline(
            artifact,
            history,
            processor=self.processor(threshold, artifact.version),
            on_record=on_record,
        )
        return _LiveAi(pipeline)

    def in_sample_warnings(
        self,
        frames: Mapping[str, pd.DataFrame],
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[str]:
        """One warning per pair whose backtest window overlaps its model's training data."""
        warnings = []
        for pair, frame in frames.items():
            artifact = self.model_for(frame)
            trained = _training_range(artifact.meta)
            window = _window(frame.index, start, end)
            if trained is None or window is None:
                continue
            (first, last), (w_first, w_last) = trained, window
            if w_first <= last and w_last >= first:
                warnings.append(
                    f"IN-SAMPLE: {pair} backtest window {w_first:%Y-%m-%d %H:%M} .. "
                    f"{w_last:%Y-%m-%d %H:%M} UTC overlaps the training data of model "
                    f"{artifact.version} ({first:%Y-%m-%d %H:%M} .. {last:%Y-%m-%d %H:%M} UTC): "
                    "the model has seen these candles and its results here are flattered. "
                    + _honest_window(artifact.version, last, frame.index)
                )
        return warnings


def _honest_window(version: str, trained_last: pd.Timestamp, index: pd.Index) -> str:
    """Where this data allows an out-of-sample test, or that it does not."""
    honest = (trained_last + timedelta(days=1)).normalize()
    data_last = pd.Timestamp(index[-1])
    if int(len(index) - index.searchsorted(honest, side="left")) >= 2:
        return (
            f"The honest test is `--model {version} --from {honest:%Y-%m-%d}` (after the "
            f"model's training data, which ends {trained_last:%Y-%m-%d %H:%M} UTC; "
            f"the data ends {data_last:%Y-%m-%d %H:%M} UTC)."
        )
    return (
        f"This data has no out-of-sample window: it ends {data_last:%Y-%m-%d %H:%M} UTC and "
        f"the model's training data ends {trained_last:%Y-%m-%d %H:%M} UTC; backtest it on "
        "newer candles."
    )


def _training_range(meta: Mapping[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    data = meta.get("training_data") or {}
    if not data.get("first") or not data.get("last"):
        return None
    return pd.Timestamp(data["first"]), pd.Timestamp(data["last"])


def _window(
    index: pd.Index, start: datetime | None, end: datetime | None
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last candle a backtest of `index` trades (the runner's window rule)."""
    i0 = int(index.searchsorted(pd.Timestamp(start), side="left")) if start else 0
    i1 = int(index.searchsorted(pd.Timestamp(end), side="right")) if end else len(index)
    if i1 <= i0:
        return None
    return pd.Timestamp(index[i0]), pd.Timestamp(index[i1 - 1])


class _LiveAi:
    """SignalRecords of the live pipeline as the engine's Signals (the record kept as data)."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline

    def on_candle(self, candle: Candle) -> Signal | None:
        record = self.pipeline.on_candle(candle)
        if record.action is SignalAction.HOLD:
            return None
        return Signal(
            enter=record.action is SignalAction.BUY,
            exit=record.action is SignalAction.SELL,
            confidence=record.confidence,
            data=record.to_dict(),
        )
