"""Model use cases: train (walk-forward evaluation, then the final model), list, show, activate.

Models are the installation's, not a user's: `ai_model_performance` has no owner column and
one model per pair and timeframe is active for every bot (active.json). So these operations
take no user id; who may train or activate is the caller's decision (an admin, the operator).

Training is a few steps, each a function, so that a caller can show each one as it happens
(`prepare_training`, `evaluate_model`, `final_model`, `save_model`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aurumbotx.domain.errors import InvalidInputError, NoDataError
from aurumbotx.services.context import schema_ready

if TYPE_CHECKING:
    import pandas as pd

    from aurumbotx.backtest.ml_eval import Evaluation
    from aurumbotx.config import Settings
    from aurumbotx.ml.artifact import ModelArtifact
    from aurumbotx.ml.dataset import Dataset
    from aurumbotx.ml.walkforward import TrainingConfig
    from aurumbotx.services.context import ServiceContext

MAX_NAME = 50  # ai_model_performance.model_name is VARCHAR(50)


def models_dir(settings: Settings) -> Path:
    """Where model versions live: <AURUMBOTX_HOME>/models."""
    return settings.home / "models"


@dataclass(frozen=True)
class TrainRequest:
    """What to train on and how: data, window, target, folds and the ensemble's settings."""

    data: str
    timeframe: str | None = None
    exchange: str = "binance"
    start: datetime | None = None
    end: datetime | None = None
    horizon: int = 24
    vol_window: int = 168
    scale: float = 2.0
    name: str = "ensemble"
    folds: int = 5
    gradient_boosting: str = "hist"
    fee: float = 0.001
    n_estimators: int = 100


@dataclass(frozen=True)
class PreparedTraining:
    """A training run's dataset, pair, timeframe and settings (too little data: refused)."""

    dataset: Dataset
    pair: str
    timeframe: str
    name: str
    config: TrainingConfig


@dataclass(frozen=True)
class SavedModel:
    """A saved model version, its folder, and why it is not in the database (when it is not)."""

    artifact: ModelArtifact
    path: Path
    problem: str | None = None


@dataclass(frozen=True)
class ModelSummary:
    """A model version as listed: its data, target and out-of-sample scores (fractions)."""

    version: str
    model_name: str
    pair: str | None
    timeframe: str | None
    horizon: int | None
    training_date: datetime | None
    accuracy: float | None
    f1_score: float | None
    is_active: bool


@dataclass(frozen=True)
class ModelDetails:
    """A model version's meta.json, and whether it is the active one of its pair."""

    meta: dict[str, Any]
    active: bool


@dataclass(frozen=True)
class Activation:
    """The version now active for a pair and timeframe, and the one it replaced."""

    version: str
    pair: str
    timeframe: str
    previous: str | None


def training_config(
    name: str, folds: int, gradient_boosting: str, n_estimators: int, fee: float
) -> TrainingConfig:
    """The training settings, checked."""
    from aurumbotx.ml.ensemble import GRADIENT_BOOSTING_CHOICES
    from aurumbotx.ml.walkforward import TrainingConfig

    if gradient_boosting not in GRADIENT_BOOSTING_CHOICES:
        raise InvalidInputError(
            f"--gradient-boosting must be hist or exact, not {gradient_boosting!r}"
        )
    if not name.strip() or len(name) > MAX_NAME:
        raise InvalidInputError(f"--name must be 1 to {MAX_NAME} characters")
    return TrainingConfig(
        folds=folds, gradient_boosting=gradient_boosting, n_estimators=n_estimators, fee_rate=fee
    )


def prepare_training(ctx: ServiceContext, request: TrainRequest) -> PreparedTraining:
    """Settings checked, candles loaded and windowed, features and target computed."""
    from aurumbotx.ml.dataset import build_dataset
    from aurumbotx.ml.splits import make_splits
    from aurumbotx.ml.target import TargetSpec
    from aurumbotx.services.data import load_candles

    spec = TargetSpec(horizon=request.horizon, vol_window=request.vol_window, scale=request.scale)
    config = training_config(
        request.name, request.folds, request.gradient_boosting, request.n_estimators, request.fee
    )
    loaded = load_candles(ctx.settings, [request.data], request.timeframe, request.exchange)
    ((pair, frame),) = loaded.frames.items()
    dataset = build_dataset(_window(frame, request.start, request.end), spec)
    # Refuse too little data before any fitting (the splits are cheap).
    make_splits(dataset.rows, request.horizon, config.folds, config.test_fraction)
    return PreparedTraining(dataset, pair, loaded.timeframe, request.name.strip(), config)


