"""What the rule-based built-in strategies (scalping, swing) share around their rules.

Each reads the 27 features and the close, evaluates its boolean rules, and returns the features
it read beside `enter_long` and `exit_long` (an exit never on a candle that enters).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aurumbotx.features import compute_features


def features_and_close(candles: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The features of `candles` and their closes as float64."""
    return compute_features(candles), candles["close"].to_numpy(np.float64)


def rule_signals(
    features: pd.DataFrame, columns: Sequence[str], enter: np.ndarray, leave: np.ndarray
) -> pd.DataFrame:
    """The strategy's frame: the feature `columns` it read, `enter_long` and `exit_long`."""
    out = features[list(columns)].copy()
    out["enter_long"] = enter
    out["exit_long"] = leave & ~enter
    return out
