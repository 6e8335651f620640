"""LiveSignalPipeline: one closed candle in, one SignalRecord out, in tens of microseconds.

Built from a model artifact and the pair's candle history, it keeps three things warm:

1. features: `StreamingFeatures` (O(1) per candle, equal to `compute_features` on the whole
   history to ~1e-10 relative, see docs/features.md);
2. the artifact's fitted preprocessing, applied to ONE row with plain numpy: price levels
   relative to the close, then the StandardScaler's ``(x - mean) / scale``, the same float64
   operations `FeaturePreprocessor.transform` performs, without pandas;
3. the compiled ensemble (`aurumbotx.ml.compiled`, one onnxruntime call per candle; the
   original members when compilation fell back).

Then the `SignalProcessor` (the model's tuned threshold unless given one) makes the
`SignalRecord`, stamped with the candle's close time. Predictions equal
``artifact.predict(history + candles)`` on the streamed rows within 1e-5 (float32 trees inside
ONNX; measured ~1e-7), and exactly up to feature rounding (~1e-15) on the fallback.

Logging: this module never logs a signal itself (ml sits below observability). Pass
``on_record``, e.g. ``lambda r: log_ai_prediction(logger, r.pair, r.to_dict())`` from the
composition root, to emit the spec's ``ai_prediction_generated`` event per candle; or log the
returned record.

Event loops: `on_candle_async` runs the CPU work in a worker thread (`asyncio.to_thread`), one
candle at a time per pipeline, in arrival order, so an API or engine loop keeps serving.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import ModelError
from aurumbotx.domain.timeframes import timeframe_to_ms
from aurumbotx.features import FEATURE_COLUMNS, require_history
from aurumbotx.features.streaming import StreamingFeatures
from aurumbotx.ml.artifact import ModelArtifact
from aurumbotx.ml.compiled import CompiledEnsemble, load_compiled
from aurumbotx.ml.ensemble import MEMBERS
from aurumbotx.ml.preprocess import (
    CLOSE,
    RELATIVE_LEVELS,
    RELATIVE_SPREADS,
    complete_rows,
    model_inputs,
)
from aurumbotx.signals import SignalProcessor, SignalRecord

RecordCallback = Callable[[SignalRecord], None]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAN_MEMBERS = [math.nan] * len(MEMBERS)
_LEVELS = np.array([FEATURE_COLUMNS.index(name) for name in RELATIVE_LEVELS])
_SPREADS = np.array([FEATURE_COLUMNS.index(name) for name in RELATIVE_SPREADS])


class LiveSignalPipeline:
    """Streaming features, one-row preprocessing, compiled ensemble, signal processor."""

    def __init__(
        self,
        artifact: ModelArtifact,
        history: pd.DataFrame,
        *,
        processor: SignalProcessor | None = None,
        compiled: CompiledEnsemble | None = None,
        on_record: RecordCallback | None = None,
        timeframe: str | None = None,
        pair: str | None = None,
        cache: bool = True,
    ) -> None:
        require_history(len(history))
        timeframe = timeframe or history.attrs.get("timeframe") or artifact.timeframe
        pair = pair or history.attrs.get("pair") or artifact.pair
        if (pair, timeframe) != (artifact.pair, artifact.timeframe):
            raise ModelError(
                f"model {artifact.version} is for {artifact.pair} {artifact.timeframe}, "
                f"not {pair} {timeframe}"
            )
        self.artifact = artifact
        self.pair = pair
        self.features = StreamingFeatures.from_history(history, timeframe, pair)
        self.processor = processor or SignalProcessor(
            artifact.threshold, model_version=artifact.version
        )
        self.compiled = compiled or load_compiled(artifact, self._check_rows(history), cache=cache)
        self.on_record = on_record
        self._step = timedelta(milliseconds=timeframe_to_ms(timeframe))
        scaler = artifact.preprocessor.scaler_
        self._mean = np.asarray(scaler.mean_ if scaler.with_mean else 0.0, dtype=np.float64)
        self._scale = np.asarray(scaler.scale_ if scaler.with_std else 1.0, dtype=np.float64)
        self._lock: asyncio.Lock | None = None

    def on_candle(self, candle: Candle) -> SignalRecord:
        """The signal at the close of the next candle (it must follow the last one seen)."""
        row = self.features.update(candle)
        x = self.preprocess(row, candle.close)
        prediction, members = self.predict(x)
        record = self.decide(row, candle, prediction, members)
        if self.on_record is not None:
            self.on_record(record)
        return record

    async def on_candle_async(self, candle: Candle) -> SignalRecord:
        """`on_candle` in a worker thread; candles of one pipeline are processed in order."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            return await asyncio.to_thread(self.on_candle, candle)

    def preprocess(self, row: np.ndarray, close: float) -> np.ndarray:
        """The model row of one feature row: relative price levels, then the fitted scaler."""
        x = row.copy()
        x[_LEVELS] = x[_LEVELS] / close - 1.0
        x[_SPREADS] = x[_SPREADS] / close
        x -= self._mean
        x /= self._scale
        return x

    def predict(self, x: np.ndarray) -> tuple[float, list[float]]:
        """(prediction, members) of a model row; NaN for a warm-up row."""
        if not np.isfinite(x).all():
            return math.nan, _NAN_MEMBERS
        return self.compiled.predict_row(x)

    def decide(
        self, row: np.ndarray, candle: Candle, prediction: float, members: list[float]
    ) -> SignalRecord:
        """The processor's record for one candle (timestamp: the candle's close)."""
        features = dict(zip(FEATURE_COLUMNS, row.tolist(), strict=True))
        features[CLOSE] = candle.close
        return self.processor.process(
            prediction,
            features,
            timestamp=_EPOCH + timedelta(milliseconds=candle.ts) + self._step,
            members=dict(zip(MEMBERS, members, strict=True)),
            pair=self.pair,
        )

    def _check_rows(self, history: pd.DataFrame) -> np.ndarray:
        """The history's model rows, the real part of the compiled ensemble's accuracy check."""
        inputs = model_inputs(history.iloc[-4096:])
        complete = complete_rows(inputs)
        if not complete.any():
            return np.empty((0, len(FEATURE_COLUMNS)))
        return self.artifact.preprocessor.transform(inputs[complete])
