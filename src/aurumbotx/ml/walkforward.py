"""Walk-forward evaluation and the final fit: fit, tune, predict, score.

For each fold of `make_splits` (expanding window, purged validation tail, purged test window):

1. the preprocessing (relative levels + StandardScaler) is fitted on the fold's fit rows only;
2. the three members are fitted on the same rows;
3. weights and threshold are tuned on the validation tail (`aurumbotx.ml.tuning`);
4. the members fitted in 1-2 predict the test window. They are NOT refitted on fit +
   validation rows: the tail that chose the weights and the threshold never trained the
   members that use them, and every fold costs one fit, not two.

Only fit and validation rows' targets and forward returns are read before step 4; the test
window's labels are read by the scoring alone (a test poisons them with NaN and checks that
nothing upstream changes). The final model (`train_final`) uses the same steps on all the
data, a validation tail of the same size tunes it, then the preprocessing and the members are
refitted on every labelled row with the tuned weights and threshold.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from aurumbotx.domain.errors import DataError
from aurumbotx.ml.dataset import Dataset
from aurumbotx.ml.ensemble import DEFAULT_N_ESTIMATORS, DEFAULT_N_JOBS, ModelEnsemble, combine
from aurumbotx.ml.preprocess import FeaturePreprocessor
from aurumbotx.ml.scoring import directional_accuracy, oos_scores
from aurumbotx.ml.splits import (
    MIN_FIT_ROWS,
    MIN_VALIDATION_ROWS,
    FoldSplit,
    check_split,
    make_splits,
    training_split,
)
from aurumbotx.ml.tuning import THRESHOLD_GRID, WEIGHT_STEP, tune_threshold, tune_weights

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class TrainingConfig:
    """How to split, fit and tune (the target is the Dataset's)."""

    folds: int = 5
    test_fraction: float = 0.5
    validation_fraction: float = 0.2
    embargo: int = 0
    gradient_boosting: str = "hist"
    n_estimators: int = DEFAULT_N_ESTIMATORS
    n_jobs: int = DEFAULT_N_JOBS
    fee_rate: float = 0.001
    threshold_grid: tuple[float, ...] = THRESHOLD_GRID
    weight_step: float = WEIGHT_STEP

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "folds": self.folds,
            "test_fraction": self.test_fraction,
            "validation_fraction": self.validation_fraction,
            "embargo": self.embargo,
            "gradient_boosting": self.gradient_boosting,
            "n_estimators": self.n_estimators,
            "fee_rate": self.fee_rate,
            "threshold_grid": list(self.threshold_grid),
            "weight_step": self.weight_step,
        }


