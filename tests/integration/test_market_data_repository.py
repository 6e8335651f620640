"""MarketDataRepository on SQLite and PostgreSQL: pairs, bulk loads (COPY), upserts, frames."""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from aurumbotx.data.frames import frame_ms
from aurumbotx.db import migrate
from aurumbotx.db.engine import create_db_engine, make_session_factory, session_scope
from aurumbotx.db.models import MarketData
from aurumbotx.db.repositories.market_data import MarketDataRepository
from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import InvalidInputError, NoDataError, NotFoundError
from aurumbotx.domain.markets import MarketRules
from aurumbotx.testing.candles import make_random_candles

RULES = MarketRules("BTC/USDT", Decimal("0.01"), Decimal("0.00001"), Decimal("0.00001"), Decimal(5))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'market.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_register_and_get_pair(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as s:
        repo = MarketDataRepository(s)
        pair = repo.register_pair("btc-usdt", "binance", RULES)
        assert (pair.symbol, pair.base_asset, pair.quote_asset) == ("BTC/USDT", "BTC", "USDT")
        assert (pair.price_precision, pair.quantity_precision) == (2, 5)
        assert pair.min_trade_amount == Decimal("0.00001")
        again = repo.register_pair("BTC/USDT", "binance")
        assert again.id == pair.id
    with session_scope(factory) as s:
        stored = MarketDataRepository(s).get_pair("BTC/USDT")
        assert stored is not None
        assert stored.price_precision == 2
        assert MarketDataRepository(s).get_pair("ETH/USDT") is None


def test_bulk_load_50k_then_reload_inserts_nothing(factory: sessionmaker[Session]) -> None:
    frame = make_random_candles(50_000, "1m", "2024-03-01")
    with session_scope(factory) as s:
        MarketDataRepository(s).register_pair("BTC/USDT", "binance", RULES)
    with session_scope(factory) as s:
        assert MarketDataRepository(s).bulk_load("BTC/USDT", "1m", frame) == 50_000
    with session_scope(factory) as s:
        repo = MarketDataRepository(s)
        assert repo.bulk_load("BTC/USDT", "1m", frame) == 0
        assert repo.count("BTC/USDT", "1m") == 50_000
        # An overlapping frame inserts only its new tail; another timeframe is separate.
        more = make_random_candles(50_100, "1m", "2024-03-01", seed=1).iloc[49_900:]
        assert repo.bulk_load("BTC/USDT", "1m", more) == 100
        assert repo.bulk_load("BTC/USDT", "1h", make_random_candles(24, "1h")) == 24
        assert repo.count("BTC/USDT", "1m") == 50_100
    with session_scope(factory) as s:
        loaded = MarketDataRepository(s).load_frame("BTC/USDT", "1m")
    assert len(loaded) == 50_100
    np.testing.assert_array_equal(frame_ms(loaded)[:50_000], frame_ms(frame))
    # The first load's values stayed (DO NOTHING), exactly: Decimal text of the shortest repr.
    np.testing.assert_array_equal(loaded.iloc[:50_000].to_numpy(), frame.to_numpy())
    assert loaded.attrs["pair"] == "BTC/USDT"


def test_prices_are_exact_decimals(factory: sessionmaker[Session]) -> None:
    frame = make_random_candles(3, "1h")
    frame.iloc[0] = [0.00001234, 0.00001300, 0.00001200, 0.00001250, 123456.789012]
    with session_scope(factory) as s:
        repo = MarketDataRepository(s)
        repo.register_pair("SHIB/USDT", "binance")
        repo.bulk_load("SHIB/USDT", "1h", frame)
    with session_scope(factory) as s:
        row = s.scalars(sa.select(MarketData).order_by(MarketData.timestamp)).first()
        assert row is not None
        assert row.open_price == Decimal("0.00001234")
        assert row.volume == Decimal("123456.789012")
        assert row.timestamp == frame.index[0].to_pydatetime()
        assert row.timestamp.tzinfo is not None


def test_upsert_candle_inserts_then_updates(factory: sessionmaker[Session]) -> None:
    ts = 1_704_067_200_000
    with session_scope(factory) as s:
        repo = MarketDataRepository(s)
        repo.register_pair("ETH/USDT", "binance")
        repo.upsert_candle("ETH/USDT", "1m", Candle("ETH/USDT", ts, 100, 101, 99, 100.5, 3))
        repo.upsert_candle("ETH/USDT", "1m", Candle("ETH/USDT", ts, 100, 102, 98, 101.5, 7))
        repo.upsert_candle(
            "ETH/USDT", "1m", Candle("ETH/USDT", ts + 60_000, 101.5, 102, 101, 101, 1)
        )
    with session_scope(factory) as s:
        frame = MarketDataRepository(s).load_frame("ETH/USDT", "1m")
    assert frame_ms(frame).tolist() == [ts, ts + 60_000]
    assert frame.iloc[0].tolist() == [100.0, 102.0, 98.0, 101.5, 7.0]


def test_load_frame_range_and_errors(factory: sessionmaker[Session]) -> None:
    frame = make_random_candles(48, "1h", "2024-01-01")
    with session_scope(factory) as s:
        repo = MarketDataRepository(s)
        repo.register_pair("BTC/USDT", "binance")
        repo.bulk_load("BTC/USDT", "1h", frame)
        part = repo.load_frame(
            "BTC/USDT", "1h", datetime(2024, 1, 1, 12, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
        )
        assert part.index[0] == pd.Timestamp("2024-01-01 12:00", tz="UTC")
        assert len(part) == 12
        with pytest.raises(NoDataError):
            repo.load_frame("BTC/USDT", "5m")
        with pytest.raises(NotFoundError, match="XRP/USDT is not registered"):
            repo.bulk_load("XRP/USDT", "1h", frame)
        with pytest.raises(InvalidInputError, match="naive datetime"):
            repo.load_frame("BTC/USDT", "1h", datetime(2024, 1, 1))  # noqa: DTZ001
        broken = frame.copy()
        broken.iloc[2, 0] = np.nan
        with pytest.raises(InvalidInputError, match="NaN"):
            repo.bulk_load("BTC/USDT", "1h", broken)
