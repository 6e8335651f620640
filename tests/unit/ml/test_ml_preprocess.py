"""Preprocessing: relative price levels, a scaler fitted on training rows only, warm-up refused."""

import numpy as np
import pandas as pd
import pytest

from aurumbotx.domain.errors import ModelError
from aurumbotx.features import FEATURE_COLUMNS, WARMUP_CANDLES
from aurumbotx.ml.preprocess import (
    RELATIVE_LEVELS,
    RELATIVE_SPREADS,
    FeaturePreprocessor,
    complete_rows,
    model_inputs,
    relative_features,
)
from aurumbotx.testing.candles import make_random_candles


@pytest.fixture(scope="module")
def inputs() -> pd.DataFrame:
    return model_inputs(make_random_candles(1_200, seed=3))


def test_inputs_are_the_features_plus_the_close(inputs: pd.DataFrame) -> None:
    assert list(inputs.columns) == [*FEATURE_COLUMNS, "close"]
    mask = complete_rows(inputs)
    assert not mask[:WARMUP_CANDLES].any()
    assert mask[WARMUP_CANDLES:].all()


def test_price_levels_become_relative_to_the_close(inputs: pd.DataFrame) -> None:
    rows = inputs.iloc[WARMUP_CANDLES:]
    relative = relative_features(rows)
    close = rows["close"].to_numpy()
    for name in RELATIVE_LEVELS:
        np.testing.assert_allclose(relative[name], rows[name].to_numpy() / close - 1.0)
    for name in RELATIVE_SPREADS:
        np.testing.assert_allclose(relative[name], rows[name].to_numpy() / close)
    np.testing.assert_array_equal(relative["rsi_14"], rows["rsi_14"])
    # Same candles at 1000 x the price: identical relative features (to rounding).
    scaled = rows.copy()
    for name in (*RELATIVE_LEVELS, *RELATIVE_SPREADS, "close"):
        scaled[name] = scaled[name] * 1000.0
    np.testing.assert_allclose(relative_features(scaled), relative, rtol=1e-9, atol=1e-12)


def test_scaler_is_fitted_on_the_given_rows_only(inputs: pd.DataFrame) -> None:
    train, test = inputs.iloc[WARMUP_CANDLES:800], inputs.iloc[800:].copy()
    fitted = FeaturePreprocessor().fit(train)
    scaled = fitted.transform(train)
    assert scaled.shape == (len(train), len(FEATURE_COLUMNS))
    np.testing.assert_allclose(scaled.mean(axis=0), 0.0, atol=1e-9)
    mean_before = fitted.scaler_.mean_.copy()
    # Changing the later rows changes nothing that was fitted.
    test[list(FEATURE_COLUMNS)] = test[list(FEATURE_COLUMNS)] * 7.0
    fitted.transform(test)
    np.testing.assert_array_equal(fitted.scaler_.mean_, mean_before)
    assert fitted.n_rows_fitted_ == len(train)
    assert list(fitted.get_feature_names_out()) == list(FEATURE_COLUMNS)


def test_warm_up_rows_and_missing_columns_are_refused(inputs: pd.DataFrame) -> None:
    with pytest.raises(ModelError, match="warm-up rows must be dropped"):
        FeaturePreprocessor().fit(inputs)
    fitted = FeaturePreprocessor().fit(inputs.iloc[WARMUP_CANDLES:])
    with pytest.raises(ModelError, match="missing or infinite"):
        fitted.transform(inputs.iloc[:300])
    with pytest.raises(ModelError, match="lack column"):
        fitted.transform(inputs.drop(columns=["close"]))
    with pytest.raises(ModelError, match="not fitted"):
        FeaturePreprocessor().transform(inputs.iloc[WARMUP_CANDLES:])
