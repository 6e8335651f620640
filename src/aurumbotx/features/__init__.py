"""Model features from candles: the spec's 27 ``expected_features``, in the spec's order.

`compute_features(candles)` takes a candle frame (domain/candles.py) and returns one row per
candle, indexed like it, columns `FEATURE_COLUMNS`. Row t uses candles <= t only. Warm-up rows
are NaN, never filled: rows 0..`WARMUP_CANDLES` - 1 (= 198) miss at least one feature, row 199
(the 200th candle) is the first complete one. Training drops incomplete rows; inference calls
`require_history` first (`min_history()` = 200, `min_history(1e-9)` for seeds forgotten to
1e-9). Scaling is NOT done here: it is fitted on training data and stored with the model.

c = close, h = high, l = low, v = volume; x[a..b] is the window of candles a to b, t included;
std is the population standard deviation; EMA and Wilder smoothers are seeded, as TA-Lib does,
with the plain mean of their first full window. Full table with units: docs/features.md.

===========================  ===================================  ===================  ========
feature                      definition                           TA-Lib               unit
===========================  ===================================  ===================  ========
returns                      (c[t] - c[t-1]) / c[t-1]             ROCP(c, 1)           fraction
volatility                   std of returns[t-19..t]              STDDEV(ret, 20, 1)   fraction
sma_20, sma_50, sma_200      mean of c[t-n+1..t]                  BBANDS middle, SMA   price
ema_20, ema_50, ema_200      EMA, k = 2 / (n + 1)                 EMA(c, n)            price
macd                         EMA12(c) - EMA26(c)                  MACD(c, 12, 26, 9)   price
macd_signal                  EMA9 of macd                         MACD                 price
macd_hist                    macd - macd_signal                   MACD                 price
rsi_14, rsi_28               100 * avg gain / (avg gain + loss)   RSI(c, n), Wilder    0..100
bb_middle                    mean of c[t-19..t] (= sma_20)        BBANDS(c, 20, 2, 2)  price
bb_upper, bb_lower           bb_middle +- 2 * std of c[t-19..t]   BBANDS               price
bb_width                     (bb_upper - bb_lower) / bb_middle    (numpy)              fraction
atr                          Wilder mean of the true range, 14    ATR(h, l, c, 14)     price
volume_ma                    mean of v[t-19..t]                   SMA(v, 20)           base
volume_ratio                 v / volume_ma; NaN if volume_ma = 0  (numpy)              ratio
obv                          (OBV[t] - OBV[t-20]) / sum(v, 20)    OBV, SUM(v, 20)      -1..1
support                      lowest l[t-19..t]                    MIN(l, 20)           price
resistance                   highest h[t-19..t]                   MAX(h, 20)           price
log_returns                  ln(c[t] / c[t-1]) = log1p(returns)   (numpy)              log
market_condition_strength    ADX 14 / 100                         ADX(h, l, c, 14)     0..1
market_condition_volatility  atr / c                              ATR                  fraction
price_momentum               (c[t] - c[t-10]) / c[t-10]           ROCP(c, 10)          fraction
===========================  ===================================  ===================  ========

``obv`` deliberately departs from the spec's OBV level, which depends on where the history
starts: it is the signed-volume flow of the last 20 candles, start-independent, in [-1, 1].
"""

from aurumbotx.features.compute import compute_features, feature_arrays
from aurumbotx.features.definitions import (
    FEATURE_COLUMNS,
    WARMUP_BY_FEATURE,
    WARMUP_CANDLES,
    min_history,
    require_history,
)
from aurumbotx.features.inputs import FeatureInput, feature_input

__all__ = [
    "FEATURE_COLUMNS",
    "WARMUP_BY_FEATURE",
    "WARMUP_CANDLES",
    "FeatureInput",
    "compute_features",
    "feature_arrays",
    "feature_input",
    "min_history",
    "require_history",
]
