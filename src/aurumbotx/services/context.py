"""What a service needs from the composition root, as a Protocol (bootstrap's Container has it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from aurumbotx.config import Settings
    from aurumbotx.security.crypto import SecretBox


class ServiceContext(Protocol):
    """The adapters of one process: settings, the database, the key box."""

    @property
    def settings(self) -> Settings:
        """The process's settings."""
        ...

    @property
    def engine(self) -> Engine:
        """The database engine."""
        ...

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """Sessions bound to the database."""
        ...

    @property
    def secret_box(self) -> SecretBox:
        """Encryption of exchange keys at rest."""
        ...


def schema_ready(ctx: ServiceContext, *, strict: bool) -> bool:
    """Whether the schema is current; the embedded SQLite one is upgraded here (it is ours).

    Another database not current: its migration error when `strict`, else False.
    """
    from aurumbotx.db import migrate

    engine = ctx.engine
    if migrate.current(engine) != migrate.head():
        if engine.url.get_backend_name() == "sqlite":
            migrate.upgrade(engine)
        elif strict:
            migrate.ensure_current(engine)
        else:
            return False
    return True
