"""Resampling equals the exchange's own candles; complete buckets only unless asked."""

import numpy as np
import pandas as pd
import pytest

from aurumbotx.data.frames import CandleArrays, frame_ms
from aurumbotx.data.readers import load_candles
from aurumbotx.data.resample import resample_candles
from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.testing.candles import make_random_candles, require_shared_file

MINUTE = 60_000
T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def minutes(
    values: list[tuple[float, float, float, float, float]], start: int = T0
) -> pd.DataFrame:
    ts = start + np.arange(len(values), dtype=np.int64) * MINUTE
    cols = np.array(values, dtype=np.float64)
    names = ("open", "high", "low", "close", "volume")
    return CandleArrays.from_columns(ts, {n: cols[:, i] for i, n in enumerate(names)}).to_frame(
        timeframe="1m"
    )


def test_ohlcv_aggregation_by_hand() -> None:
    frame = minutes(
        [
            (10, 12, 9, 11, 1.0),
            (11, 15, 10, 14, 2.0),
            (14, 14, 8, 9, 3.0),
            (9, 10, 9, 10, 4.0),
            (10, 11, 7, 8, 5.0),
            (8, 9, 8, 9, 6.0),  # the start of the next 5-minute bucket (incomplete)
        ]
    )
    complete = resample_candles(frame, "5m")
    assert frame_ms(complete).tolist() == [T0]
    assert complete.iloc[0].tolist() == [10.0, 15.0, 7.0, 8.0, 15.0]
    assert complete.attrs["timeframe"] == "5m"
    partial = resample_candles(frame, "5m", keep_partial=True)
    assert frame_ms(partial).tolist() == [T0, T0 + 5 * MINUTE]
    assert partial.iloc[1].tolist() == [8.0, 9.0, 8.0, 9.0, 6.0]


def test_bucket_with_a_missing_candle_is_dropped_by_default() -> None:
    frame = make_random_candles(30, "1m", "2024-01-01")
    holey = frame.drop(frame.index[7])  # a minute missing in the second 5m bucket
    result = resample_candles(holey, "5m")
    assert len(result) == 5
    assert pd.Timestamp("2024-01-01 00:05", tz="UTC") not in result.index
    assert len(resample_candles(holey, "5m", keep_partial=True)) == 6


def test_bucket_is_floor_of_the_open_time_not_the_first_candle() -> None:
    # Data starting at 00:03 must not create a bucket at 00:03.
    frame = make_random_candles(12, "1m", "2024-01-01 00:03")
    result = resample_candles(frame, "5m", keep_partial=True)
    assert [t.strftime("%H:%M") for t in result.index] == ["00:00", "00:05", "00:10"]
    # 00:03-00:14: the 00:00 bucket holds two minutes, 00:05 and 00:10 are complete.
    assert len(resample_candles(frame, "5m")) == 2


def test_weekly_buckets_start_on_monday() -> None:
    frame = make_random_candles(21, "1d", "2024-01-03")  # a Wednesday
    weeks = resample_candles(frame, "1w", keep_partial=True)
    assert [t.day_name() for t in weeks.index] == ["Monday"] * 4
    assert len(resample_candles(frame, "1w")) == 2


def test_invalid_targets_are_refused() -> None:
    frame = make_random_candles(20, "5m")
    with pytest.raises(InvalidInputError, match="whole multiple"):
        resample_candles(frame, "7m")
    with pytest.raises(InvalidInputError, match="whole multiple"):
        resample_candles(frame, "1m")


@pytest.mark.parametrize("pair", ["BTC-USDT", "ETH-USDT"])
def test_shared_1m_to_1h_equals_binance_1h(pair: str) -> None:
    one_minute = load_candles(require_shared_file(f"binance_{pair}_1m.csv.gz"), timeframe="1m")
    hourly = load_candles(require_shared_file(f"binance_{pair}_1h.csv.gz"), timeframe="1h")
    built = resample_candles(one_minute, "1h")
    real = hourly.loc[built.index]
    assert len(built) == 719  # every complete hour of the month of 1m data
    for column in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(built[column].to_numpy(), real[column].to_numpy())
    np.testing.assert_allclose(built["volume"], real["volume"], rtol=1e-6)


def test_shared_5m_to_1h_equals_binance_1h_on_a_slice() -> None:
    five = load_candles(require_shared_file("binance_BTC-USDT_5m.csv.gz"), timeframe="5m")
    hourly = load_candles(require_shared_file("binance_BTC-USDT_1h.csv.gz"), timeframe="1h")
    # Three months around the 2023-03-24 outage: the incomplete hours there are left out.
    window = five.loc["2023-02-01":"2023-04-30"]
    built = resample_candles(window, "1h")
    hours_in_window = (pd.Timestamp("2023-05-01") - pd.Timestamp("2023-02-01")) // pd.Timedelta(
        "1h"
    )
    assert len(built) == hours_in_window - 2  # 12:00 (partial) and 13:00 (empty) on 2023-03-24
    assert pd.Timestamp("2023-03-24 12:00", tz="UTC") not in built.index
    real = hourly.loc[built.index]
    for column in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(built[column].to_numpy(), real[column].to_numpy())
    np.testing.assert_allclose(built["volume"], real["volume"], rtol=1e-6)
