"""`aurumbotx download-data` as a user runs it: the real ccxt library against the emulator."""

import socket
from pathlib import Path

import pandas as pd
import pytest

from aurumbotx.data.frames import frame_ms
from aurumbotx.data.store import CandleStore
from aurumbotx.testing.candles import make_random_candles
from aurumbotx.testing.cli import CliResult, assert_one_clear_line, run_cli
from aurumbotx.testing.emulator import BinanceEmulator

KLINES = "/api/v3/klines"
HOUR = 3_600_000


@pytest.fixture
def btc() -> pd.DataFrame:
    return make_random_candles(2500, "1h", "2024-01-01")


@pytest.fixture
def emulator(binance_emulator: BinanceEmulator, btc: pd.DataFrame) -> BinanceEmulator:
    binance_emulator.add_candles("BTC/USDT", "1h", btc)
    return binance_emulator


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "candles"


def download(emulator_url: str, data_dir: Path, *args: str) -> CliResult:
    env = {"AURUMBOTX_EXCHANGE__BASE_URL": emulator_url, "AURUMBOTX_DATA_DIR": str(data_dir)}
    return run_cli("download-data", *args, env=env, timeout=60)


def klines_starts(emulator: BinanceEmulator, symbol: str = "BTCUSDT") -> list[int]:
    return [
        int(r.params["startTime"])
        for r in emulator.requests(KLINES)
        if r.params["symbol"] == symbol
    ]


def test_download_paginates_several_pairs_and_timeframes(
    emulator: BinanceEmulator, btc: pd.DataFrame, data_dir: Path
) -> None:
    emulator.add_candles("ETH/USDT", "1h", make_random_candles(300, "1h", "2024-01-01", seed=2))
    emulator.add_candles("BTC/USDT", "5m", make_random_candles(300, "5m", "2024-01-01", seed=3))
    emulator.add_candles("ETH/USDT", "5m", make_random_candles(300, "5m", "2024-01-01", seed=4))
    result = download(
        emulator.base_url,
        data_dir,
        "--pairs",
        "BTC/USDT",
        "ETH/USDT",
        "--timeframes",
        "1h",
        "5m",
        "--since",
        "2024-01-01",
    )
    assert result.returncode == 0, result.output
    ts = frame_ms(btc)
    assert klines_starts(emulator) == [int(ts[0]), int(ts[1000]), int(ts[2000]), int(ts[0])]
    store = CandleStore(data_dir)
    pd.testing.assert_frame_equal(store.load("BTC/USDT", "1h"), btc, check_freq=False)
    assert [(e.pair, e.timeframe, e.rows) for e in store.entries()] == [
        ("BTC/USDT", "5m", 300),
        ("BTC/USDT", "1h", 2500),
        ("ETH/USDT", "5m", 300),
        ("ETH/USDT", "1h", 300),
    ]
    assert "│ binance  │ BTC/USDT │ 1h        │ 2500 │ 2500 │ 2024-01-01 00:00" in result.stdout
    rules = store.market_rules("binance", "ETH/USDT")
    assert rules is not None
    assert str(rules.price_tick) == "0.01"

    listed = run_cli("data", "list", env={"AURUMBOTX_DATA_DIR": str(data_dir)})
    assert listed.returncode == 0, listed.output
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert [
        "binance",
        "BTC/USDT",
        "1h",
        "2024-01-01",
        "00:00",
        "2024-04-14",
        "03:00",
        "2500",
        "0",
    ] in (rows)


def test_rate_limit_retry_after_is_waited_out(emulator: BinanceEmulator, data_dir: Path) -> None:
    emulator.rate_limit_next(1, retry_after=1, path=KLINES)
    result = download(emulator.base_url, data_dir, "--pairs", "BTC/USDT", "--since", "2024-01-01")
    assert result.returncode == 0, result.output
    assert "retry 1 in 1.0 s: rate limited by the exchange" in result.stdout
    calls = emulator.requests(KLINES)
    assert [c.status for c in calls] == [429, 200, 200, 200]
    assert calls[1].time - calls[0].time >= 1.0
    assert calls[1].params["startTime"] == calls[0].params["startTime"]
    assert len(CandleStore(data_dir).load("BTC/USDT", "1h")) == 2500


def test_interrupted_download_keeps_a_valid_file_and_resumes(
    emulator: BinanceEmulator, btc: pd.DataFrame, data_dir: Path
) -> None:
    emulator.drop_next(None, path=KLINES, skip=2)  # connections drop after two pages
    args = ("--pairs", "BTC/USDT", "--timeframes", "1h", "--since", "2024-01-01", "--retries", "2")
    failed = download(emulator.base_url, data_dir, *args)
    line = assert_one_clear_line(failed, 1, "download of BTC/USDT 1h from binance stopped")
    assert "2000 new candles kept (the store holds up to 2024-03-24 07:00)" in line
    assert line.endswith("run again to resume")
    store = CandleStore(data_dir)
    pd.testing.assert_frame_equal(store.load("BTC/USDT", "1h"), btc.iloc[:2000], check_freq=False)
    assert not [p for p in (data_dir / "binance").iterdir() if p.suffix == ".tmp"]

    emulator.clear_faults()
    emulator.clear_requests()
    resumed = download(emulator.base_url, data_dir, *args)
    assert resumed.returncode == 0, resumed.output
    assert klines_starts(emulator) == [int(frame_ms(btc)[2000])]  # only the missing part
    pd.testing.assert_frame_equal(store.load("BTC/USDT", "1h"), btc, check_freq=False)


def test_offline_exchange_is_one_line_and_writes_nothing(data_dir: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"  # nothing listens here any more
    result = download(
        url, data_dir, "--pairs", "BTC/USDT", "--since", "2024-01-01", "--retries", "2"
    )
    line = assert_one_clear_line(result, 1, "cannot load the markets of binance")
    assert "(gave up after 2 attempts)" in line
    assert not data_dir.exists()


def test_unknown_pair_and_bad_dates(emulator: BinanceEmulator, data_dir: Path) -> None:
    unknown = download(
        emulator.base_url, data_dir, "--pairs", "BTC/USDT", "DOGE/USDT", "--since", "2024-01-01"
    )
    assert_one_clear_line(unknown, 2, "unknown pair(s) on binance: DOGE/USDT")
    assert emulator.requests(KLINES) == []
    bad_date = download(emulator.base_url, data_dir, "--pairs", "BTC/USDT", "--since", "2024-13-45")
    assert_one_clear_line(bad_date, 2, "--since: not a date: '2024-13-45'")
    assert not (data_dir / "binance" / "BTC-USDT-1h.parquet").exists()
