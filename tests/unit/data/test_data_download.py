"""Incremental, resumable downloads through our ccxt source against the emulator (in-process)."""

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from aurumbotx.data.download import DownloadProgress, download_candles, download_many, load_markets
from aurumbotx.data.frames import frame_ms
from aurumbotx.data.store import CandleStore
from aurumbotx.domain.errors import InvalidInputError, TemporaryExchangeError
from aurumbotx.domain.retry import RetryPolicy
from aurumbotx.execution.ccxt.ohlcv import CcxtOhlcvSource
from aurumbotx.testing.candles import make_random_candles
from aurumbotx.testing.emulator import BinanceEmulator, make_ohlcv_source

HOUR = 3_600_000
KLINES = "/api/v3/klines"
NO_WAIT = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.01)


@pytest.fixture
def candles() -> pd.DataFrame:
    return make_random_candles(2500, "1h", "2024-01-01")


@pytest.fixture
def emulator(binance_emulator: BinanceEmulator, candles: pd.DataFrame) -> BinanceEmulator:
    binance_emulator.add_market("BTC/USDT", tick_size="0.01", step_size="0.0001")
    binance_emulator.add_candles("BTC/USDT", "1h", candles)
    return binance_emulator


@pytest.fixture
def exchange(emulator: BinanceEmulator) -> CcxtOhlcvSource:
    return make_ohlcv_source(emulator.base_url, enableRateLimit=False)


@pytest.fixture
def store(tmp_path: Path) -> CandleStore:
    return CandleStore(tmp_path / "data")


def after(candles: pd.DataFrame) -> int:
    """A clock just after the last candle closed."""
    return int(frame_ms(candles)[-1]) + HOUR


def starts(emulator: BinanceEmulator) -> list[int]:
    return [int(r.params["startTime"]) for r in emulator.requests(KLINES)]


def test_first_download_pages_and_saves_rules(
    emulator: BinanceEmulator, exchange: CcxtOhlcvSource, store: CandleStore, candles: pd.DataFrame
) -> None:
    ts = frame_ms(candles)
    seen: list[DownloadProgress] = []
    result = download_candles(
        exchange,
        store,
        "BTC/USDT",
        "1h",
        since=int(ts[0]),
        progress=seen.append,
        retry=NO_WAIT,
        pages_per_write=2,
        now_ms=lambda: after(candles),
    )
    assert (result.added, result.pages, result.rows, result.gaps) == (2500, 3, 2500, 0)
    pd.testing.assert_frame_equal(store.load("BTC/USDT", "1h"), candles, check_freq=False)
    assert starts(emulator) == [int(ts[0]), int(ts[1000]), int(ts[2000])]
    assert {r.params["limit"] for r in emulator.requests(KLINES)} == {"1000"}
    assert [p.fetched for p in seen] == [1000, 2000, 2500, 2500]
    assert seen[-1].done
    rules = store.market_rules("binance", "BTC/USDT")
    assert rules is not None
    assert rules.amount_step == Decimal("0.0001")


def test_incremental_after_and_before_what_is_stored(
    emulator: BinanceEmulator, exchange: CcxtOhlcvSource, store: CandleStore, candles: pd.DataFrame
) -> None:
    ts = frame_ms(candles)
    store.save("BTC/USDT", "1h", candles.iloc[1000:1500])
    emulator.clear_requests()
    result = download_candles(
        exchange,
        store,
        "BTC/USDT",
        "1h",
        since=int(ts[500]),
        retry=NO_WAIT,
        now_ms=lambda: after(candles),
    )
    # Before the first stored candle: 500..999; after the last: 1500..2499 (one page each).
    assert starts(emulator) == [int(ts[500]), int(ts[1500])]
    ends = [int(r.params["endTime"]) for r in emulator.requests(KLINES)]
    assert ends[0] == int(ts[1000]) - 1
    assert (result.added, result.rows, result.first) == (1500, 2000, int(ts[500]))
    emulator.clear_requests()
    again = download_candles(
        exchange, store, "BTC/USDT", "1h", since=int(ts[500]), now_ms=lambda: after(candles)
    )
    assert (again.added, again.pages) == (0, 0)
    assert emulator.requests(KLINES) == []


