"""`api_keys` rows: a user's exchange credentials, encrypted at rest (never returned in clear).

Only `decrypt_for_use` returns the secret values, for the one place that opens an exchange
connection; listings expose ids, exchange, testnet flag and a masked key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aurumbotx.db.models import ApiKey
from aurumbotx.domain.errors import AlreadyExistsError, InvalidInputError, NotFoundError


class SecretCipher(Protocol):
    """Encryption of secrets at rest (`security/crypto.py`'s SecretBox is the real one)."""

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext (text) of `plaintext`."""
        ...

    def decrypt(self, ciphertext: str) -> str:
        """Plaintext of `ciphertext`."""
        ...


@dataclass(frozen=True)
class ExchangeCredentials:
    """Decrypted credentials; kept in memory only, never logged (repr is masked)."""

    key_id: int
    exchange: str
    api_key: str
    secret: str
    is_testnet: bool

    def __repr__(self) -> str:
        return f"ExchangeCredentials(key_id={self.key_id}, exchange={self.exchange!r}, ***)"


def mask(api_key: str) -> str:
    """'abcd…wxyz' for display."""
    return f"{api_key[:4]}…{api_key[-4:]}" if len(api_key) > 10 else "***"


class ApiKeyRepository:
    """Encrypted exchange keys of users."""

    def __init__(self, session: Session, box: SecretCipher) -> None:
        self.session = session
        self.box = box

    def add(
        self, user_id: int, exchange: str, api_key: str, secret: str, *, testnet: bool
    ) -> ApiKey:
        """Store a key pair encrypted; one per user, exchange and testnet flag."""
        if not api_key.strip() or not secret.strip():
            raise InvalidInputError("an API key and a secret are both required")
        taken = self.session.scalar(
            sa.select(ApiKey.id).where(
                ApiKey.user_id == user_id, ApiKey.exchange == exchange, ApiKey.is_testnet == testnet
            )
        )
        if taken is not None:
            kind = "testnet " if testnet else ""
            raise AlreadyExistsError(f"this user already has a {kind}{exchange} key (id {taken})")
        row = ApiKey(
            user_id=user_id,
            exchange=exchange,
            api_key_encrypted=self.box.encrypt(api_key.strip()),
            secret_key_encrypted=self.box.encrypt(secret.strip()),
            is_testnet=testnet,
            is_active=True,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def list(self, user_id: int) -> Sequence[ApiKey]:
        """The user's keys (encrypted columns stay encrypted)."""
        return self.session.scalars(
            sa.select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id)
        ).all()

    def masked_key(self, row: ApiKey) -> str:
        """The API key, masked, for listings."""
        return mask(self.box.decrypt(row.api_key_encrypted))

    def decrypt_for_use(
        self, user_id: int, exchange: str, key_id: int | None = None, testnet: bool | None = None
    ) -> ExchangeCredentials:
        """The user's active key for `exchange` (a given id, or the testnet flag), decrypted."""
        query = sa.select(ApiKey).where(
            ApiKey.user_id == user_id, ApiKey.exchange == exchange, ApiKey.is_active.is_(True)
        )
        if key_id is not None:
            query = query.where(ApiKey.id == key_id)
        if testnet is not None:
            query = query.where(ApiKey.is_testnet == testnet)
        row = self.session.scalars(query.order_by(ApiKey.id)).first()
        if row is None:
            kind = "testnet " if testnet else ""
            raise NotFoundError(
                f"no active {kind}{exchange} API key for this user: add one with "
                "`aurumbotx keys add`"
            )
        row.last_used = datetime.now(UTC)
        return ExchangeCredentials(
            key_id=row.id,
            exchange=exchange,
            api_key=self.box.decrypt(row.api_key_encrypted),
            secret=self.box.decrypt(row.secret_key_encrypted),
            is_testnet=bool(row.is_testnet),
        )
