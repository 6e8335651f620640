"""Schema migrations (Alembic) driven from code: `aurumbotx db upgrade | downgrade | current`."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Engine

from aurumbotx.db.engine import translate_errors
from aurumbotx.domain.errors import InvalidInputError


def alembic_config(engine: Engine) -> Config:
    """An Alembic Config pointing at our migrations, bound to no URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(files("aurumbotx.db") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def _run(engine: Engine, action: str, revision: str) -> None:
    cfg = alembic_config(engine)
    with translate_errors(engine), engine.begin() as conn:
        cfg.attributes["connection"] = conn
        try:
            if action == "upgrade":
                command.upgrade(cfg, revision)
            else:
                command.downgrade(cfg, revision)
        except CommandError as error:
            raise InvalidInputError(f"cannot {action} to {revision!r}: {error}") from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str = "-1") -> None:
    """Revert migrations down to `revision` ('base' removes every table)."""
    _run(engine, "downgrade", revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with translate_errors(engine), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    """The newest revision shipped with this version."""
    script = ScriptDirectory(str(files("aurumbotx.db") / "migrations"))
    rev = script.get_current_head()
    assert rev is not None  # noqa: S101 - we ship at least one migration
    return rev


def ensure_current(engine: Engine) -> None:
    """Raise InvalidInputError unless the schema is at the newest revision."""
    rev = current(engine)
    if rev != head():
        state = "empty" if rev is None else f"at revision {rev}"
        raise InvalidInputError(
            f"the database schema is {state}, not {head()}: run `aurumbotx db upgrade` first"
        )
