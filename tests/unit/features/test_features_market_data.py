"""The shared-data helper the feature tests read real candles with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aurumbotx.features import feature_input
from aurumbotx.testing.market import load_shared_candles, shared_data_dir


def test_a_shared_file_becomes_a_candle_frame() -> None:
    candles = load_shared_candles("binance_BTC-USDT_1h", rows=24)
    assert len(candles) == 24
    assert list(candles.columns) == ["open", "high", "low", "close", "volume"]
    assert (candles.dtypes == np.float64).all()
    assert candles.index.name == "timestamp"
    assert str(candles.index.tz) == "UTC"
    assert str(candles.index[0]) == "2017-08-17 04:00:00+00:00"
    assert candles["open"].iloc[0] == 4261.48
    assert candles["volume"].iloc[0] == 47.181009
    assert candles.attrs == {
        "pair": "BTC/USDT",
        "timeframe": "1h",
        "source": "binance_BTC-USDT_1h.csv.gz",
    }
    feature_input(candles)  # passes the feature input checks


def test_missing_data_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AURUMBOTX_TEST_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    assert shared_data_dir() == tmp_path
    with pytest.raises(pytest.skip.Exception, match="shared market data not found"):
        load_shared_candles("binance_BTC-USDT_1h")


def test_missing_data_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AURUMBOTX_TEST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required under CI=true"):
        load_shared_candles("binance_BTC-USDT_1h.csv.gz")
