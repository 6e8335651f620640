"""Out-of-sample scores of predictions against what the market then did.

All scores are fractions (0.53, not 53 %); None means undefined, never 0.

=============================  ==============================================================
key                            meaning
=============================  ==============================================================
rows                           scored rows
directional_accuracy           share of rows where sign(prediction) = sign(forward return);
                               rows whose forward return is 0 (or missing) are left out
signal_rows                    rows with a BUY or SELL signal (|prediction| > threshold)
signal_accuracy                the same on signal rows only: BUY right when the forward
                               return is > 0, SELL right when it is < 0
buy_precision, buy_recall,     per class, from the predicted class (thresholds applied to the
buy_f1, sell_precision,        prediction) against the TRUE class, the same thresholds applied
sell_recall, sell_f1           to the realised target: BUY when target > thr, SELL when
                               target < -thr, HOLD otherwise. precision = TP / (TP + FP)
                               (None without a predicted member), recall = TP / (TP + FN)
                               (None without a true member), F1 = 2 TP / (2 TP + FP + FN)
                               (None when both are empty)
precision, recall, f1          mean of the BUY and SELL values that are defined
pearson, spearman              correlation of prediction and realised target (None when
                               either is constant)
true_buy, true_sell            rows whose realised target is a BUY / SELL
=============================  ==============================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import spearmanr

from aurumbotx.ml.tuning import BUY, SELL, signal_classes

# Hourly crypto direction is close to a coin toss; far above this, suspect lookahead first.
LEAK_SUSPICION_ACCURACY = 0.65
LEAK_SUSPICION_MIN_ROWS = 500


def class_scores(predicted: np.ndarray, true: np.ndarray, label: int) -> dict[str, float | None]:
    """precision, recall and F1 of one class (definitions in the module docstring)."""
    tp = int(np.sum((predicted == label) & (true == label)))
    fp = int(np.sum((predicted == label) & (true != label)))
    fn = int(np.sum((predicted != label) & (true == label)))
    return {
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else None,
    }


def directional_accuracy(prediction: np.ndarray, forward_return: np.ndarray) -> float | None:
    """Share of rows (forward return finite, != 0) where the prediction has the return's sign."""
    moved = np.isfinite(forward_return) & (forward_return != 0)
    if not moved.any():
        return None
    return float(np.mean(np.sign(prediction[moved]) == np.sign(forward_return[moved])))


def correlations(prediction: np.ndarray, target: np.ndarray) -> tuple[float | None, float | None]:
    """(Pearson, Spearman) of prediction and target; None when either is constant."""
    if len(prediction) < 2 or np.ptp(prediction) == 0 or np.ptp(target) == 0:
        return None, None
    pearson = float(np.corrcoef(prediction, target)[0, 1])
    spearman = float(spearmanr(prediction, target).statistic)
    return pearson, spearman


def oos_scores(
    prediction: np.ndarray,
    target: np.ndarray,
    forward_return: np.ndarray,
    threshold: float | np.ndarray,
) -> dict[str, Any]:
    """Every score of the module docstring for aligned arrays (threshold per row or one)."""
    prediction = np.asarray(prediction, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    forward_return = np.asarray(forward_return, dtype=np.float64)
    predicted = signal_classes(prediction, threshold)
    true = signal_classes(target, threshold)
    signal = predicted != 0
    pearson, spearman = correlations(prediction, target)
    scores: dict[str, Any] = {
        "rows": len(prediction),
        "directional_accuracy": directional_accuracy(prediction, forward_return),
        "signal_rows": int(signal.sum()),
        "buy_signals": int(np.sum(predicted == BUY)),
        "sell_signals": int(np.sum(predicted == SELL)),
        "signal_accuracy": directional_accuracy(prediction[signal], forward_return[signal]),
        "true_buy": int(np.sum(true == BUY)),
        "true_sell": int(np.sum(true == SELL)),
        "pearson": pearson,
        "spearman": spearman,
    }
    for name, label in (("buy", BUY), ("sell", SELL)):
        for key, value in class_scores(predicted, true, label).items():
            scores[f"{name}_{key}"] = value
    for key in ("precision", "recall", "f1"):
        values = [scores[f"{side}_{key}"] for side in ("buy", "sell")]
        defined = [v for v in values if v is not None]
        scores[key] = float(np.mean(defined)) if defined else None
    return scores


def leakage_warning(scores: dict[str, Any]) -> str | None:
    """A warning when the out-of-sample accuracy is too good to be true (a lookahead canary)."""
    accuracy, rows = scores.get("directional_accuracy"), int(scores.get("rows") or 0)
    if accuracy is None or rows < LEAK_SUSPICION_MIN_ROWS or accuracy <= LEAK_SUSPICION_ACCURACY:
        return None
    return (
        f"out-of-sample directional accuracy {accuracy:.1%} on {rows:,} rows is implausibly high "
        "for market data: check the features and the target for lookahead"
    )
