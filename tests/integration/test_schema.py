"""The spec's schema through the migrations, on SQLite and PostgreSQL."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import Session

from aurumbotx.db import migrate
from aurumbotx.db.engine import create_db_engine, make_session_factory, session_scope
from aurumbotx.db.models import (
    SPEC_INDEXES,
    SPEC_TABLES,
    Base,
    MarketData,
    Trade,
    TradingPair,
    User,
)
from aurumbotx.domain.errors import AlreadyExistsError, InvalidInputError


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'schema.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    eng = create_db_engine(url)
    yield eng
    eng.dispose()


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_downgrade_upgrade(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    assert set(SPEC_TABLES) <= _tables(engine)
    assert migrate.current(engine) == migrate.head()
    migrate.downgrade(engine, "base")
    assert _tables(engine) <= {"alembic_version"}
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    assert set(SPEC_TABLES) <= _tables(engine)


def test_migrations_match_models(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_spec_indexes_exist(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    inspector = sa.inspect(engine)
    for name, (table, columns) in SPEC_INDEXES.items():
        found = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes(table)}
        assert found.get(name) == columns, (name, found)


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Session]:
    migrate.upgrade(engine)
    with Session(engine) as s:
        yield s
        s.rollback()


def _user(session: Session, name: str = "alice") -> User:
    user = User(username=name, email=f"{name}@example.com", password_hash="x")
    session.add(user)
    session.flush()
    return user


def _pair(session: Session) -> TradingPair:
    pair = TradingPair(symbol="BTC/USDT", base_asset="BTC", quote_asset="USDT", exchange="binance")
    session.add(pair)
    session.flush()
    return pair


def test_defaults_from_the_database(session: Session) -> None:
    user = _user(session)
    session.refresh(user)
    assert user.premium_status is False
    assert user.login_count == 0
    assert user.total_profit == Decimal(0)
    assert user.risk_tolerance == "medium"
    assert user.preferred_strategy == "swing_trading"
    assert user.notification_preferences == {}
    assert user.kyc_documents == []
    assert user.created_at is not None
    assert user.created_at.tzinfo is not None
    assert abs(user.created_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_unique_username_enforced(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        _user(s)
    with pytest.raises(AlreadyExistsError), session_scope(factory) as s:
        s.add(User(username="alice", email="other@example.com", password_hash="x"))


def test_check_side_enforced(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with (
        pytest.raises(InvalidInputError, match="rejected by the database"),
        session_scope(factory) as s,
    ):
        s.add(Trade(side="HOLD", amount=Decimal(1), price=Decimal(1)))


def test_foreign_keys_enforced(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with pytest.raises(InvalidInputError), session_scope(factory) as s:
        s.add(Trade(side="BUY", amount=Decimal(1), price=Decimal(1), user_id=424242))


@pytest.mark.parametrize("price", ["0.00001234", "123456.78", "0.000000000001", "9999999999999999"])
def test_prices_round_trip_exactly(session: Session, price: str) -> None:
    user = _user(session)
    pair = _pair(session)
    trade = Trade(
        user_id=user.id,
        trading_pair_id=pair.id,
        side="BUY",
        amount=Decimal("0.00012345"),
        price=Decimal(price),
        fees=Decimal("0.000000123456"),
    )
    session.add(trade)
    session.flush()
    session.expire_all()
    stored = session.get(Trade, trade.id)
    assert stored is not None
    assert stored.price == Decimal(price)
    assert stored.amount == Decimal("0.00012345")
    assert stored.fees == Decimal("0.000000123456")
    raw = session.execute(sa.select(Trade.price).where(Trade.id == trade.id)).scalar_one()
    assert raw == Decimal(price)


def test_timestamps_are_aware_utc(session: Session) -> None:
    pair = _pair(session)
    cet = timezone(timedelta(hours=1))
    candle = MarketData(
        trading_pair_id=pair.id,
        timestamp=datetime(2024, 1, 1, 1, 0, tzinfo=cet),
        open_price=Decimal("42283.58"),
        high_price=Decimal("42500"),
        low_price=Decimal("42000"),
        close_price=Decimal("42400.1"),
        volume=Decimal("123.456789"),
        timeframe="1h",
    )
    session.add(candle)
    session.flush()
    session.expire_all()
    stored = session.get(MarketData, candle.id)
    assert stored is not None
    assert stored.timestamp == datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    assert stored.timestamp.utcoffset() == timedelta(0)
    naive = MarketData(
        trading_pair_id=pair.id,
        timestamp=datetime(2024, 1, 1),  # noqa: DTZ001 - the point of the test
        open_price=1,
        high_price=1,
        low_price=1,
        close_price=1,
        volume=1,
        timeframe="1h",
    )
    session.add(naive)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        session.flush()


def test_market_data_unique_per_pair_time_timeframe(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    ts = datetime(2024, 1, 1, tzinfo=UTC)
    with session_scope(factory) as s:
        pair = _pair(s)
        pair_id = pair.id
        for tf in ("1h", "5m"):
            s.add(
                MarketData(
                    trading_pair_id=pair_id,
                    timestamp=ts,
                    open_price=1,
                    high_price=1,
                    low_price=1,
                    close_price=1,
                    volume=1,
                    timeframe=tf,
                )
            )
    with pytest.raises(AlreadyExistsError), session_scope(factory) as s:
        s.add(
            MarketData(
                trading_pair_id=pair_id,
                timestamp=ts,
                open_price=2,
                high_price=2,
                low_price=2,
                close_price=2,
                volume=2,
                timeframe="1h",
            )
        )
