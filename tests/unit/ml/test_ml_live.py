"""LiveSignalPipeline on real candles: equal to the batch path, event-loop friendly, logged."""

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from structlog.testing import capture_logs

from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import DataError, ModelError
from aurumbotx.features import FEATURE_COLUMNS
from aurumbotx.ml.artifact import ModelArtifact, save_artifact
from aurumbotx.ml.compiled import CompiledEnsemble
from aurumbotx.ml.ensemble import MEMBERS
from aurumbotx.ml.live import LiveSignalPipeline
from aurumbotx.ml.preprocess import model_inputs
from aurumbotx.observability.logging import get_logger, log_ai_prediction
from aurumbotx.signals import SignalAction, SignalRecord
from aurumbotx.strategies.ai_adaptive import AiAdaptiveStrategy
from aurumbotx.testing.market import load_shared_candles
from aurumbotx.testing.models import BTC_FILE, btc_model

HISTORY = 2_000
STREAMED = 300


@pytest.fixture(scope="module")
def artifact() -> ModelArtifact:
    return btc_model()


@pytest.fixture(scope="module")
def segment() -> pd.DataFrame:
    """2,300 gap-free real candles after the training data (2018-02-09 onwards)."""
    candles = load_shared_candles(BTC_FILE, rows=4_190 + HISTORY + STREAMED).iloc[4_190:]
    steps = np.diff(candles.index.as_unit("ms").asi8)
    assert (steps == 3_600_000).all()
    return candles


def to_candles(frame: pd.DataFrame) -> list[Candle]:
    times = frame.index.as_unit("ms").asi8.tolist()
    rows = frame[["open", "high", "low", "close", "volume"]].itertuples(index=False, name=None)
    return [Candle("BTC/USDT", ts, *row) for ts, row in zip(times, rows, strict=True)]


def stream(pipeline: LiveSignalPipeline, frame: pd.DataFrame) -> list[SignalRecord]:
    return [pipeline.on_candle(candle) for candle in to_candles(frame)]


def test_live_predictions_equal_the_batch_path(
    artifact: ModelArtifact, segment: pd.DataFrame, tmp_path: Path
) -> None:
    pipeline = LiveSignalPipeline(artifact, segment.iloc[:HISTORY], cache=False)
    assert pipeline.compiled.compiled
    records = stream(pipeline, segment.iloc[HISTORY:])
    live = np.array([r.prediction for r in records])
    batch = artifact.predict(segment).to_numpy()[HISTORY:]
    assert np.isfinite(batch).all()
    assert np.max(np.abs(live - batch)) <= 1e-5
    inputs = model_inputs(segment).iloc[HISTORY:]
    members = artifact.ensemble.member_predictions(artifact.preprocessor.transform(inputs))
    for name in MEMBERS:
        got = np.array([r.members[name] for r in records])
        assert np.max(np.abs(got - members[name])) <= 1e-5, name
    # The same actions as the vectorised strategy on the whole frame (a backtest's signals),
    # except where a prediction sits within the compiled tolerance of a threshold.
    save_artifact(btc_model(), tmp_path)
    signals = AiAdaptiveStrategy(model=artifact.version, models_dir=tmp_path)
    frame = signals.populate(segment).iloc[HISTORY:]
    actions = np.array([r.action.value for r in records])
    near = np.abs(np.abs(batch) - artifact.threshold) <= 1e-5
    assert (actions == frame["action"].to_numpy())[~near].all()
    assert near.sum() <= 1
    assert {"BUY", "HOLD"} <= set(actions)  # the comparison covered real decisions


def test_fallback_pipeline_is_exact(artifact: ModelArtifact, segment: pd.DataFrame) -> None:
    fallback = CompiledEnsemble(artifact.ensemble, fallback_reason="forced by the test")
    pipeline = LiveSignalPipeline(artifact, segment.iloc[:HISTORY], compiled=fallback)
    records = stream(pipeline, segment.iloc[HISTORY : HISTORY + 40])
    live = np.array([r.prediction for r in records])
    batch = artifact.predict(segment.iloc[: HISTORY + 40]).to_numpy()[HISTORY:]
    # Only the streaming features' last-bit rounding separates them.
    assert np.max(np.abs(live - batch)) <= 1e-12


def test_records_are_stamped_and_logged(artifact: ModelArtifact, segment: pd.DataFrame) -> None:
    logger = get_logger("aurumbotx.test")
    pipeline = LiveSignalPipeline(
        artifact,
        segment.iloc[:HISTORY],
        cache=False,
        on_record=lambda r: log_ai_prediction(logger, r.pair or "", r.to_dict()),
    )
    candles = to_candles(segment.iloc[HISTORY : HISTORY + 3])
    with capture_logs() as logs:
        records = [pipeline.on_candle(candle) for candle in candles]
    events = [e for e in logs if e["event"] == "ai_prediction_generated"]
    assert len(events) == 3
    for event, record, candle in zip(events, records, candles, strict=True):
        close_time = pd.Timestamp(candle.ts, unit="ms", tz="UTC") + timedelta(hours=1)
        assert record.timestamp == close_time.to_pydatetime()
        assert record.timestamp.utcoffset() == timedelta(0)
        assert record.pair == "BTC/USDT"
        assert record.model_version == artifact.version
        assert record.threshold == artifact.threshold
        assert record.features["close"] == candle.close
        assert list(record.features)[: len(FEATURE_COLUMNS)] == list(FEATURE_COLUMNS)
        assert event["symbol"] == "BTC/USDT"
        assert event["action"] == record.action.value
        assert event["prediction_value"] == record.prediction
        assert event["features_count"] == len(FEATURE_COLUMNS) + 1


class SlowCompiled:
    """A compiled ensemble that takes 20 ms a row (and releases the GIL, as onnxruntime does)."""

    def __init__(self, inner: CompiledEnsemble) -> None:
        self.inner = inner
        self.compiled = True

    def predict_row(self, row: np.ndarray) -> tuple[float, list[float]]:
        time.sleep(0.02)
        return self.inner.predict_row(row)


async def test_async_candles_leave_the_loop_running(
    artifact: ModelArtifact, segment: pd.DataFrame
) -> None:
    inner = CompiledEnsemble(artifact.ensemble, fallback_reason="stub")
    pipeline = LiveSignalPipeline(
        artifact,
        segment.iloc[:HISTORY],
        compiled=SlowCompiled(inner),  # type: ignore[arg-type]
    )
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.002)
            ticks += 1

    task = asyncio.create_task(ticker())
    candles = to_candles(segment.iloc[HISTORY : HISTORY + 5])
    records = await asyncio.gather(*(pipeline.on_candle_async(c) for c in candles))
    seen = ticks
    task.cancel()
    # 5 x 20 ms of prediction: a blocked loop would not have ticked at all.
    assert seen >= 10
    times = [r.timestamp for r in records]
    assert times == sorted(times)
    assert len(set(times)) == 5
    assert all(r.action in SignalAction for r in records)


def test_refuses_short_history_and_other_pairs(
    artifact: ModelArtifact, segment: pd.DataFrame
) -> None:
    with pytest.raises(DataError, match="need at least 200"):
        LiveSignalPipeline(artifact, segment.iloc[:150])
    other = segment.iloc[:HISTORY].copy()
    other.attrs["pair"] = "ETH/USDT"
    with pytest.raises(ModelError, match="is for BTC/USDT 1h, not ETH/USDT 1h"):
        LiveSignalPipeline(artifact, other)
