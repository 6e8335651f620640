"""ModelEnsemble: the spec's members, hyperparameters and weights; weighted predictions."""

import json

import numpy as np
import pytest
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from xgboost import XGBRegressor

from aurumbotx.domain.errors import InvalidInputError, ModelError
from aurumbotx.ml.ensemble import DEFAULT_WEIGHTS, MEMBERS, ModelEnsemble, check_weights


def make_xy(rows: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 5))
    return x, np.tanh(x[:, 0] - 0.5 * x[:, 1]) + 0.1 * rng.normal(size=rows)


def test_defaults_are_the_spec() -> None:
    ensemble = ModelEnsemble()
    assert ensemble.weights == {"random_forest": 0.4, "gradient_boosting": 0.4, "xgboost": 0.2}
    rf, gb, xgb = (ensemble.models[name] for name in MEMBERS)
    assert isinstance(rf, RandomForestRegressor)
    assert (rf.n_estimators, rf.max_depth, rf.random_state, rf.n_jobs) == (100, 10, 42, 2)
    assert isinstance(gb, HistGradientBoostingRegressor)
    assert (gb.max_iter, gb.learning_rate, gb.max_depth, gb.early_stopping) == (100, 0.1, 6, False)
    assert isinstance(xgb, XGBRegressor)
    params = xgb.get_params()
    assert (params["n_estimators"], params["learning_rate"], params["max_depth"]) == (100, 0.1, 6)
    assert (params["tree_method"], params["n_jobs"]) == ("hist", 2)
    exact = ModelEnsemble(gradient_boosting="exact").models["gradient_boosting"]
    assert isinstance(exact, GradientBoostingRegressor)
    assert (exact.n_estimators, exact.learning_rate, exact.max_depth) == (100, 0.1, 6)


@pytest.mark.parametrize("boosting", ["hist", "exact"])
def test_prediction_is_the_weighted_mean_of_the_members(boosting: str) -> None:
    x, y = make_xy()
    ensemble = ModelEnsemble(gradient_boosting=boosting, n_estimators=10).fit(x, y)
    members = ensemble.member_predictions(x[:50])
    assert set(members) == set(MEMBERS)
    expected = sum(DEFAULT_WEIGHTS[name] * members[name] for name in MEMBERS)
    np.testing.assert_allclose(ensemble.predict(x[:50]), expected, rtol=1e-12)
    # The members learn something: the fit explains most of the variance in sample.
    assert np.corrcoef(ensemble.predict(x), y)[0, 1] > 0.8
    other = ensemble.with_weights({"random_forest": 0.0, "gradient_boosting": 0.0, "xgboost": 1.0})
    np.testing.assert_array_equal(other.predict(x[:50]), members["xgboost"])
    assert ensemble.weights == DEFAULT_WEIGHTS  # the original keeps its weights


def test_fitting_is_deterministic() -> None:
    x, y = make_xy()
    first = ModelEnsemble(n_estimators=8).fit(x, y).predict(x)
    second = ModelEnsemble(n_estimators=8).fit(x, y).predict(x)
    # Seeded; multi-threaded histogram sums may differ in the last bit, nothing more.
    np.testing.assert_allclose(first, second, rtol=1e-12, atol=1e-15)


def test_importances_and_hyperparameters() -> None:
    x, y = make_xy()
    ensemble = ModelEnsemble(n_estimators=10).fit(x, y)
    importances = ensemble.feature_importances()
    assert set(importances) == {"random_forest", "xgboost"}  # hist GB has none built in
    for values in importances.values():
        assert values.sum() == pytest.approx(1.0)
        assert int(np.argmax(values)) == 0  # the target is mostly feature 0
    hyper = ensemble.hyperparameters()
    json.dumps(hyper)
    assert hyper["weights"] == DEFAULT_WEIGHTS
    assert hyper["members"]["random_forest"]["params"]["max_depth"] == 10
    assert hyper["members"]["gradient_boosting"]["class"] == "HistGradientBoostingRegressor"


def test_bad_input_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="sum to 1"):
        check_weights({"random_forest": 0.5, "gradient_boosting": 0.5, "xgboost": 0.5})
    with pytest.raises(InvalidInputError, match="exactly"):
        check_weights({"random_forest": 1.0})
    with pytest.raises(InvalidInputError, match=">= 0"):
        check_weights({"random_forest": -0.5, "gradient_boosting": 1.0, "xgboost": 0.5})
    with pytest.raises(InvalidInputError, match="hist, exact"):
        ModelEnsemble(gradient_boosting="fast")
    with pytest.raises(InvalidInputError):
        ModelEnsemble(n_estimators=0)
    with pytest.raises(ModelError, match="not fitted"):
        ModelEnsemble().predict(np.zeros((2, 5)))
    x, y = make_xy(10)
    y[3] = np.nan
    with pytest.raises(ModelError, match="finite"):
        ModelEnsemble(n_estimators=2).fit(x, y)
