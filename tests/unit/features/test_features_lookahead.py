"""No lookahead: a feature row at time t is the same whether or not candles after t exist."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurumbotx.features import compute_features
from aurumbotx.testing.market import load_shared_candles

ROWS = 3000  # 2017-08-17 .. 2017-12-21, with a zero-volume candle at row 492


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_shared_candles("binance_BTC-USDT_1h", rows=ROWS)


@pytest.fixture(scope="module")
def full(candles: pd.DataFrame) -> pd.DataFrame:
    return compute_features(candles)


def assert_identical(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same labels, same NaN positions and bit-identical values."""
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    got_values, want_values = got.to_numpy(), want.to_numpy()
    assert np.array_equal(np.isnan(got_values), np.isnan(want_values))
    assert np.array_equal(got_values.view(np.int64), want_values.view(np.int64))


@settings(max_examples=30, deadline=None)
@given(cut=st.integers(min_value=0, max_value=ROWS))
def test_a_prefix_gives_the_prefix_of_the_features(
    candles: pd.DataFrame, full: pd.DataFrame, cut: int
) -> None:
    assert_identical(compute_features(candles.iloc[:cut]), full.iloc[:cut])


@settings(max_examples=10, deadline=None)
@given(cut=st.integers(min_value=1, max_value=ROWS - 1), factor=st.floats(0.5, 2.0))
def test_changing_the_future_does_not_change_the_past(
    candles: pd.DataFrame, full: pd.DataFrame, cut: int, factor: float
) -> None:
    future = candles.copy()
    future.iloc[cut:] = future.iloc[cut:] * factor
    assert_identical(compute_features(future).iloc[:cut], full.iloc[:cut])
