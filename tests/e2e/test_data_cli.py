"""`aurumbotx data import` as a user runs it: validation, --repair, --db."""

from pathlib import Path

import pandas as pd
import pytest

from aurumbotx.data.frames import frame_ms
from aurumbotx.data.store import CandleStore
from aurumbotx.testing.candles import make_random_candles
from aurumbotx.testing.cli import assert_one_clear_line, run_cli


@pytest.fixture
def candles() -> pd.DataFrame:
    return make_random_candles(48, "1h", "2024-06-01")


@pytest.fixture
def broken_csv(tmp_path: Path, candles: pd.DataFrame) -> Path:
    """48 candles as CSV; data row 5 has a high below its close, and row 20 is repeated."""
    rows = [
        f"{ts},{r.open!r},{r.high!r},{r.low!r},{r.close!r},{r.volume!r}"
        for ts, r in zip(frame_ms(candles), candles.itertuples(), strict=True)
    ]
    fields = rows[4].split(",")
    fields[2] = "1.0"
    rows[4] = ",".join(fields)
    rows.append(rows[19])
    path = tmp_path / "prices.csv"
    path.write_text("timestamp,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    return path


def test_import_refuses_invalid_rows_then_repairs_and_loads_the_database(
    broken_csv: Path, candles: pd.DataFrame, tmp_path: Path
) -> None:
    data_dir = tmp_path / "store"
    env = {"AURUMBOTX_DATA_DIR": str(data_dir)}
    args = ("data", "import", str(broken_csv), "--pair", "BTC/USDT", "--timeframe", "1h")

    refused = run_cli(*args, env=env)
    assert_one_clear_line(refused, 2, f"{broken_csv}, row 5: high below max(open, close)")
    assert "--repair drops such rows" in refused.stderr
    assert not data_dir.exists()

    assert run_cli("db", "upgrade", env=env).returncode == 0
    repaired = run_cli(*args, "--repair", "--db", env=env)
    assert repaired.returncode == 0, repaired.output
    out = repaired.stdout
    assert "dropped 1 row(s): high below max(open, close) (rows 5)" in out
    assert "dropped 1 row(s): duplicate timestamp (rows 20)" in out
    assert "rows were not in time order: sorted (first out-of-order row: 49)" in out
    assert "47 candles kept of 49 rows read" in out
    assert "imported 47 BTC/USDT 1h candles into" in out
    assert "database: 47 new candles in market_data (0 already there)" in out
    expected = candles.drop(candles.index[4])
    pd.testing.assert_frame_equal(
        CandleStore(data_dir).load("BTC/USDT", "1h"), expected, check_freq=False
    )

    again = run_cli(*args, "--repair", "--db", env=env)
    assert again.returncode == 0, again.output
    assert "0 new, 47 stored" in again.stdout
    assert "database: 0 new candles in market_data (47 already there)" in again.stdout


def test_import_errors_are_one_line(tmp_path: Path, broken_csv: Path) -> None:
    env = {"AURUMBOTX_DATA_DIR": str(tmp_path / "store")}
    missing = run_cli("data", "import", str(tmp_path / "nope.csv"), "--pair", "BTC/USDT", env=env)
    assert_one_clear_line(missing, 3, "no such file")
    no_db = run_cli("data", "import", str(broken_csv), "--pair", "BTC/USDT", "--db", env=env)
    assert_one_clear_line(no_db, 2, "run `aurumbotx db upgrade` first")
    assert not (tmp_path / "store").exists()
