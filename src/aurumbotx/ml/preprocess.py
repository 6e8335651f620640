"""Model inputs from candles, and the preprocessing fitted on training rows only.

`model_inputs(candles)` is the 27 features of `aurumbotx.features` plus the close.
`FeaturePreprocessor` (an sklearn transformer) then

1. makes price-level features relative to the close, so that a model trained on 2018 prices
   applies to 2024 prices: ``x / close - 1`` for the moving averages, the Bollinger bands,
   support and resistance (`RELATIVE_LEVELS`), ``x / close`` for MACD and ATR, which are
   price differences (`RELATIVE_SPREADS`);
2. standardises every column with a `StandardScaler` fitted in `fit` (training rows only).

The close itself is not a model input. `volume_ma` stays in base-asset units (the spec's
feature; `volume_ratio` carries its stationary part). A row with a NaN (warm-up) is refused:
training drops such rows first (`complete_rows`), inference asks for enough history
(`require_history`, `min_history()` = 200 candles).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler

from aurumbotx.domain.errors import ModelError
from aurumbotx.features import FEATURE_COLUMNS, compute_features

CLOSE = "close"
RELATIVE_LEVELS: tuple[str, ...] = (
    "sma_20",
    "ema_20",
    "sma_50",
    "ema_50",
    "sma_200",
    "ema_200",
    "bb_middle",
    "bb_upper",
    "bb_lower",
    "support",
    "resistance",
)
RELATIVE_SPREADS: tuple[str, ...] = ("macd", "macd_signal", "macd_hist", "atr")


def model_inputs(candles: pd.DataFrame) -> pd.DataFrame:
    """The features of a candle frame plus its close, indexed like it; warm-up rows hold NaN."""
    frame = compute_features(candles)
    frame[CLOSE] = candles["close"].to_numpy(np.float64)
    return frame


def complete_rows(inputs: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the rows with every feature defined (no warm-up NaN)."""
    return np.array(inputs[list(FEATURE_COLUMNS)].notna().all(axis=1).to_numpy(), dtype=bool)


def relative_features(inputs: pd.DataFrame) -> pd.DataFrame:
    """The features with price levels divided by the close (see the module docstring)."""
    missing = [c for c in (*FEATURE_COLUMNS, CLOSE) if c not in inputs.columns]
    if missing:
        raise ModelError(f"model inputs lack column(s) {', '.join(missing)}")
    close = inputs[CLOSE].to_numpy(np.float64)
    out = {}
    for name in FEATURE_COLUMNS:
        values = inputs[name].to_numpy(np.float64)
        if name in RELATIVE_LEVELS:
            values = values / close - 1.0
        elif name in RELATIVE_SPREADS:
            values = values / close
        out[name] = values
    return pd.DataFrame(out, index=inputs.index)


class FeaturePreprocessor(TransformerMixin, BaseEstimator):
    """Relative price levels, then a StandardScaler; fitted on training rows only."""

    def __init__(self) -> None:
        pass

    def fit(self, inputs: pd.DataFrame, y: Any = None) -> FeaturePreprocessor:
        """Fit the scaler on `inputs` (training rows, none of them warm-up rows)."""
        relative = self._checked(inputs)
        self.scaler_ = StandardScaler().fit(relative)
        self.feature_names_in_ = np.asarray(FEATURE_COLUMNS, dtype=object)
        self.n_features_in_ = len(FEATURE_COLUMNS)
        self.n_rows_fitted_ = len(relative)
        return self

    def transform(self, inputs: pd.DataFrame) -> np.ndarray:
        """The scaled model matrix (rows x 27 features, float64)."""
        if not hasattr(self, "scaler_"):
            raise ModelError("the preprocessor is not fitted")
        return np.asarray(self.scaler_.transform(self._checked(inputs)), dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The 27 feature names, in the model's column order."""
        return np.asarray(FEATURE_COLUMNS, dtype=object)

    @staticmethod
    def _checked(inputs: pd.DataFrame) -> np.ndarray:
        if len(inputs) == 0:
            raise ModelError("no rows to preprocess")
        relative = relative_features(inputs).to_numpy(np.float64)
        bad = ~np.isfinite(relative).all(axis=1)
        if bad.any():
            first = inputs.index[int(np.argmax(bad))]
            raise ModelError(
                f"{int(bad.sum())} row(s) with missing or infinite features (first: {first}); "
                "warm-up rows must be dropped, and inference needs at least 200 candles"
            )
        return relative
