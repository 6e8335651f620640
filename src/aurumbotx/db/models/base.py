"""Declarative base with deterministic constraint names (needed by the migrations)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from aurumbotx.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NOW = sa.func.current_timestamp()


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names (needed for migrations)."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def created_column() -> Mapped[datetime]:
    """A `created_at` column filled by the database."""
    return mapped_column(UTCDateTime(), server_default=NOW, nullable=True)
