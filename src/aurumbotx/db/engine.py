"""Database engines and sessions, and the ONE place SQLAlchemy errors become ours."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from aurumbotx.domain.errors import (
    AlreadyExistsError,
    ConfigError,
    DatabaseUnavailableError,
    InvalidInputError,
    PersistenceError,
)

SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def parse_database_url(url: str) -> URL:
    """Parse and normalise a database URL (postgresql:// uses psycopg 3), or raise ConfigError."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise ConfigError(
            f"AURUMBOTX_DATABASE__URL is not a valid database URL: {_safe(url)!r} "
            "(expected e.g. sqlite:///var/aurumbotx.db or postgresql://user@host:5432/db)"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"AURUMBOTX_DATABASE__URL uses an unsupported database {backend!r} "
            f"(supported: {', '.join(SUPPORTED_BACKENDS)})"
        )
    if backend == "postgresql" and parsed.get_driver_name() in ("psycopg2", ""):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "postgresql" and not parsed.database:
        raise ConfigError("AURUMBOTX_DATABASE__URL names no database (…/DBNAME at the end)")
    return parsed


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def describe(url: URL) -> str:
    """A URL fit for messages: password hidden."""
    return url.render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def create_db_engine(
    url: str, *, echo: bool = False, pool_size: int = 5, connect_timeout: int = 5
) -> Engine:
    """An Engine for `url`; SQLite files get their directory, WAL and enforced foreign keys."""
    parsed = parse_database_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(
            pool_size=pool_size,
            pool_pre_ping=True,
            connect_args={"connect_timeout": connect_timeout},
        )
    engine = sa.create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def check_connection(engine: Engine) -> None:
    """Connect once, raising DatabaseUnavailableError with a one-line reason."""
    with translate_errors(engine), engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@contextlib.contextmanager
def translate_errors(engine: Engine | None = None) -> Iterator[None]:
    """Map SQLAlchemy/DBAPI errors raised inside the block into the AurumBotX tree."""
    where = f" at {describe(engine.url)}" if engine is not None else ""
    try:
        yield
    except exc.IntegrityError as error:
        reason = _first_line(error)
        if "unique" in reason.lower() or "duplicate" in reason.lower():
            raise AlreadyExistsError(f"already exists: {reason}") from error
        raise InvalidInputError(f"rejected by the database: {reason}") from error
    except (exc.OperationalError, exc.InterfaceError) as error:
        reason = _first_line(error)
        if engine is not None and engine.url.get_backend_name() == "sqlite":
            raise PersistenceError(f"database error{where}: {reason}") from error
        raise DatabaseUnavailableError(f"cannot reach the database{where}: {reason}") from error
    except exc.SQLAlchemyError as error:
        raise PersistenceError(f"database error{where}: {_first_line(error)}") from error


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction: commit on success, roll back on error, errors translated."""
    engine = factory.kw.get("bind")
    with translate_errors(engine if isinstance(engine, Engine) else None):
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
