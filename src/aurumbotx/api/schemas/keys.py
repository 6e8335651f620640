"""Bodies of `/api/v1/api-keys`: the secret goes in, never out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, SecretStr

from aurumbotx.services.keys import ExchangeKeyInfo


class ApiKeyCreate(BaseModel):
    """`POST /api/v1/api-keys`: an exchange key pair to store encrypted (testnet by default)."""

    exchange: str = Field(default="binance", min_length=1, max_length=20)
    api_key: SecretStr = Field(min_length=1, max_length=512)
    secret_key: SecretStr = Field(min_length=1, max_length=512)
    is_testnet: bool = True


class ApiKeyPublic(BaseModel):
    """A stored key as listings show it: masked, without its secret."""

    id: int
    exchange: str
    is_testnet: bool
    masked_key: str
    is_active: bool
    last_used: datetime | None
    created_at: datetime | None

    @classmethod
    def of(cls, key: ExchangeKeyInfo) -> ApiKeyPublic:
        """From the service's type."""
        return cls(
            id=key.id,
            exchange=key.exchange,
            is_testnet=key.testnet,
            masked_key=key.masked_key,
            is_active=key.active,
            last_used=key.last_used,
            created_at=key.created_at,
        )
