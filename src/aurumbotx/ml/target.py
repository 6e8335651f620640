"""The regression target: the forward return in units of recent volatility, on [-1, 1].

For the candle at t (its close is known at t) with horizon H, volatility window W and scale s::

    r[i]      = ln(c[i] / c[i-1])                         one-candle log return
    sigma[t]  = std(r[t-W+1 .. t])                        population std, W returns ending at t
    fwd[t]    = ln(c[t+H] / c[t])                         forward log return over H candles
    target[t] = clip(fwd[t] / (sigma[t] * sqrt(H)) / s, -1, 1)

fwd / (sigma sqrt(H)) is the forward move in standard deviations of an H-candle move under the
recent volatility (a z-score); dividing by s puts an s-sigma move at 1.0. With the default
s = 2, the spec's signal thresholds of +-0.6 mean "a forecast move of at least 1.2 sigma".

NaN rows: the last H rows (c[t+H] is beyond the data), the first W rows (r starts at row 1,
so sigma needs rows 1..W) and rows whose volatility window is flat (sigma = 0). Training
drops them. sigma uses candles <= t only; the label is the only thing that looks ahead, which
is why walk-forward splits purge H candles between training labels and test windows.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from aurumbotx.domain.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """Horizon H and volatility window W in candles, and the scale s (sigmas mapped to 1.0)."""

    horizon: int = 24
    vol_window: int = 168
    scale: float = 2.0

    def __post_init__(self) -> None:
        if not isinstance(self.horizon, int) or self.horizon < 1:
            raise InvalidInputError(f"horizon must be an integer >= 1, got {self.horizon!r}")
        if not isinstance(self.vol_window, int) or self.vol_window < 2:
            raise InvalidInputError(f"vol_window must be an integer >= 2, got {self.vol_window!r}")
        if not (isinstance(self.scale, int | float) and math.isfinite(self.scale)) or (
            self.scale <= 0
        ):
            raise InvalidInputError(f"scale must be a positive number, got {self.scale!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the model)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TargetSpec:
        """The spec stored by `to_dict`."""
        return cls(
            horizon=int(data["horizon"]),
            vol_window=int(data["vol_window"]),
            scale=float(data["scale"]),
        )


def log_returns(close: np.ndarray) -> np.ndarray:
    """r[i] = ln(c[i] / c[i-1]); r[0] is NaN."""
    out = np.full(len(close), np.nan)
    out[1:] = np.log(close[1:] / close[:-1])
    return out


def forward_log_return(close: np.ndarray, horizon: int) -> np.ndarray:
    """ln(c[t+H] / c[t]); NaN for the last H rows."""
    out = np.full(len(close), np.nan)
    if len(close) > horizon:
        out[:-horizon] = np.log(close[horizon:] / close[:-horizon])
    return out


def trailing_volatility(close: np.ndarray, window: int) -> np.ndarray:
    """Population std of the `window` one-candle log returns ending at t; NaN before row W."""
    returns = pd.Series(log_returns(close))
    return returns.rolling(window, min_periods=window).std(ddof=0).to_numpy(np.float64)


def target_values(close: np.ndarray, spec: TargetSpec) -> np.ndarray:
    """The target of every row of a close array (see the module docstring); NaN when undefined."""
    close = np.asarray(close, dtype=np.float64)
    sigma = trailing_volatility(close, spec.vol_window)
    fwd = forward_log_return(close, spec.horizon)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = fwd / (sigma * math.sqrt(spec.horizon)) / spec.scale
    z[~np.isfinite(z)] = np.nan  # sigma = 0 (flat window) has no scale
    return np.clip(z, -1.0, 1.0)


def make_target(candles: pd.DataFrame, spec: TargetSpec) -> pd.Series:
    """The target of a candle frame, indexed like it (named ``target``)."""
    values = target_values(candles["close"].to_numpy(np.float64), spec)
    return pd.Series(values, index=candles.index, name="target")
