"""The feature list, its windows and warm-ups, and how much history inference needs."""

from __future__ import annotations

import math
from types import MappingProxyType

from aurumbotx.domain.errors import DataError, InvalidInputError

# The spec's FeatureEngineer.expected_features, in the spec's order (a model sees this order).
FEATURE_COLUMNS: tuple[str, ...] = (
    "returns",
    "volatility",
    "sma_20",
    "ema_20",
    "sma_50",
    "ema_50",
    "sma_200",
    "ema_200",
    "macd",
    "macd_signal",
    "macd_hist",
    "rsi_14",
    "rsi_28",
    "bb_middle",
    "bb_upper",
    "bb_lower",
    "bb_width",
    "atr",
    "volume_ma",
    "volume_ratio",
    "obv",
    "support",
    "resistance",
    "log_returns",
    "market_condition_strength",
    "market_condition_volatility",
    "price_momentum",
)

VOLATILITY_WINDOW = 20
MA_WINDOWS = (20, 50, 200)
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
RSI_WINDOWS = (14, 28)
BB_WINDOW, BB_NBDEV = 20, 2.0
ATR_WINDOW = 14
ADX_WINDOW = 14
VOLUME_WINDOW = 20
OBV_WINDOW = 20
LEVEL_WINDOW = 20  # support / resistance
MOMENTUM_WINDOW = 10

# Leading NaN rows of each column (= TA-Lib lookback of what computes it). Row index
# WARMUP_BY_FEATURE[name] is the first defined value. Tests check these against the output.
WARMUP_BY_FEATURE: MappingProxyType[str, int] = MappingProxyType(
    {
        "returns": 1,
        "volatility": 1 + VOLATILITY_WINDOW - 1,  # STDDEV over returns, which start at row 1
        "sma_20": MA_WINDOWS[0] - 1,
        "ema_20": MA_WINDOWS[0] - 1,
        "sma_50": MA_WINDOWS[1] - 1,
        "ema_50": MA_WINDOWS[1] - 1,
        "sma_200": MA_WINDOWS[2] - 1,
        "ema_200": MA_WINDOWS[2] - 1,
        "macd": MACD_SLOW - 1 + MACD_SIGNAL - 1,
        "macd_signal": MACD_SLOW - 1 + MACD_SIGNAL - 1,
        "macd_hist": MACD_SLOW - 1 + MACD_SIGNAL - 1,
        "rsi_14": RSI_WINDOWS[0],
        "rsi_28": RSI_WINDOWS[1],
        "bb_middle": BB_WINDOW - 1,
        "bb_upper": BB_WINDOW - 1,
        "bb_lower": BB_WINDOW - 1,
        "bb_width": BB_WINDOW - 1,
        "atr": ATR_WINDOW,
        "volume_ma": VOLUME_WINDOW - 1,
        "volume_ratio": VOLUME_WINDOW - 1,
        "obv": OBV_WINDOW,
        "support": LEVEL_WINDOW - 1,
        "resistance": LEVEL_WINDOW - 1,
        "log_returns": 1,
        "market_condition_strength": 2 * ADX_WINDOW - 1,
        "market_condition_volatility": ATR_WINDOW,
        "price_momentum": MOMENTUM_WINDOW,
    }
)

#: Leading rows that are NaN in some column: rows 0..198; row 199 (the 200th candle) is the
#: first complete row, because sma_200 and ema_200 need 200 closes.
WARMUP_CANDLES: int = max(WARMUP_BY_FEATURE.values())

# Per-step factor by which each recursive smoother forgets its seed (EMA: 1 - 2 / (p + 1),
# Wilder: 1 - 1 / p). The slowest one, ema_200, sets the history that live inference needs.
SEED_DECAY: MappingProxyType[str, float] = MappingProxyType(
    {
        "ema_20": 1 - 2 / (MA_WINDOWS[0] + 1),
        "ema_50": 1 - 2 / (MA_WINDOWS[1] + 1),
        "ema_200": 1 - 2 / (MA_WINDOWS[2] + 1),
        "macd": 1 - 2 / (MACD_SLOW + 1),
        "rsi_14": 1 - 1 / RSI_WINDOWS[0],
        "rsi_28": 1 - 1 / RSI_WINDOWS[1],
        "atr": 1 - 1 / ATR_WINDOW,
        "market_condition_strength": 1 - 1 / ADX_WINDOW,
    }
)


def min_history(rtol: float | None = None) -> int:
    """Fewest candles for inference: every feature defined, or (rtol) seeds forgotten to rtol.

    With ``rtol=None`` it is WARMUP_CANDLES + 1 = 200: the last row has no NaN. With a relative
    tolerance, the last row of every seeded feature (EMA, MACD, RSI, ATR, ADX) also agrees
    within `rtol` with the value computed from any longer history, assuming the seed is off by
    at most 100 %: the first value plus ceil(ln(rtol) / ln(decay)) steps of the slowest
    smoother (ema_200: 2273 candles for 1e-9). Below ~1e-12 the rounding of TA-Lib's running
    sums, not the seeds, limits the agreement.
    """
    if rtol is None:
        return WARMUP_CANDLES + 1
    if not 0.0 < rtol < 1.0:
        raise InvalidInputError(f"rtol must be in (0, 1), got {rtol!r}")
    needed = max(
        WARMUP_BY_FEATURE[name] + math.ceil(math.log(rtol) / math.log(decay))
        for name, decay in SEED_DECAY.items()
    )
    return needed + 1


def require_history(candles: int, rtol: float | None = None) -> None:
    """Raise DataError when `candles` candles are fewer than min_history(rtol)."""
    needed = min_history(rtol)
    if candles < needed:
        why = "sma_200/ema_200 need 200 closes" if rtol is None else f"seeds converge to {rtol:g}"
        raise DataError(
            f"not enough history for the features: {candles} candles, need at least {needed} "
            f"({why})"
        )
