"""Exchange key services: add (optionally checked), list masked, delete; owners only."""

from __future__ import annotations

import pytest

from aurumbotx.bootstrap import Container
from aurumbotx.db.engine import session_scope
from aurumbotx.db.repositories.api_keys import ApiKeyRepository, ExchangeCredentials
from aurumbotx.domain.errors import AlreadyExistsError, AuthenticationError, NotFoundError
from aurumbotx.services import keys

API_KEY = "abcdefghijklmnop"
SECRET = "the-secret-value-42"


def test_a_key_is_stored_encrypted_and_listed_masked(
    ctx: Container, users: tuple[int, int]
) -> None:
    alice, _ = users
    added = keys.add_key(ctx, alice, "binance", API_KEY, SECRET, testnet=True)
    assert (added.user_id, added.exchange, added.testnet, added.masked_key) == (
        alice,
        "binance",
        True,
        "abcd…mnop",
    )
    listed = keys.list_keys(ctx, alice)
    assert listed == [added]
    assert SECRET not in repr(listed)
    assert API_KEY not in repr(listed)
    with session_scope(ctx.session_factory) as session:
        used = ApiKeyRepository(session, ctx.secret_box).decrypt_for_use(alice, "binance")
    assert (used.api_key, used.secret) == (API_KEY, SECRET)
    with pytest.raises(AlreadyExistsError):
        keys.add_key(ctx, alice, "binance", API_KEY, SECRET, testnet=True)


def test_a_check_sees_the_pair_and_a_refusal_stores_nothing(
    ctx: Container, users: tuple[int, int]
) -> None:
    alice, _ = users
    seen: list[ExchangeCredentials] = []

    def refuse(creds: ExchangeCredentials) -> None:
        seen.append(creds)
        raise AuthenticationError("invalid API key")

    with pytest.raises(AuthenticationError):
        keys.add_key(ctx, alice, "binance", API_KEY, SECRET, check=refuse)
    assert [(c.api_key, c.secret, c.is_testnet) for c in seen] == [(API_KEY, SECRET, True)]
    assert keys.list_keys(ctx, alice) == []


def test_only_the_owner_sees_and_deletes_a_key(ctx: Container, users: tuple[int, int]) -> None:
    alice, bob = users
    key = keys.add_key(ctx, alice, "binance", API_KEY, SECRET)
    assert keys.list_keys(ctx, bob) == []
    with pytest.raises(NotFoundError) as other:
        keys.delete_key(ctx, bob, key.id)
    with pytest.raises(NotFoundError) as missing:
        keys.delete_key(ctx, alice, key.id + 99)
    assert str(other.value) == f"no API key with id {key.id}"
    assert str(missing.value) == f"no API key with id {key.id + 99}"
    assert keys.list_keys(ctx, alice) == [key]
    assert keys.delete_key(ctx, alice, key.id) == key
    assert keys.list_keys(ctx, alice) == []
