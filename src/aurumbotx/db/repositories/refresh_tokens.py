"""`refresh_tokens` rows: issue, find by hash, mark used, revoke a family."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aurumbotx.db.models import RefreshToken


class RefreshTokenRepository:
    """Reads and writes `refresh_tokens` rows inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user_id: int, token_hash: str, family_id: str, expires_at: datetime) -> None:
        """Record an issued token by its hash."""
        self.session.add(
            RefreshToken(
                user_id=user_id,
                token_hash=token_hash,
                family_id=family_id,
                expires_at=expires_at,
            )
        )
        self.session.flush()

    def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        """The token with this hash, if it was ever issued."""
        return self.session.scalar(
            sa.select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        )

    def mark_used(self, token_id: int, now: datetime) -> bool:
        """Mark a live token used, atomically: False when it already was, or was revoked."""
        result = self.session.execute(
            sa.update(RefreshToken)
            .where(
                RefreshToken.id == token_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def revoke_family(self, family_id: str, now: datetime) -> int:
        """Revoke every token of a family not yet revoked; how many were."""
        result = self.session.execute(
            sa.update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)
