"""compute_features: the spec's columns, hand-computed values, warm-ups and bad input."""

from __future__ import annotations

import math
import statistics
import warnings

import numpy as np
import pandas as pd
import pytest

from aurumbotx.domain.errors import DataError, InvalidInputError
from aurumbotx.features import (
    FEATURE_COLUMNS,
    WARMUP_BY_FEATURE,
    WARMUP_CANDLES,
    compute_features,
    min_history,
    require_history,
)
from aurumbotx.testing.market import load_shared_candles

# FeatureEngineer.expected_features, copied from the spec (aurumbotx-spec.md).
SPEC_FEATURES = [
    "returns", "volatility", "sma_20", "ema_20", "sma_50", "ema_50",
    "sma_200", "ema_200", "macd", "macd_signal", "macd_hist",
    "rsi_14", "rsi_28", "bb_middle", "bb_upper", "bb_lower",
    "bb_width", "atr", "volume_ma", "volume_ratio", "obv",
    "support", "resistance", "log_returns", "market_condition_strength",
    "market_condition_volatility", "price_momentum",
]  # fmt: skip


def make_frame(
    close: list[float] | np.ndarray,
    volume: list[float] | np.ndarray,
    spread: float = 1.0,
) -> pd.DataFrame:
    """A candle frame on an hourly UTC index: high/low `spread` above/below the close."""
    close = np.asarray(close, dtype=np.float64)
    index = pd.date_range("2024-01-01", periods=len(close), freq="1h", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": close,
            "high": close + spread,
            "low": close - spread,
            "close": close,
            "volume": np.asarray(volume, dtype=np.float64),
        },
        index=index,
    )


@pytest.fixture(scope="module")
def ramp() -> pd.DataFrame:
    """60 candles closing 100, 101, ..., 159; high/low +-1; volume 1, 2, 3, 4, 1, 2, ..."""
    t = np.arange(60)
    return make_frame(100.0 + t, 1.0 + t % 4)


@pytest.fixture(scope="module")
def ramp_features(ramp: pd.DataFrame) -> pd.DataFrame:
    return compute_features(ramp)


def test_the_columns_are_the_spec_list_in_order(ramp_features: pd.DataFrame) -> None:
    assert list(FEATURE_COLUMNS) == SPEC_FEATURES
    assert len(set(FEATURE_COLUMNS)) == 27
    assert list(ramp_features.columns) == SPEC_FEATURES
    assert set(WARMUP_BY_FEATURE) == set(SPEC_FEATURES)
    assert (ramp_features.dtypes == np.float64).all()


def test_the_index_is_the_input_index(ramp: pd.DataFrame, ramp_features: pd.DataFrame) -> None:
    assert ramp_features.index is ramp.index


def test_price_features_by_hand(ramp_features: pd.DataFrame) -> None:
    f = ramp_features
    for t in (1, 7, 59):
        close, previous = 100.0 + t, 99.0 + t
        assert f["returns"].iloc[t] == 1.0 / previous
        assert f["log_returns"].iloc[t] == pytest.approx(math.log(close / previous), rel=1e-15)
    for t in (10, 33, 59):
        assert f["price_momentum"].iloc[t] == 10.0 / (90.0 + t)
    # Means of 20 and 50 consecutive integers; the SMA-seeded EMA of a straight line keeps
    # the seed's lag (period - 1) / 2 for ever.
    for t in (19, 20, 45, 59):
        assert f["sma_20"].iloc[t] == 100.0 + t - 9.5
        assert f["bb_middle"].iloc[t] == 100.0 + t - 9.5
        assert f["ema_20"].iloc[t] == pytest.approx(100.0 + t - 9.5, rel=1e-14)
    assert f["sma_50"].iloc[49] == 124.5
    assert f["ema_50"].iloc[59] == pytest.approx(134.5, rel=1e-14)
    # EMA12 lags 5.5, EMA26 lags 12.5: macd 7, signal 7, histogram 0.
    assert f["macd"].iloc[33:].to_numpy() == pytest.approx([7.0] * 27, abs=1e-11)
    assert f["macd_signal"].iloc[33:].to_numpy() == pytest.approx([7.0] * 27, abs=1e-11)
    assert f["macd_hist"].iloc[33:].to_numpy() == pytest.approx([0.0] * 27, abs=1e-11)
    assert (f["rsi_14"].iloc[14:] == 100.0).all()
    assert (f["rsi_28"].iloc[28:] == 100.0).all()


