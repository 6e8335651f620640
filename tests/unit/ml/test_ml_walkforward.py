"""Walk-forward: no leak from the test window into fitting or tuning, and leakage canaries."""

import numpy as np
import pandas as pd
import pytest

from aurumbotx.domain.errors import ModelError
from aurumbotx.ml.dataset import Dataset, build_dataset, candles_sha256
from aurumbotx.ml.scoring import leakage_warning
from aurumbotx.ml.splits import FoldSplit, make_splits
from aurumbotx.ml.target import TargetSpec
from aurumbotx.ml.tuning import THRESHOLD_GRID, simplex_grid
from aurumbotx.ml.walkforward import TrainingConfig, run_fold, train_final, walk_forward
from aurumbotx.testing.market import load_shared_candles

CONFIG = TrainingConfig(folds=2, n_estimators=6)
SPEC = TargetSpec(horizon=12, vol_window=100)


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_shared_candles("binance_BTC-USDT_1h", rows=6_000)


def copy_dataset(dataset: Dataset) -> Dataset:
    return Dataset(
        candles=dataset.candles,
        inputs=dataset.inputs.copy(),
        target=dataset.target.copy(),
        forward_return=dataset.forward_return.copy(),
        labelled=dataset.labelled.copy(),
        spec=dataset.spec,
    )


def test_the_test_window_is_never_read_before_scoring(candles: pd.DataFrame) -> None:
    dataset = build_dataset(candles, SPEC)
    split = make_splits(dataset.rows, SPEC.horizon, folds=2)[0]
    clean = run_fold(dataset, split, CONFIG)

    poisoned = copy_dataset(dataset)
    test = split.test
    # Labels of the test window: NaN and inf; its features: multiplied by 3.
    poisoned.target[test] = np.where(test % 2 == 0, np.nan, np.inf)
    poisoned.forward_return[test] = np.nan
    poisoned.inputs.iloc[test, :-1] = poisoned.inputs.iloc[test, :-1] * 3.0
    dirty = run_fold(poisoned, split, CONFIG)

    assert dirty.model.ensemble.weights == clean.model.ensemble.weights
    assert dirty.model.threshold == clean.model.threshold
    assert dirty.model.validation == clean.model.validation
    scaler, clean_scaler = dirty.model.preprocessor.scaler_, clean.model.preprocessor.scaler_
    np.testing.assert_array_equal(scaler.mean_, clean_scaler.mean_)
    np.testing.assert_array_equal(scaler.scale_, clean_scaler.scale_)
    # The scaler saw the fit rows and nothing else: they are centred, and only they are.
    assert clean.model.preprocessor.n_rows_fitted_ == len(split.fit)
    fit_scaled = clean.model.preprocessor.transform(dataset.inputs.iloc[split.fit])
    np.testing.assert_allclose(fit_scaled.mean(axis=0), 0.0, atol=1e-9)
    training_scaled = clean.model.preprocessor.transform(dataset.inputs.iloc[split.training])
    assert np.abs(training_scaled.mean(axis=0)).max() > 1e-3
    # The poison reached the scores only.
    assert clean.scores["directional_accuracy"] is not None
    assert dirty.scores["directional_accuracy"] is None


def test_a_split_whose_labels_overlap_the_test_window_is_refused(candles: pd.DataFrame) -> None:
    dataset = build_dataset(candles, SPEC)
    rows = dataset.rows
    leaky = FoldSplit(1, rows[:2000], rows[2012:2500], rows[2505:3000], gap=SPEC.horizon)
    with pytest.raises(ModelError, match="inside the test part"):
        run_fold(dataset, leaky, CONFIG)


def test_canary_a_shuffled_target_scores_like_a_coin(candles: pd.DataFrame) -> None:
    dataset = copy_dataset(build_dataset(candles, SPEC))
    rows = dataset.rows
    dataset.target[rows] = np.random.default_rng(7).permutation(dataset.target[rows])
    result = walk_forward(dataset, CONFIG)
    forward = np.concatenate([f.forward_return for f in result.folds])
    base_rate = max(np.mean(forward > 0), np.mean(forward < 0))
    accuracy = result.overall["directional_accuracy"]
    assert 0.44 < accuracy < base_rate + 0.03
    assert abs(result.overall["pearson"]) < 0.08
    assert leakage_warning(result.overall) is None


def test_canary_a_feature_built_from_the_future_is_flagged(candles: pd.DataFrame) -> None:
    dataset = copy_dataset(build_dataset(candles, SPEC))
    # rsi_14 replaced by the label itself: the kind of bug a lookahead would be.
    dataset.inputs["rsi_14"] = np.nan_to_num(dataset.target) * 50.0 + 50.0
    result = walk_forward(dataset, CONFIG)
    assert result.overall["directional_accuracy"] > 0.9
    warning = leakage_warning(result.overall)
    assert warning is not None
    assert "lookahead" in warning


def test_final_model_is_tuned_then_refitted_on_every_labelled_row(candles: pd.DataFrame) -> None:
    dataset = build_dataset(candles.iloc[:3_000], SPEC)
    fitted = train_final(dataset, CONFIG)
    assert fitted.preprocessor.n_rows_fitted_ == int(dataset.labelled.sum())
    assert fitted.threshold in THRESHOLD_GRID
    assert fitted.ensemble.weights in simplex_grid()
    assert fitted.validation["rows"] == round(int(dataset.labelled.sum()) * 0.2)
    assert pd.Timestamp(fitted.validation["last"]) <= dataset.index[dataset.rows[-1]]


def test_dataset_rows_are_structural(candles: pd.DataFrame) -> None:
    dataset = build_dataset(candles.iloc[:1_000], SPEC)
    rows = dataset.rows
    assert rows[0] == 199  # features complete from the 200th candle (vol_window 100 < 199)
    assert rows[-1] == 1_000 - SPEC.horizon - 1
    assert np.isfinite(dataset.target[rows]).all()
    assert len(candles_sha256(candles)) == 64
    assert candles_sha256(candles) != candles_sha256(candles.iloc[:-1])