def test_the_still_open_candle_is_not_stored(
    exchange: CcxtOhlcvSource, store: CandleStore, candles: pd.DataFrame
) -> None:
    ts = frame_ms(candles)
    now = int(ts[99]) + HOUR // 2  # halfway through candle 99
    result = download_candles(
        exchange, store, "BTC/USDT", "1h", since=int(ts[0]), now_ms=lambda: now
    )
    assert result.rows == 99
    assert result.last == int(ts[98])


def test_until_bounds_the_range(
    emulator: BinanceEmulator, exchange: CcxtOhlcvSource, store: CandleStore, candles: pd.DataFrame
) -> None:
    ts = frame_ms(candles)
    result = download_candles(
        exchange,
        store,
        "BTC/USDT",
        "1h",
        since=int(ts[0]),
        until=int(ts[1200]),
        now_ms=lambda: after(candles),
    )
    assert (result.rows, result.last) == (1200, int(ts[1199]))
    assert emulator.requests(KLINES)[-1].params["endTime"] == str(int(ts[1200]) - 1)


def test_interrupted_download_keeps_pages_and_resumes(
    emulator: BinanceEmulator, exchange: CcxtOhlcvSource, store: CandleStore, candles: pd.DataFrame
) -> None:
    ts = frame_ms(candles)
    emulator.fail_after(2, status=500, path=KLINES)
    with pytest.raises(TemporaryExchangeError) as caught:
        download_candles(
            exchange,
            store,
            "BTC/USDT",
            "1h",
            since=int(ts[0]),
            retry=NO_WAIT,
            now_ms=lambda: after(candles),
        )
    message = str(caught.value)
    assert message.startswith("download of BTC/USDT 1h from binance stopped: exchange unavailable")
    assert "(gave up after 3 attempts); 2000 new candles kept" in message
    assert "run again to resume" in message
    assert len(store.load("BTC/USDT", "1h")) == 2000
    emulator.clear_faults()
    emulator.clear_requests()
    result = download_candles(
        exchange, store, "BTC/USDT", "1h", since=int(ts[0]), now_ms=lambda: after(candles)
    )
    assert starts(emulator) == [int(ts[2000])]
    assert (result.added, result.rows) == (500, 2500)
    pd.testing.assert_frame_equal(store.load("BTC/USDT", "1h"), candles, check_freq=False)


def test_rate_limit_is_waited_out(
    emulator: BinanceEmulator, exchange: CcxtOhlcvSource, store: CandleStore, candles: pd.DataFrame
) -> None:
    slept: list[float] = []
    emulator.rate_limit_next(1, retry_after=7, path=KLINES)
    result = download_candles(
        exchange,
        store,
        "BTC/USDT",
        "1h",
        since=int(frame_ms(candles)[0]),
        retry=RetryPolicy(attempts=3, sleep=slept.append),
        now_ms=lambda: after(candles),
    )
    assert slept == [7.0]
    assert result.rows == 2500
    assert [r.status for r in emulator.requests(KLINES)] == [429, 200, 200, 200]


def test_bad_input_is_refused_before_downloading(
    emulator: BinanceEmulator, exchange: CcxtOhlcvSource, store: CandleStore
) -> None:
    with pytest.raises(InvalidInputError, match=r"unknown pair\(s\) on binance: DOGE/USDT"):
        download_many(exchange, store, ["BTC/USDT", "DOGE/USDT"], ["1h"], retry=NO_WAIT)
    with pytest.raises(InvalidInputError, match="binance has no 7m candles"):
        download_candles(exchange, store, "BTC/USDT", "7m", since=0)
    with pytest.raises(InvalidInputError, match="give a start date"):
        download_candles(exchange, store, "BTC/USDT", "1h")
    assert emulator.requests(KLINES) == []
    assert store.entries() == []


def test_offline_exchange_is_one_error_and_writes_nothing(store: CandleStore) -> None:
    exchange = make_ohlcv_source("http://127.0.0.1:9", enableRateLimit=False)
    with pytest.raises(TemporaryExchangeError) as caught:
        load_markets(exchange, store, retry=NO_WAIT)
    assert str(caught.value).startswith("cannot load the markets of binance: exchange unavailable")
    assert "\n" not in str(caught.value)
    assert not store.root.exists()