def test_band_and_volatility_features_by_hand(ramp_features: pd.DataFrame) -> None:
    f = ramp_features
    # population variance of 20 consecutive integers: (20**2 - 1) / 12 = 33.25
    std = math.sqrt(33.25)
    assert f["bb_upper"].iloc[19] == pytest.approx(109.5 + 2 * std, rel=1e-13)
    assert f["bb_lower"].iloc[19] == pytest.approx(109.5 - 2 * std, rel=1e-13)
    assert f["bb_width"].iloc[19] == pytest.approx(4 * std / 109.5, rel=1e-12)
    returns = [1.0 / (99.0 + t) for t in range(1, 21)]
    assert f["volatility"].iloc[20] == pytest.approx(statistics.pstdev(returns), rel=1e-9)


def test_range_features_by_hand(ramp_features: pd.DataFrame) -> None:
    f = ramp_features
    for t in (19, 30, 59):
        assert f["support"].iloc[t] == 100.0 + (t - 19) - 1.0
        assert f["resistance"].iloc[t] == 100.0 + t + 1.0
    # every true range is 2; only +DM: every DX and so the ADX is 100
    assert (f["atr"].iloc[14:] == 2.0).all()
    for t in (14, 40):
        assert f["market_condition_volatility"].iloc[t] == 2.0 / (100.0 + t)
    assert (f["market_condition_strength"].iloc[27:] == 1.0).all()


def test_volume_features_by_hand(ramp_features: pd.DataFrame) -> None:
    f = ramp_features
    # any 20 consecutive volumes are five rounds of 1, 2, 3, 4: mean 2.5
    assert (f["volume_ma"].iloc[19:] == 2.5).all()
    for t in (19, 22, 59):
        assert f["volume_ratio"].iloc[t] == (1.0 + t % 4) / 2.5
    # every close is up: all 20 volumes count positively
    assert (f["obv"].iloc[20:] == 1.0).all()


def test_obv_flow_with_ups_downs_and_flats() -> None:
    # changes k = 1..20 repeat +1, -1, 0, +1 with volume k: up 1+5+9+13+17 + 4+8+...+20 = 105,
    # down 2+6+10+14+18 = 50, all 210: flow (105 - 50) / 210; then the ratio and the average.
    steps = [1.0, -1.0, 0.0, 1.0] * 5
    close = np.concatenate([[100.0], 100.0 + np.cumsum(steps)])
    volume = np.concatenate([[5.0], np.arange(1.0, 21.0)])
    f = compute_features(make_frame(close, volume))
    assert f["obv"].iloc[20] == 55.0 / 210.0
    assert f["volume_ma"].iloc[19] == (5.0 + 190.0) / 20.0
    assert f["volume_ratio"].iloc[20] == 20.0 / 10.5


