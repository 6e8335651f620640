"""Tiny trained models for tests: the real training API, a handful of trees, seconds to fit."""

from __future__ import annotations

import copy
import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from aurumbotx.ml.artifact import ModelArtifact, save_artifact
from aurumbotx.ml.dataset import build_dataset
from aurumbotx.ml.registry import set_active
from aurumbotx.ml.target import TargetSpec
from aurumbotx.ml.training import build_artifact
from aurumbotx.ml.walkforward import TrainingConfig, train_final
from aurumbotx.testing.market import load_shared_candles

TRAINED_AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
BTC_FILE = "binance_BTC-USDT_1h"
BTC_TRAINING_ROWS = 4_000  # 2017-08-17 .. 2018-01-31; rows 4190..7468 follow without a gap


def make_trained_artifact(
    candles: pd.DataFrame,
    *,
    pair: str | None = None,
    timeframe: str | None = None,
    n_estimators: int = 6,
    gradient_boosting: str = "hist",
    horizon: int = 12,
    vol_window: int = 100,
    trained_at: datetime = TRAINED_AT,
) -> ModelArtifact:
    """A final model trained on `candles` (pair and timeframe default to candles.attrs)."""
    dataset = build_dataset(candles, TargetSpec(horizon=horizon, vol_window=vol_window))
    config = TrainingConfig(
        folds=2, n_estimators=n_estimators, gradient_boosting=gradient_boosting, n_jobs=1
    )
    fitted = train_final(dataset, config)
    return build_artifact(
        fitted,
        dataset,
        pair=pair or str(candles.attrs["pair"]),
        timeframe=timeframe or str(candles.attrs["timeframe"]),
        name="test",
        config=config,
        metrics={"overall": {}, "folds": []},
        trained_at=trained_at,
    )


def save_trained_model(
    candles: pd.DataFrame, models_dir: Path, *, activate: bool = True, **options: Any
) -> ModelArtifact:
    """`make_trained_artifact` saved under `models_dir` (and made active when `activate`)."""
    artifact = make_trained_artifact(candles, **options)
    save_artifact(artifact, models_dir)
    if activate:
        set_active(models_dir, artifact.pair, artifact.timeframe, artifact.version)
    return artifact


def btc_model() -> ModelArtifact:
    """A tiny model of the first 4,000 shared BTC/USDT 1h candles, fitted once per process.

    Each call returns a fresh artifact object (its own meta, no path) around the shared fitted
    preprocessor and ensemble, which tests must not refit. Skips without the shared data.
    """
    cached = _btc_model()
    return ModelArtifact(copy.deepcopy(cached.meta), cached.preprocessor, cached.ensemble)


@functools.cache
def _btc_model() -> ModelArtifact:
    return make_trained_artifact(load_shared_candles(BTC_FILE, rows=BTC_TRAINING_ROWS))