@dataclass
class FittedModel:
    """Fitted preprocessing and members under tuned weights, the tuned threshold and how."""

    preprocessor: FeaturePreprocessor
    ensemble: ModelEnsemble
    threshold: float
    validation: dict[str, Any]

    def predict_rows(self, dataset: Dataset, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Each member's prediction for the given rows of `dataset`."""
        matrix = self.preprocessor.transform(dataset.inputs.iloc[rows])
        return self.ensemble.member_predictions(matrix)


@dataclass
class FoldResult:
    """One fold: its split, tuned model, test predictions and out-of-sample scores."""

    split: FoldSplit
    model: FittedModel
    index: pd.DatetimeIndex
    prediction: np.ndarray
    members: dict[str, np.ndarray]
    target: np.ndarray
    forward_return: np.ndarray
    scores: dict[str, Any]
    seconds: float
    trading: dict[str, Any] = field(default_factory=dict)


@dataclass
class WalkForwardResult:
    """Every fold and the scores of all test windows pooled."""

    folds: list[FoldResult]
    overall: dict[str, Any]
    config: TrainingConfig
    seconds: float


def next_log_returns(close: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """ln(c[t+1] / c[t]) for each row t (0 for the very last candle)."""
    following = np.minimum(rows + 1, len(close) - 1)
    return np.log(close[following] / close[rows])


def fit_and_tune(
    dataset: Dataset,
    fit_rows: np.ndarray,
    validation_rows: np.ndarray,
    config: TrainingConfig,
    on_stage: Callable[[str], None] | None = None,
) -> FittedModel:
    """Fit preprocessing and members on `fit_rows`, tune weights and threshold on the tail."""
    stage = on_stage or (lambda _text: None)
    stage("scaling")
    preprocessor = FeaturePreprocessor().fit(dataset.inputs.iloc[fit_rows])
    ensemble = ModelEnsemble(
        gradient_boosting=config.gradient_boosting,
        n_estimators=config.n_estimators,
        n_jobs=config.n_jobs,
    )
    matrix = preprocessor.transform(dataset.inputs.iloc[fit_rows])
    ensemble.fit(matrix, dataset.target[fit_rows], on_member=lambda name: stage(f"fitting {name}"))
    stage("tuning weights and threshold")
    members = ensemble.member_predictions(
        preprocessor.transform(dataset.inputs.iloc[validation_rows])
    )
    target = dataset.target[validation_rows]
    weights, mse = tune_weights(members, target, config.weight_step)
    prediction = combine(members, weights)
    close = dataset.candles["close"].to_numpy(np.float64)
    threshold, log_return = tune_threshold(
        prediction, next_log_returns(close, validation_rows), config.fee_rate, config.threshold_grid
    )
    validation = {
        "rows": len(validation_rows),
        "first": dataset.index[validation_rows[0]].isoformat(),
        "last": dataset.index[validation_rows[-1]].isoformat(),
        "mse": mse,
        "directional_accuracy": directional_accuracy(
            prediction, dataset.forward_return[validation_rows]
        ),
        "after_fee_return": math.expm1(log_return),
        "weights": weights,
        "threshold": threshold,
    }
    return FittedModel(preprocessor, ensemble.with_weights(weights), threshold, validation)


def run_fold(
    dataset: Dataset, split: FoldSplit, config: TrainingConfig, progress: Progress | None = None
) -> FoldResult:
    """Fit and tune on the fold's training window, predict and score its test window."""
    check_split(split)
    started = time.perf_counter()
    model = fit_and_tune(
        dataset,
        split.fit,
        split.validation,
        config,
        on_stage=(lambda text: progress(split.number, text)) if progress else None,
    )
    members = model.predict_rows(dataset, split.test)
    prediction = combine(members, model.ensemble.weights)
    # The only reads of the test window's labels: scoring, after everything was fitted.
    target = dataset.target[split.test]
    forward = dataset.forward_return[split.test]
    return FoldResult(
        split=split,
        model=model,
        index=dataset.index[split.test],
        prediction=prediction,
        members=members,
        target=target,
        forward_return=forward,
        scores=oos_scores(prediction, target, forward, model.threshold),
        seconds=time.perf_counter() - started,
    )


def walk_forward(
    dataset: Dataset,
    config: TrainingConfig,
    progress: Progress | None = None,
    on_fold: Callable[[FoldResult], None] | None = None,
) -> WalkForwardResult:
    """Every fold of the walk-forward evaluation, and the pooled out-of-sample scores.

    `on_fold` sees each fold as soon as it is fitted (the backtest of its test window).
    """
    started = time.perf_counter()
    splits = make_splits(
        dataset.rows,
        dataset.spec.horizon,
        folds=config.folds,
        test_fraction=config.test_fraction,
        validation_fraction=config.validation_fraction,
        embargo=config.embargo,
    )
    folds = []
    for split in splits:
        fold = run_fold(dataset, split, config, progress)
        if on_fold is not None:
            on_fold(fold)
        folds.append(fold)
        if progress:
            progress(split.number, "done")
    return WalkForwardResult(folds, pooled_scores(folds), config, time.perf_counter() - started)


def pooled_scores(folds: list[FoldResult]) -> dict[str, Any]:
    """The out-of-sample scores of all test windows together (each row with its fold's
    threshold)."""
    thresholds = np.concatenate([np.full(len(f.prediction), f.model.threshold) for f in folds])
    return oos_scores(
        np.concatenate([f.prediction for f in folds]),
        np.concatenate([f.target for f in folds]),
        np.concatenate([f.forward_return for f in folds]),
        thresholds,
    )


def train_final(
    dataset: Dataset, config: TrainingConfig, on_stage: Callable[[str], None] | None = None
) -> FittedModel:
    """Tune on a purged validation tail of all the data, then refit on every labelled row."""
    rows = dataset.rows
    gap = dataset.spec.horizon + config.embargo
    fit, validation = training_split(rows, int(rows[-1]) + gap + 1, gap, config.validation_fraction)
    if len(fit) < MIN_FIT_ROWS or len(validation) < MIN_VALIDATION_ROWS:
        raise DataError(
            f"not enough data to train: {len(rows)} labelled rows give {len(fit)} rows to fit "
            f"and {len(validation)} to validate, need {MIN_FIT_ROWS} and {MIN_VALIDATION_ROWS}"
        )
    check_split(FoldSplit(0, fit, validation, np.array([int(rows[-1]) + gap + 1]), gap))
    tuned = fit_and_tune(dataset, fit, validation, config, on_stage)
    stage = on_stage or (lambda _text: None)
    stage("refitting on all the data")
    preprocessor = FeaturePreprocessor().fit(dataset.inputs.iloc[rows])
    ensemble = ModelEnsemble(
        weights=tuned.ensemble.weights,
        gradient_boosting=config.gradient_boosting,
        n_estimators=config.n_estimators,
        n_jobs=config.n_jobs,
    )
    ensemble.fit(
        preprocessor.transform(dataset.inputs.iloc[rows]),
        dataset.target[rows],
        on_member=lambda name: stage(f"refitting {name}"),
    )
    return FittedModel(preprocessor, ensemble, tuned.threshold, tuned.validation)