def test_windows_without_volume_give_nan_not_inf() -> None:
    # Awkward decimals leave TA-Lib's running sum with a residue once the window is all zeros.
    volume = np.concatenate([[0.1, 0.7, 0.3, 1e6, 0.9] * 4, np.zeros(25), [2.0] * 5])
    close = 100.0 + np.sin(np.arange(len(volume)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = compute_features(make_frame(close, volume))
    silent = np.arange(len(volume))
    silent = (silent >= 39) & (silent < 45)  # windows t-19..t inside the 25 zeros (rows 20..44)
    assert (f["volume_ma"][silent] == 0.0).all()
    assert f["volume_ratio"][silent].isna().all()
    assert f["obv"][silent].isna().all()
    loud = ~silent & (np.arange(len(volume)) >= 20)
    assert np.isfinite(f["volume_ratio"][loud]).all()
    assert np.isfinite(f["obv"][loud]).all()
    assert f["obv"].abs().max() <= 1.0
    # Row 45: one volume of 2 in the window, ratio 20 in real numbers; the 1e6 volume left a
    # rounding residue of ~1e-10 in TA-Lib's running total (documented in docs/features.md).
    assert f["volume_ratio"].iloc[45] == pytest.approx(20.0, rel=1e-9)


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    return load_shared_candles("binance_BTC-USDT_1h", rows=3000)


def test_warmup_nan_counts_on_real_data(btc: pd.DataFrame) -> None:
    f = compute_features(btc)
    for name in FEATURE_COLUMNS:
        isnan = f[name].isna().to_numpy()
        warmup = WARMUP_BY_FEATURE[name]
        assert isnan[:warmup].all(), name
        assert not isnan[warmup:].any(), name
    complete = f.notna().all(axis=1).to_numpy()
    assert WARMUP_CANDLES == 199
    assert int(np.argmax(complete)) == WARMUP_CANDLES
    assert complete[WARMUP_CANDLES:].all()
    assert f["obv"].between(-1.0, 1.0).iloc[20:].all()
    assert (f["market_condition_strength"].iloc[27:].between(0.0, 1.0)).all()


def test_min_history_and_require_history() -> None:
    assert min_history() == 200
    # ema_200: first value at row 199, then ceil(ln 1e-9 / ln(199/201)) = 2073 steps
    assert min_history(1e-9) == 199 + 2073 + 1
    assert min_history(1e-6) < min_history(1e-9)
    require_history(200)
    with pytest.raises(DataError, match="199 candles, need at least 200"):
        require_history(199)
    with pytest.raises(DataError, match="need at least 2273"):
        require_history(2000, rtol=1e-9)
    with pytest.raises(InvalidInputError, match="rtol"):
        min_history(0.0)


def test_short_and_empty_frames(ramp: pd.DataFrame) -> None:
    short = compute_features(ramp.iloc[:5])
    assert short.shape == (5, 27)
    assert short["returns"].iloc[1:].notna().all()
    assert short.drop(columns=["returns", "log_returns"]).isna().all().all()
    empty = compute_features(ramp.iloc[:0])
    assert empty.shape == (0, 27)
    assert list(empty.columns) == SPEC_FEATURES


def test_numeric_non_float_columns_are_accepted(ramp: pd.DataFrame) -> None:
    frame = ramp.assign(volume=ramp["volume"].astype(np.int64))
    pd.testing.assert_frame_equal(compute_features(frame), compute_features(ramp))


def bad_frames(ramp: pd.DataFrame) -> dict[str, tuple[object, type[Exception], str]]:
    """Broken inputs, the error each must raise and a fragment of its message."""
    unsorted = ramp.iloc[[0, 2, 1, *range(3, len(ramp))]]
    duplicated = ramp.iloc[[0, 1, 1, *range(2, len(ramp))]]
    nan_close = ramp.copy()
    nan_close.iloc[7, nan_close.columns.get_loc("close")] = np.nan
    return {
        "not a frame": (ramp["close"], InvalidInputError, "candle DataFrame, got Series"),
        "missing": (ramp.drop(columns=["volume", "low"]), DataError, "lacks column(s) low, volume"),
        "text": (ramp.assign(close=ramp["close"].astype(str)), DataError, "'close' must hold num"),
        "bool": (ramp.assign(volume=True), DataError, "'volume' must hold numbers"),
        "twice": (pd.concat([ramp, ramp[["close"]]], axis=1), DataError, "'close' more than once"),
        "range index": (ramp.reset_index(drop=True), DataError, "DatetimeIndex"),
        "naive": (ramp.tz_localize(None), DataError, "must be in UTC, got timezone None"),
        "rome": (ramp.tz_convert("Europe/Rome"), DataError, "must be in UTC"),
        "unsorted": (unsorted, DataError, "row 2 goes back to 2024-01-01 01:00:00+00:00"),
        "duplicate": (duplicated, DataError, "row 2 repeats"),
        "nan": (nan_close, DataError, "'close' must be finite and > 0: nan at row 7"),
        "inf": (ramp.assign(high=np.inf), DataError, "'high' must be finite and > 0: inf"),
        "zero price": (ramp.assign(low=0.0), DataError, "'low' must be finite and > 0: 0.0"),
        "negative volume": (ramp.assign(volume=-1.0), DataError, "'volume' must be finite and >="),
        "NA volume": (
            ramp.assign(volume=pd.array([pd.NA] + [1.0] * 59, dtype="Float64")),
            DataError,
            "'volume' must be finite and >= 0: nan at row 0",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not a frame", "missing", "text", "bool", "twice", "range index", "naive", "rome",
        "unsorted", "duplicate", "nan", "inf", "zero price", "negative volume", "NA volume",
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_clear_message(ramp: pd.DataFrame, case: str) -> None:
    frame, error, fragment = bad_frames(ramp)[case]
    with pytest.raises(error) as caught:
        compute_features(frame)  # type: ignore[arg-type]
    assert fragment in str(caught.value)
