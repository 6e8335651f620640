"""`ai_adaptive`: model resolution without a database, signals = processor decisions, no
lookahead, the in-sample warning."""

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurumbotx.backtest.lookahead import check_lookahead
from aurumbotx.domain.errors import InvalidInputError, ModelError, NotFoundError
from aurumbotx.ml.artifact import ModelArtifact, save_artifact
from aurumbotx.ml.preprocess import model_inputs
from aurumbotx.ml.registry import set_active
from aurumbotx.signals import SignalProcessor
from aurumbotx.strategies.ai_adaptive import AiAdaptiveStrategy
from aurumbotx.strategies.base import compute_signals
from aurumbotx.strategies.registry import available, create_strategy
from aurumbotx.testing.market import load_shared_candles
from aurumbotx.testing.models import BTC_FILE, btc_model


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models directory holding the tiny BTC/USDT 1h model, active."""
    directory = tmp_path_factory.mktemp("models")
    artifact = btc_model()
    save_artifact(artifact, directory)
    set_active(directory, "BTC/USDT", "1h", artifact.version)
    return directory


@pytest.fixture(scope="module")
def artifact(models: Path) -> ModelArtifact:
    return btc_model()


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    """3,000 real candles after the training data."""
    return load_shared_candles(BTC_FILE, rows=7_000).iloc[4_000:]


def test_is_a_builtin_that_needs_its_models_directory(candles: pd.DataFrame) -> None:
    assert "ai_adaptive" in available()
    strategy = create_strategy("ai_adaptive", {"threshold": "0.3"})
    assert isinstance(strategy, AiAdaptiveStrategy)
    assert strategy.params["model"] == "active"
    assert strategy.startup_candles == 200
    with pytest.raises(InvalidInputError, match="does not know where models live"):
        strategy.populate(candles)
    with pytest.raises(ModelError, match="not a model version"):
        create_strategy("ai_adaptive", {"model": "latest"})
    with pytest.raises(InvalidInputError, match="max_volatility"):
        create_strategy("ai_adaptive", {"min_volatility": "0.1", "max_volatility": "0.05"})


def test_signals_are_the_processors_decisions(
    models: Path, artifact: ModelArtifact, candles: pd.DataFrame
) -> None:
    strategy = AiAdaptiveStrategy(models_dir=models)
    frame = compute_signals(strategy, candles)
    prediction = artifact.predict(candles)
    assert np.array_equal(frame["prediction"].to_numpy(), prediction.to_numpy(), equal_nan=True)
    expected = SignalProcessor(artifact.threshold).process_many(prediction, model_inputs(candles))
    assert (frame["action"] == expected["action"]).all()
    assert (frame["enter_long"] == (expected["action"] == "BUY")).all()
    assert (frame["exit_long"] == (expected["action"] == "SELL")).all()
    assert (frame["held_by"] == expected["held_by"]).all()
    assert frame["enter_long"].sum() > 0
    assert (frame["held_by"] != "").sum() > 0  # the filters did something on real data
    assert not (frame["enter_long"] & frame["exit_long"]).any()
    assert frame["enter_long"].iloc[:199].sum() == 0  # warm-up rows have no prediction
    assert {"confidence", "volume_ratio", "sma_200", "ema_20", "ema_50"} <= set(frame.columns)


def test_threshold_and_filter_switches(models: Path, candles: pd.DataFrame) -> None:
    default = compute_signals(AiAdaptiveStrategy(models_dir=models), candles)
    loose = compute_signals(
        AiAdaptiveStrategy(
            models_dir=models,
            volume_filter=False,
            volatility_filter=False,
            trend_filter=False,
            risk_filter=False,
        ),
        candles,
    )
    assert (loose["held_by"] == "").all()
    assert loose["enter_long"].sum() > default["enter_long"].sum()
    strict = compute_signals(AiAdaptiveStrategy(models_dir=models, threshold=0.9), candles)
    assert strict["enter_long"].sum() < default["enter_long"].sum()
    assert (strict["confidence"][strict["enter_long"]] > 0.9).all()


def test_model_resolution(models: Path, artifact: ModelArtifact, candles: pd.DataFrame) -> None:
    by_factory = create_strategy("ai_adaptive", models_dir=models)
    assert isinstance(by_factory, AiAdaptiveStrategy)
    assert by_factory.model_for(candles).version == artifact.version
    bare = candles.copy()
    bare.attrs = {}
    by_version = AiAdaptiveStrategy(model=artifact.version, models_dir=models)
    assert by_version.model_for(bare).version == artifact.version
    with pytest.raises(InvalidInputError, match="needs the candles' pair and timeframe"):
        AiAdaptiveStrategy(models_dir=models).model_for(bare)
    eth = candles.copy()
    eth.attrs["pair"] = "ETH/USDT"
    with pytest.raises(ModelError, match="trained on BTC/USDT 1h, not ETH/USDT 1h"):
        by_version.model_for(eth)
    with pytest.raises(NotFoundError, match="no active model for ETH/USDT 1h"):
        AiAdaptiveStrategy(models_dir=models).model_for(eth)


def test_passes_the_lookahead_check(models: Path, candles: pd.DataFrame) -> None:
    strategy = AiAdaptiveStrategy(models_dir=models)
    window = candles.iloc[:1_200]
    report = check_lookahead(strategy, window, max_signals=6, extra_candles=4)
    assert report.signals_total > 0
    assert report.checked >= 6
    assert not report.biased, report.summary()


def test_in_sample_warning(models: Path, artifact: ModelArtifact) -> None:
    everything = load_shared_candles(BTC_FILE, rows=6_000)
    strategy = AiAdaptiveStrategy(models_dir=models)
    frames = {"BTC/USDT": everything}
    (warning,) = strategy.in_sample_warnings(frames)
    assert warning.startswith("IN-SAMPLE: BTC/USDT backtest window 2017-08-17 04:00")
    assert f"--model {artifact.version} --from 2018-02-01" in warning
    # The training data ends with the candle of 2018-01-31 02:00.
    assert strategy.in_sample_warnings(frames, start=datetime(2018, 1, 31, 2, tzinfo=UTC))
    assert strategy.in_sample_warnings(frames, start=datetime(2018, 1, 31, 3, tzinfo=UTC)) == []
    assert strategy.in_sample_warnings(frames, start=datetime(2018, 2, 1, tzinfo=UTC)) == []
    before = datetime(2017, 8, 1, tzinfo=UTC), datetime(2017, 8, 17, 3, tzinfo=UTC)
    assert strategy.in_sample_warnings(frames, *before) == []  # no candle in that window
