"""`refresh_tokens`: the API's refresh tokens, stored hashed, in rotation families (0006).

A login starts a family; each refresh marks its token used and issues the next one in the same
family. A used token presented again means it was stolen (or replayed): the whole family is
revoked. Only the SHA-256 of a token is stored, so a copy of the table logs nobody in.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from aurumbotx.db.models.base import NOW, Base
from aurumbotx.db.types import UTCDateTime


class RefreshToken(Base):
    """One issued refresh token of a user, by its hash, with its family and its fate."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        sa.Index("idx_refresh_tokens_family", "family_id"),
        sa.Index("idx_refresh_tokens_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    family_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=NOW, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
