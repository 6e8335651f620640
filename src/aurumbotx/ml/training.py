"""From a fitted model to an artifact: metadata, hyperparameters, feature importances."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from aurumbotx.features import FEATURE_COLUMNS, min_history
from aurumbotx.ml.artifact import ARTIFACT_FORMAT, ModelArtifact, library_versions, make_version
from aurumbotx.ml.dataset import Dataset, candles_sha256
from aurumbotx.ml.ensemble import ModelEnsemble
from aurumbotx.ml.target import TargetSpec
from aurumbotx.ml.walkforward import FittedModel, TrainingConfig

TARGET_DEFINITION = (
    "clip(ln(close[t+H] / close[t]) / (std of the vol_window 1-candle log returns ending at t "
    "* sqrt(H)) / scale, -1, 1)"
)


def feature_importance(ensemble: ModelEnsemble) -> dict[str, float]:
    """Per feature, the mean of the normalised importances of the members that have them."""
    found = ensemble.feature_importances()
    if not found:
        return {}
    mean = np.mean(np.vstack(list(found.values())), axis=0)
    return {name: float(value) for name, value in zip(FEATURE_COLUMNS, mean, strict=True)}


def hyperparameters(
    fitted: FittedModel, spec: TargetSpec, config: TrainingConfig
) -> dict[str, Any]:
    """Members, weights, threshold, target definition and training settings (JSON-ready)."""
    return {
        **fitted.ensemble.hyperparameters(),
        "threshold": fitted.threshold,
        "target": spec.to_dict(),
        "training": config.to_dict(),
    }


def build_artifact(
    fitted: FittedModel,
    dataset: Dataset,
    *,
    pair: str,
    timeframe: str,
    name: str,
    config: TrainingConfig,
    metrics: dict[str, Any],
    trained_at: datetime,
) -> ModelArtifact:
    """The artifact of a final model, with every field of meta.json filled in."""
    candles = dataset.candles
    data_hash = candles_sha256(candles)
    spec = dataset.spec
    fingerprint = f"{data_hash}|{pair}|{timeframe}|{name}|{spec.to_dict()}|{config.to_dict()}"
    meta: dict[str, Any] = {
        "format": ARTIFACT_FORMAT,
        "version": make_version(trained_at, fingerprint),
        "model_name": name,
        "pair": pair,
        "timeframe": timeframe,
        "trained_at": trained_at.isoformat(),
        "features": list(FEATURE_COLUMNS),
        "min_history": min_history(),
        "target": {**spec.to_dict(), "definition": TARGET_DEFINITION},
        "weights": dict(fitted.ensemble.weights),
        "threshold": fitted.threshold,
        "hyperparameters": hyperparameters(fitted, spec, config),
        "training_data": {
            "first": candles.index[0].isoformat(),
            "last": candles.index[-1].isoformat(),
            "candles": len(candles),
            "labelled_rows": int(dataset.labelled.sum()),
            "sha256": data_hash,
        },
        "libraries": library_versions(),
        "validation": fitted.validation,
        "walk_forward": metrics,
        "feature_importance": feature_importance(fitted.ensemble),
    }
    return ModelArtifact(meta, fitted.preprocessor, fitted.ensemble)
