"""Sessions: login issues a pair, refresh rotates, reuse revokes the family, logout revokes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from aurumbotx.bootstrap import Container
from aurumbotx.db.models import RefreshToken
from aurumbotx.security.ratelimit import (
    Limit,
    MemoryRateLimiterBackend,
    RateLimiter,
    RateLimitExceededError,
)
from aurumbotx.security.tokens import InvalidTokenError, token_hash
from aurumbotx.services import auth
from aurumbotx.services.errors import InvalidCredentialsError, RegistrationClosedError

PASSWORD = "password123"


@pytest.fixture
def alice(ctx: Container) -> int:
    return auth.register(ctx, "alice", "alice@example.com", PASSWORD).id


def _rows(ctx: Container) -> list[RefreshToken]:
    with ctx.session_factory() as session:
        return list(session.scalars(sa.select(RefreshToken).order_by(RefreshToken.id)))


def test_login_stores_only_the_hash_of_the_refresh_token(ctx: Container, alice: int) -> None:
    pair = auth.login(ctx, "alice", PASSWORD)
    assert pair.user.id == alice
    assert auth.user_for_access_token(ctx, pair.access_token).id == alice
    (row,) = _rows(ctx)
    assert row.token_hash == token_hash(pair.refresh_token)
    assert pair.refresh_token not in {row.token_hash, row.family_id}


def test_remember_me_keeps_the_refresh_token_longer(ctx: Container, alice: int) -> None:
    auth.login(ctx, "alice", PASSWORD)
    auth.login(ctx, "alice", PASSWORD, remember_me=True)
    short, long = (row.expires_at - row.issued_at for row in _rows(ctx))
    assert round(short.total_seconds() / 86400) == 1
    assert round(long.total_seconds() / 86400) == ctx.settings.security.refresh_expire_days


def test_rotation_keeps_the_family_and_its_expiry(ctx: Container, alice: int) -> None:
    first = auth.login(ctx, "alice", PASSWORD)
    second = auth.refresh(ctx, first.refresh_token)
    old, new = _rows(ctx)
    assert old.used_at is not None
    assert new.used_at is None
    assert old.family_id == new.family_id
    assert new.expires_at == old.expires_at
    assert auth.user_for_access_token(ctx, second.access_token).id == alice


def test_reuse_revokes_the_whole_family_only(ctx: Container, alice: int) -> None:
    first = auth.login(ctx, "alice", PASSWORD)
    other = auth.login(ctx, "alice", PASSWORD)
    second = auth.refresh(ctx, first.refresh_token)
    with pytest.raises(InvalidTokenError):
        auth.refresh(ctx, first.refresh_token)
    with pytest.raises(InvalidTokenError):
        auth.refresh(ctx, second.refresh_token)
    revoked = {row.family_id for row in _rows(ctx) if row.revoked_at is not None}
    assert len(revoked) == 1
    assert auth.refresh(ctx, other.refresh_token).user.id == alice


def test_logout_revokes_the_login(ctx: Container, alice: int) -> None:
    pair = auth.login(ctx, "alice", PASSWORD)
    auth.logout(ctx, pair.refresh_token)
    with pytest.raises(InvalidTokenError):
        auth.refresh(ctx, pair.refresh_token)


def test_registration_closed(ctx: Container) -> None:
    api = ctx.settings.api.model_copy(update={"registration_enabled": False})
    ctx.settings = ctx.settings.model_copy(update={"api": api})
    with pytest.raises(RegistrationClosedError):
        auth.register(ctx, "bob", "bob@example.com", PASSWORD)


def test_login_attempts_limited_per_name_and_client(ctx: Container, alice: int) -> None:
    now = [1000.0]
    limiter = RateLimiter(
        MemoryRateLimiterBackend(), {"login_attempts": Limit(2, 900)}, clock=lambda: now[0]
    )
    for _ in range(2):
        with pytest.raises(InvalidCredentialsError):
            auth.login(ctx, "alice", "wrong-password", limiter=limiter, client="10.0.0.1")
    with pytest.raises(RateLimitExceededError) as limited:
        auth.login(ctx, "alice", PASSWORD, limiter=limiter, client="10.0.0.1")
    assert limited.value.retry_after == pytest.approx(900)
    assert auth.login(ctx, "alice", PASSWORD, limiter=limiter, client="10.0.0.2").user.id == alice
    now[0] += 901
    assert auth.login(ctx, "alice", PASSWORD, limiter=limiter, client="10.0.0.1").user.id == alice
