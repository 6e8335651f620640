"""Exchange API keys of a user: add, list (masked, never the secret), delete.

Keys are encrypted at rest with the context's `secret_box`. Every operation takes the acting
user's id: another user's key is "not found", with the message of a missing one. A caller that
can reach the exchange passes `check` to `add_key` to verify the pair before it is stored (the
services never import ccxt).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from aurumbotx.db.engine import session_scope
from aurumbotx.db.models import ApiKey, Bot
from aurumbotx.db.repositories.api_keys import ApiKeyRepository, ExchangeCredentials
from aurumbotx.domain.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from aurumbotx.services.context import ServiceContext

KeyCheck = Callable[[ExchangeCredentials], None]


@dataclass(frozen=True)
class ExchangeKeyInfo:
    """A stored key as listings show it: the API key masked, the secret never."""

    id: int
    user_id: int
    exchange: str
    testnet: bool
    masked_key: str
    active: bool
    last_used: datetime | None
    created_at: datetime | None


def _info(repo: ApiKeyRepository, row: ApiKey) -> ExchangeKeyInfo:
    return ExchangeKeyInfo(
        id=row.id,
        user_id=row.user_id or 0,
        exchange=row.exchange,
        testnet=bool(row.is_testnet),
        masked_key=repo.masked_key(row),
        active=bool(row.is_active),
        last_used=row.last_used,
        created_at=row.created_at,
    )


def add_key(
    ctx: ServiceContext,
    user_id: int,
    exchange: str,
    api_key: str,
    secret: str,
    *,
    testnet: bool = True,
    check: KeyCheck | None = None,
) -> ExchangeKeyInfo:
    """Store a key pair encrypted (one per exchange and net); `check` may verify it first."""
    if check is not None:
        check(ExchangeCredentials(0, exchange, api_key.strip(), secret.strip(), testnet))
    with session_scope(ctx.session_factory) as session:
        repo = ApiKeyRepository(session, ctx.secret_box)
        return _info(repo, repo.add(user_id, exchange, api_key, secret, testnet=testnet))


def list_keys(ctx: ServiceContext, user_id: int) -> list[ExchangeKeyInfo]:
    """The user's keys, oldest first, masked."""
    with session_scope(ctx.session_factory) as session:
        repo = ApiKeyRepository(session, ctx.secret_box)
        return [_info(repo, row) for row in repo.list(user_id)]


def delete_key(ctx: ServiceContext, user_id: int, key_id: int) -> ExchangeKeyInfo:
    """Delete one of the user's keys; refused while a bot of theirs is tied to it."""
    with session_scope(ctx.session_factory) as session:
        row = session.get(ApiKey, key_id)
        if row is None or row.user_id != user_id:
            raise NotFoundError(f"no API key with id {key_id}")
        bots = session.scalars(sa.select(Bot.id).where(Bot.api_key_id == key_id)).all()
        if bots:
            listed = ", ".join(str(b) for b in bots)
            raise InvalidInputError(
                f"API key {key_id} is used by bot(s) {listed}: delete them first"
            )
        info = _info(ApiKeyRepository(session, ctx.secret_box), row)
        session.delete(row)
        session.flush()
        return info
