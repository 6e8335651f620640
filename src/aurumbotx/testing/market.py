"""Real market history for tests: the shared Binance candle files, read in place, never copied.

The files (``binance_BTC-USDT_1h.csv.gz`` ...) live in the shared data folder beside the
repository, ``<repo>/../shared/data`` (/work/shared/data on the development machines; see its
README.md); ``AURUMBOTX_TEST_DATA_DIR`` overrides it. Outside CI a test that needs them is skipped
when they are absent; under CI=true it fails, so a green CI always means those tests ran.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from aurumbotx.domain.candles import CANDLE_COLUMNS, INDEX_NAME

# src/aurumbotx/testing/market.py -> parents[3] is the repository root.
DEFAULT_SHARED_DATA_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data"
DATA_DIR_VARIABLE = "AURUMBOTX_TEST_DATA_DIR"


def shared_data_dir() -> Path:
    """The shared candle folder: $AURUMBOTX_TEST_DATA_DIR, else <repo>/../shared/data."""
    override = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    return Path(override) if override else DEFAULT_SHARED_DATA_DIR


def shared_candles_path(name: str) -> Path:
    """Path of one shared file; `name` with or without the ``.csv.gz`` suffix."""
    file_name = name if name.endswith(".csv.gz") else f"{name}.csv.gz"
    return shared_data_dir() / file_name


def require_shared_file(name: str) -> Path:
    """The path of one shared file; skips the calling test when absent (fails it under CI=true)."""
    path = shared_data_dir() / name
    if not path.is_file():
        # Imported here: the benchmarks use this module's frame helpers without the dev extras.
        import pytest

        from aurumbotx.testing.services import in_ci

        message = f"shared market data not found: {path}"
        if in_ci():
            pytest.fail(f"{message} (required under CI=true)", pytrace=False)
        pytest.skip(message)
    return path


def load_shared_candles(name: str, rows: int | None = None) -> pd.DataFrame:
    """The first `rows` candles (all when None) of a shared file as a candle frame.

    Skips the calling test when the file is absent, fails it instead under CI=true.
    """
    path = require_shared_file(shared_candles_path(name).name)
    raw = pd.read_csv(path, nrows=rows)
    return make_candle_frame(raw, source=path.name)


def make_candle_frame(raw: pd.DataFrame, source: str = "") -> pd.DataFrame:
    """A candle frame from a table with an epoch-millisecond ``timestamp`` column and OHLCV."""
    index = pd.DatetimeIndex(
        pd.to_datetime(raw["timestamp"].to_numpy(dtype=np.int64), unit="ms", utc=True),
        name=INDEX_NAME,
    )
    frame = pd.DataFrame(
        {column: raw[column].to_numpy(dtype=np.float64) for column in CANDLE_COLUMNS},
        index=index,
    )
    parts = source.split("_") if source else []
    if len(parts) == 3 and parts[0] == "binance":
        frame.attrs["pair"] = parts[1].replace("-", "/")
        frame.attrs["timeframe"] = parts[2].split(".")[0]
    if source:
        frame.attrs["source"] = source
    return frame


def write_shared_csv(name: str, rows: int, path: Path) -> Path:
    """The first `rows` candles of a shared file written to `path` in the shared CSV format."""
    frame = load_shared_candles(name, rows=rows)
    out = frame.reset_index()
    out["timestamp"] = out["timestamp"].astype("datetime64[ms, UTC]").astype("int64")
    out.to_csv(path, index=False)
    return path
