"""Machine learning: target, preprocessing, the spec's ensemble, walk-forward evaluation,
model artifacts and the file registry of active models. See docs/ml.md.

    dataset = build_dataset(candles, TargetSpec(horizon=24))
    result = walk_forward(dataset, TrainingConfig(folds=5))      # out-of-sample scores
    fitted = train_final(dataset, TrainingConfig())               # the model to ship
    model = resolve_model("active", "BTC/USDT", "1h", models_dir)  # in a strategy
    model.predict(candles)                                        # needs >= 200 candles

Nothing here imports the backtester, the database or the CLI: trading the out-of-sample
signals through the backtester lives in `aurumbotx.backtest.ml_eval`.
"""

from aurumbotx.ml.artifact import ModelArtifact, load_artifact, save_artifact
from aurumbotx.ml.dataset import Dataset, build_dataset
from aurumbotx.ml.ensemble import DEFAULT_WEIGHTS, MEMBERS, ModelEnsemble
from aurumbotx.ml.preprocess import FeaturePreprocessor, model_inputs
from aurumbotx.ml.registry import resolve_model
from aurumbotx.ml.target import TargetSpec, make_target
from aurumbotx.ml.walkforward import TrainingConfig, train_final, walk_forward

__all__ = [
    "DEFAULT_WEIGHTS",
    "MEMBERS",
    "Dataset",
    "FeaturePreprocessor",
    "ModelArtifact",
    "ModelEnsemble",
    "TargetSpec",
    "TrainingConfig",
    "build_dataset",
    "load_artifact",
    "make_target",
    "model_inputs",
    "resolve_model",
    "save_artifact",
    "train_final",
    "walk_forward",
]
