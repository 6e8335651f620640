"""Data services: import a file (into the store and market_data), list the store, download."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aurumbotx.bootstrap import Container
from aurumbotx.data.frames import frame_ms
from aurumbotx.db.engine import session_scope
from aurumbotx.db.repositories.market_data import MarketDataRepository
from aurumbotx.domain.errors import CandleValidationError, InvalidInputError, NotFoundError
from aurumbotx.services import data
from aurumbotx.testing.candles import make_random_candles
from aurumbotx.testing.emulator import BinanceEmulator, make_ohlcv_source

HOUR = 3_600_000


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    out = frame.reset_index()
    out["timestamp"] = frame_ms(frame)
    out.to_csv(path, index=False)
    return path


def test_import_then_list(ctx: Container, tmp_path: Path) -> None:
    candles = make_random_candles(300, "1h", "2024-01-01")
    file = write_csv(candles, tmp_path / "candles.csv")
    assert data.list_data(ctx).series == ()
    result = data.import_candles(ctx, data.ImportRequest(file, pair="BTC/USDT"))
    assert (result.pair, result.timeframe, result.exchange) == ("BTC/USDT", "1h", "binance")
    assert (result.candles, result.added, result.rows) == (300, 300, 300)
    assert result.path.is_file()
    assert result.database_added is None
    again = data.import_candles(ctx, data.ImportRequest(file, pair="BTC/USDT"))
    assert (again.added, again.rows) == (0, 300)
    listing = data.list_data(ctx)
    assert listing.root == ctx.settings.candle_dir
    ((entry),) = listing.series
    assert (entry.pair, entry.timeframe, entry.rows, entry.gaps) == ("BTC/USDT", "1h", 300, 0)
    assert entry.first == int(frame_ms(candles)[0])


def test_import_into_the_database_too(ctx: Container, tmp_path: Path) -> None:
    file = write_csv(make_random_candles(50, "1h"), tmp_path / "c.csv")
    request = data.ImportRequest(file, pair="ETH/USDT", exchange="kraken", to_database=True)
    result = data.import_candles(ctx, request)
    assert result.database_added == 50
    with session_scope(ctx.session_factory) as session:
        assert MarketDataRepository(session).count("ETH/USDT", "1h") == 50
    assert data.list_data(ctx).series[0].exchange == "kraken"


def test_import_refuses_bad_rows_unless_repaired(ctx: Container, tmp_path: Path) -> None:
    candles = make_random_candles(40, "1h")
    file = write_csv(candles, tmp_path / "c.csv")
    lines = file.read_text().splitlines()
    lines[10] = lines[10].replace(",", ",-", 1)  # a negative open
    file.write_text("\n".join(lines) + "\n")
    with pytest.raises(CandleValidationError, match="--repair drops such rows"):
        data.import_candles(ctx, data.ImportRequest(file, pair="BTC/USDT"))
    assert data.list_data(ctx).series == ()
    repaired = data.import_candles(ctx, data.ImportRequest(file, pair="BTC/USDT", repair=True))
    assert repaired.rows == 39
    assert any("dropped" in line or "invalid" in line for line in repaired.report)


def test_import_needs_a_pair(ctx: Container, tmp_path: Path) -> None:
    file = write_csv(make_random_candles(10, "1h"), tmp_path / "nameless.csv")
    with pytest.raises(InvalidInputError, match="give the file's pair"):
        data.import_candles(ctx, data.ImportRequest(file))


def test_download_from_the_given_source(ctx: Container, binance_emulator: BinanceEmulator) -> None:
    candles = make_random_candles(1200, "1h", "2024-01-01")
    binance_emulator.add_market("BTC/USDT", tick_size="0.01", step_size="0.0001")
    binance_emulator.add_candles("BTC/USDT", "1h", candles)
    source = make_ohlcv_source(binance_emulator.base_url, enableRateLimit=False)
    first = int(frame_ms(candles)[0])
    request = data.DownloadRequest("binance", ("BTC/USDT",), ("1h",), since=first)
    seen: list[int] = []
    outcome = data.download_history(
        ctx, source, request, on_progress=lambda p: seen.append(p.fetched)
    )
    ((result),) = outcome.results
    assert (result.pair, result.added, result.rows) == ("BTC/USDT", 1200, 1200)
    assert seen[-1] == 1200
    assert outcome.market_rules == 1
    assert outcome.store_root == ctx.settings.candle_dir
    assert data.list_data(ctx).series[0].rows == 1200


def test_download_refuses_an_empty_request(ctx: Container) -> None:
    with pytest.raises(InvalidInputError, match="at least one pair"):
        data.download_history(ctx, object(), data.DownloadRequest("binance", ()))
    with pytest.raises(InvalidInputError, match="not after its start"):
        data.download_history(
            ctx, object(), data.DownloadRequest("binance", ("BTC/USDT",), since=HOUR, until=HOUR)
        )


def test_load_candles_from_the_store_or_a_file(ctx: Container, tmp_path: Path) -> None:
    candles = make_random_candles(100, "1h")
    file = write_csv(candles, tmp_path / "binance_SOL-USDT_1h.csv")
    data.import_candles(ctx, data.ImportRequest(file))
    stored = data.load_candles(ctx.settings, ["SOL/USDT"], None, "binance")
    assert list(stored.frames) == ["SOL/USDT"]
    assert stored.timeframe == "1h"
    assert "SOL/USDT" in stored.market_rules
    from_file = data.load_candles(ctx.settings, [str(file)], None, "binance")
    assert list(from_file.frames) == ["SOL/USDT"]
    assert from_file.market_rules == {}
    with pytest.raises(NotFoundError, match="neither a file nor a pair"):
        data.load_candles(ctx.settings, ["DOGE/USDT"], None, "binance")


def test_pair_from_file_name() -> None:
    assert data.pair_from_file_name(Path("binance_BTC-USDT_1h.csv"), "USDT") == "BTC/USDT"
    assert data.pair_from_file_name(Path("ETHUSDT-1h.zip"), "USDT") == "ETH/USDT"
    assert data.pair_from_file_name(Path("prices.csv"), "EUR") == "PRICES/EUR"