def _window(frame: pd.DataFrame, first: datetime | None, last: datetime | None) -> pd.DataFrame:
    if first and last and last <= first:
        raise InvalidInputError("--to must be after --from")
    index = frame.index
    i0 = int(index.searchsorted(first, side="left")) if first else 0
    i1 = int(index.searchsorted(last, side="right")) if last else len(frame)
    if i1 - i0 < 2:
        start = f"{first:%Y-%m-%d}" if first else "the start"
        end = f"{last:%Y-%m-%d}" if last else "the end"
        raise NoDataError(f"no candles between {start} and {end}")
    return frame.iloc[i0:i1]


def evaluate_model(
    prepared: PreparedTraining, on_progress: Callable[[int, str], None] | None = None
) -> Evaluation:
    """Walk-forward evaluation: out-of-sample scores and returns per fold."""
    from aurumbotx.backtest.ml_eval import evaluate

    return evaluate(
        prepared.dataset, prepared.pair, prepared.timeframe, prepared.config, on_progress
    )


def final_model(
    prepared: PreparedTraining,
    evaluation: Evaluation,
    on_stage: Callable[[str], None] | None = None,
) -> ModelArtifact:
    """The model trained on all the data, with the evaluation's scores in its meta."""
    from aurumbotx.ml.training import build_artifact
    from aurumbotx.ml.walkforward import train_final

    fitted = train_final(prepared.dataset, prepared.config, on_stage=on_stage)
    return build_artifact(
        fitted,
        prepared.dataset,
        pair=prepared.pair,
        timeframe=prepared.timeframe,
        name=prepared.name,
        config=prepared.config,
        metrics=evaluation.to_dict(),
        trained_at=datetime.now(UTC).replace(microsecond=0),
    )


def save_model(ctx: ServiceContext, artifact: ModelArtifact) -> SavedModel:
    """Save the version in the models directory and add its ai_model_performance row."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.models import ModelRepository
    from aurumbotx.ml.artifact import save_artifact

    path = save_artifact(artifact, models_dir(ctx.settings))
    if not schema_ready(ctx, strict=False):
        problem = "not recorded in the database: run `aurumbotx db upgrade` first"
        return SavedModel(artifact, path, problem)
    with session_scope(ctx.session_factory) as session:
        ModelRepository(session).add(artifact, path)
    return SavedModel(artifact, path)


def list_models(
    ctx: ServiceContext, pair: str | None = None, timeframe: str | None = None
) -> list[ModelSummary]:
    """Trained models, newest first, optionally of one pair and/or timeframe."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.models import ModelRepository

    schema_ready(ctx, strict=True)
    with session_scope(ctx.session_factory) as session:
        return [
            ModelSummary(
                version=row.version,
                model_name=row.model_name,
                pair=row.pair,
                timeframe=row.timeframe,
                horizon=row.horizon,
                training_date=row.training_date,
                accuracy=_float(row.accuracy),
                f1_score=_float(row.f1_score),
                is_active=bool(row.is_active),
            )
            for row in ModelRepository(session).list(pair, timeframe)
        ]


def show_model(ctx: ServiceContext, version: str) -> ModelDetails:
    """A version's meta.json (read without unpickling) and whether it is active."""
    from aurumbotx.ml.artifact import read_meta
    from aurumbotx.ml.registry import read_active

    directory = models_dir(ctx.settings)
    meta = read_meta(directory, version)
    active = read_active(directory).get(f"{meta['pair']} {meta['timeframe']}") == version
    return ModelDetails(meta, active)


def activate_model(ctx: ServiceContext, version: str) -> Activation:
    """Make a version the active one of its pair and timeframe (database and active.json)."""
    from aurumbotx.db.repositories.models import activate_model as activate

    schema_ready(ctx, strict=True)
    row, previous = activate(ctx.session_factory, models_dir(ctx.settings), version)
    return Activation(version, str(row.pair), str(row.timeframe), previous)


def _float(value: object) -> float | None:
    return float(str(value)) if value is not None else None
