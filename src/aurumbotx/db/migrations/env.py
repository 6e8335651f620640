"""Alembic environment: runs on the connection handed over by `aurumbotx.db.migrate`.

Run `aurumbotx db upgrade` rather than `alembic` directly; for new revisions during development:
`alembic revision --autogenerate -m "..."` from the repository root (alembic.ini) uses the
database URL of the settings.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from aurumbotx.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection, or build one from the settings (alembic CLI)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from aurumbotx.config import get_settings
    from aurumbotx.db.engine import create_db_engine

    engine = create_db_engine(get_settings().database_url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `aurumbotx db upgrade`")
run_migrations_online()
