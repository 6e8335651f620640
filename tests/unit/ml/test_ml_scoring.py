"""Out-of-sample scores, hand-computed."""

import numpy as np
import pytest

from aurumbotx.ml.scoring import (
    class_scores,
    correlations,
    directional_accuracy,
    leakage_warning,
    oos_scores,
)


def test_class_scores_by_hand() -> None:
    predicted = np.array([1, 1, 1, 0, 0, -1, -1, 0])
    true = np.array([1, 0, -1, 1, 0, -1, 0, 0])
    buy = class_scores(predicted, true, 1)
    assert buy == {"precision": 1 / 3, "recall": 1 / 2, "f1": pytest.approx(2 / 5)}
    sell = class_scores(predicted, true, -1)
    assert sell == {"precision": 1 / 2, "recall": 1 / 2, "f1": pytest.approx(1 / 2)}
    none = class_scores(np.zeros(3), np.zeros(3), 1)
    assert none == {"precision": None, "recall": None, "f1": None}
    missed = class_scores(np.zeros(3), np.array([1, 0, 0]), 1)
    assert missed == {"precision": None, "recall": 0.0, "f1": 0.0}


def test_directional_accuracy_skips_rows_without_a_move() -> None:
    prediction = np.array([0.1, -0.2, 0.3, 0.4, -0.5])
    forward = np.array([0.01, 0.02, 0.0, 0.03, -0.01])
    assert directional_accuracy(prediction, forward) == 3 / 4
    assert directional_accuracy(prediction, np.zeros(5)) is None


def test_oos_scores_by_hand() -> None:
    prediction = np.array([0.7, 0.5, -0.8, 0.9, 0.0, -0.7])
    target = np.array([0.8, 0.7, -0.1, -0.9, 0.2, -0.9])
    forward = target * 0.01
    scores = oos_scores(prediction, target, forward, 0.6)
    assert scores["rows"] == 6
    assert scores["directional_accuracy"] == 4 / 6
    assert scores["signal_rows"] == 4
    assert scores["buy_signals"] == 2
    assert scores["sell_signals"] == 2
    assert scores["signal_accuracy"] == 3 / 4  # BUY rows 0 (right), 3 (wrong); SELL 2, 5 right
    assert scores["true_buy"] == 2
    assert scores["true_sell"] == 2
    assert scores["buy_precision"] == 1 / 2
    assert scores["buy_recall"] == 1 / 2
    assert scores["sell_precision"] == 1 / 2
    assert scores["sell_recall"] == 1 / 2
    assert scores["f1"] == pytest.approx(0.5)
    pearson, spearman = correlations(prediction, target)
    assert scores["pearson"] == pearson == pytest.approx(np.corrcoef(prediction, target)[0, 1])
    assert spearman is not None
    assert -1.0 <= spearman <= 1.0


def test_undefined_correlations_are_none() -> None:
    assert correlations(np.zeros(5), np.arange(5.0)) == (None, None)
    assert correlations(np.array([1.0]), np.array([2.0])) == (None, None)


def test_too_good_accuracy_raises_the_leakage_warning() -> None:
    assert leakage_warning({"directional_accuracy": 0.9, "rows": 1000}) is not None
    assert leakage_warning({"directional_accuracy": 0.9, "rows": 100}) is None
    assert leakage_warning({"directional_accuracy": 0.53, "rows": 10_000}) is None
    assert leakage_warning({"directional_accuracy": None, "rows": 10_000}) is None
