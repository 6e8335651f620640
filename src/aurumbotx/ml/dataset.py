"""A labelled data set: model inputs, target and forward returns of one candle frame."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aurumbotx.ml.preprocess import complete_rows, model_inputs
from aurumbotx.ml.target import (
    TargetSpec,
    forward_log_return,
    target_values,
    trailing_volatility,
)


@dataclass
class Dataset:
    """Every candle's inputs and label; `labelled` marks the rows a model may learn from.

    `labelled` is structural: complete features, a volatility window, and H candles after the
    row; it never depends on the label's value, so splits do not move when labels change.
    """

    candles: pd.DataFrame
    inputs: pd.DataFrame
    target: np.ndarray
    forward_return: np.ndarray
    labelled: np.ndarray
    spec: TargetSpec

    @property
    def index(self) -> pd.DatetimeIndex:
        """The candles' open times."""
        return pd.DatetimeIndex(self.candles.index)

    @property
    def rows(self) -> np.ndarray:
        """Positions of the labelled rows, ascending."""
        return np.flatnonzero(self.labelled)


def build_dataset(candles: pd.DataFrame, spec: TargetSpec) -> Dataset:
    """Inputs, target and forward log returns of `candles` under `spec`."""
    inputs = model_inputs(candles)
    close = candles["close"].to_numpy(np.float64)
    target = target_values(close, spec)
    n = len(candles)
    labelled = complete_rows(inputs)
    labelled[max(n - spec.horizon, 0) :] = False
    labelled[: min(spec.vol_window, n)] = False
    # A flat volatility window has no scale: the one value-dependent exclusion, and it only
    # depends on candles <= t.
    labelled &= trailing_volatility(close, spec.vol_window) > 0
    return Dataset(
        candles=candles,
        inputs=inputs,
        target=target,
        forward_return=forward_log_return(close, spec.horizon),
        labelled=labelled,
        spec=spec,
    )


def candles_sha256(candles: pd.DataFrame) -> str:
    """SHA-256 of the candles' open times (ms) and OHLCV values (float64, little-endian)."""
    digest = hashlib.sha256()
    stamps = pd.DatetimeIndex(candles.index).as_unit("ms").asi8.astype("<i8")
    digest.update(np.ascontiguousarray(stamps).tobytes())
    for column in ("open", "high", "low", "close", "volume"):
        digest.update(np.ascontiguousarray(candles[column].to_numpy("<f8")).tobytes())
    return digest.hexdigest()
