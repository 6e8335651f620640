"""ModelEnsemble: the spec's three regressors and their weighted mean.

Members and defaults (the spec's hyperparameters and weights):

=================  ========================================================  ======
member             estimator                                                 weight
=================  ========================================================  ======
random_forest      RandomForestRegressor(n_estimators=100, max_depth=10,     0.4
                   random_state=42, n_jobs=2)
gradient_boosting  ``hist`` (default): HistGradientBoostingRegressor(         0.4
                   max_iter=100, learning_rate=0.1, max_depth=6,
                   early_stopping=False, random_state=42);
                   ``exact``: the spec's GradientBoostingRegressor(
                   n_estimators=100, learning_rate=0.1, max_depth=6,
                   random_state=42)
xgboost            XGBRegressor(n_estimators=100, learning_rate=0.1,         0.2
                   max_depth=6, tree_method="hist", n_jobs=2, random_state=42)
=================  ========================================================  ======

``hist`` is the default because the exact GradientBoostingRegressor takes about a minute on
50,000 rows on a 2-core machine, which alone would blow a walk-forward evaluation's 5-minute
budget (bench/bench_training.py measures both). HistGradientBoosting bins each feature into
255 quantile bins, like XGBoost's ``hist``; its early stopping is switched off so that it
always grows the spec's 100 trees. ``n_estimators`` scales all three members at once (tests
use a handful of trees). Two cores, because that is the machine's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from xgboost import XGBRegressor

from aurumbotx.domain.errors import InvalidInputError, ModelError

GradientBoosting = Literal["hist", "exact"]
MEMBERS: tuple[str, ...] = ("random_forest", "gradient_boosting", "xgboost")
DEFAULT_WEIGHTS: dict[str, float] = {
    "random_forest": 0.4,
    "gradient_boosting": 0.4,
    "xgboost": 0.2,
}
GRADIENT_BOOSTING_CHOICES: tuple[str, ...] = ("hist", "exact")
DEFAULT_N_ESTIMATORS = 100
DEFAULT_N_JOBS = 2
RANDOM_STATE = 42


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The weights as a dict over MEMBERS: each >= 0, summing to 1 (within 1e-9)."""
    if set(weights) != set(MEMBERS):
        raise InvalidInputError(f"weights must name exactly {', '.join(MEMBERS)}")
    values = {name: float(weights[name]) for name in MEMBERS}
    if any(not np.isfinite(v) or v < 0 for v in values.values()):
        raise InvalidInputError(f"weights must be finite and >= 0, got {values}")
    if abs(sum(values.values()) - 1.0) > 1e-9:
        raise InvalidInputError(f"weights must sum to 1, got {sum(values.values())}")
    return values


def make_members(
    gradient_boosting: str = "hist",
    n_estimators: int = DEFAULT_N_ESTIMATORS,
    n_jobs: int = DEFAULT_N_JOBS,
) -> dict[str, Any]:
    """Fresh, unfitted member estimators (see the module docstring)."""
    if gradient_boosting not in GRADIENT_BOOSTING_CHOICES:
        raise InvalidInputError(
            f"gradient_boosting must be one of {', '.join(GRADIENT_BOOSTING_CHOICES)}, "
            f"got {gradient_boosting!r}"
        )
    if n_estimators < 1:
        raise InvalidInputError(f"n_estimators must be >= 1, got {n_estimators}")
    boosting: Any
    if gradient_boosting == "hist":
        boosting = HistGradientBoostingRegressor(
            max_iter=n_estimators,
            learning_rate=0.1,
            max_depth=6,
            early_stopping=False,
            random_state=RANDOM_STATE,
        )
    else:
        boosting = GradientBoostingRegressor(
            n_estimators=n_estimators, learning_rate=0.1, max_depth=6, random_state=RANDOM_STATE
        )
    return {
        "random_forest": RandomForestRegressor(
            n_estimators=n_estimators, max_depth=10, random_state=RANDOM_STATE, n_jobs=n_jobs
        ),
        "gradient_boosting": boosting,
        "xgboost": XGBRegressor(
            n_estimators=n_estimators,
            learning_rate=0.1,
            max_depth=6,
            tree_method="hist",
            n_jobs=n_jobs,
            random_state=RANDOM_STATE,
        ),
    }


class ModelEnsemble:
    """Three regressors fitted on the same rows; the prediction is their weighted mean."""

    def __init__(
        self,
        weights: Mapping[str, float] | None = None,
        gradient_boosting: str = "hist",
        n_estimators: int = DEFAULT_N_ESTIMATORS,
        n_jobs: int = DEFAULT_N_JOBS,
    ) -> None:
        self.weights = check_weights(weights if weights is not None else DEFAULT_WEIGHTS)
        self.gradient_boosting = gradient_boosting
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        self.models: dict[str, Any] = make_members(gradient_boosting, n_estimators, n_jobs)
        self.fitted = False

    def fit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        on_member: Any = None,
    ) -> ModelEnsemble:
        """Fit every member on (x, y); `on_member(name)` is called before each one."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if len(x) != len(y) or len(x) < 2:
            raise ModelError(f"cannot fit on {len(x)} rows and {len(y)} targets")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ModelError("training rows and targets must be finite")
        for name in MEMBERS:
            if on_member is not None:
                on_member(name)
            self.models[name].fit(x, y)
        self.fitted = True
        return self

    def member_predictions(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Each member's prediction for the rows of `x`."""
        if not self.fitted:
            raise ModelError("the ensemble is not fitted")
        x = np.asarray(x, dtype=np.float64)
        return {
            name: np.asarray(self.models[name].predict(x), dtype=np.float64) for name in MEMBERS
        }

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The weighted mean of the members' predictions."""
        return combine(self.member_predictions(x), self.weights)

    def with_weights(self, weights: Mapping[str, float]) -> ModelEnsemble:
        """The same fitted members under other weights (a shallow copy)."""
        copy = object.__new__(ModelEnsemble)
        copy.__dict__.update(self.__dict__)
        copy.weights = check_weights(weights)
        return copy

    def feature_importances(self) -> dict[str, np.ndarray]:
        """Impurity/gain importances of the members that have them (normalised to sum 1)."""
        out = {}
        for name in MEMBERS:
            values = getattr(self.models[name], "feature_importances_", None)
            if values is None:
                continue  # HistGradientBoosting has no built-in importances
            array = np.asarray(values, dtype=np.float64)
            total = array.sum()
            if total > 0:
                out[name] = array / total
        return out

    def hyperparameters(self) -> dict[str, Any]:
        """Every member's class and parameters, and the weights: JSON-ready."""
        members = {}
        for name in MEMBERS:
            model = self.models[name]
            params = {k: _jsonable(v) for k, v in sorted(model.get_params().items())}
            members[name] = {"class": type(model).__name__, "params": params}
        return {
            "members": members,
            "weights": dict(self.weights),
            "gradient_boosting": self.gradient_boosting,
        }


def combine(predictions: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """sum of weight x member prediction."""
    total = np.zeros_like(next(iter(predictions.values())), dtype=np.float64)
    for name in MEMBERS:
        total += weights[name] * predictions[name]
    return total


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else str(value)
    if isinstance(value, np.integer | np.floating):
        return _jsonable(value.item())
    return repr(value)
