"""Sessions of the API: register, log in, refresh, log out, and who a bearer token is.

`login` checks the password (`users.authenticate`: the same error and about the same time for an
unknown name and a wrong password), then issues an access token and a refresh token that starts
a new family. `refresh` rotates: the presented token is marked used and a new pair is issued in
the same family, which keeps the login's expiry. A used or revoked token presented again revokes
its whole family (whoever holds the newest token of a stolen family loses it too, and must log
in). `logout` revokes the family of the presented refresh token. Access tokens are not stored:
they stay valid until they expire (`jwt_expire_minutes`), which is why they are short-lived.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from aurumbotx.db.engine import session_scope
from aurumbotx.db.repositories.refresh_tokens import RefreshTokenRepository
from aurumbotx.domain.errors import ConfigError, NotFoundError
from aurumbotx.security.ratelimit import RateLimiter, enforce
from aurumbotx.security.tokens import InvalidTokenError, TokenCodec, new_claims, token_hash
from aurumbotx.services.errors import RegistrationClosedError
from aurumbotx.services.users import UserInfo, authenticate, get_user, register_user

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from aurumbotx.services.context import ServiceContext

LOGIN_LIMIT = "login_attempts"
# Without "remember me", a login's refresh tokens last a day at most.
SHORT_SESSION = timedelta(days=1)


@dataclass(frozen=True)
class TokenPair:
    """What a login or a refresh hands out."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: UserInfo
    token_type: str = "bearer"  # noqa: S105 (the OAuth 2 token type, not a secret)


def _codec(ctx: ServiceContext) -> TokenCodec:
    secret = ctx.settings.security.jwt_secret
    if secret is None:
        raise ConfigError("no JWT secret configured (AURUMBOTX_SECURITY__JWT_SECRET)")
    return TokenCodec(secret.get_secret_value())


def _access_lifetime(ctx: ServiceContext) -> timedelta:
    return timedelta(minutes=ctx.settings.security.jwt_expire_minutes)


def _issue(
    ctx: ServiceContext, session: Session, user: UserInfo, family: str, expires_at: datetime
) -> TokenPair:
    """A new access token and a new refresh token of `family` (recorded by its hash)."""
    codec = _codec(ctx)
    now = datetime.now(UTC)
    access = new_claims(user.id, "access", _access_lifetime(ctx), now)
    refresh = replace(new_claims(user.id, "refresh", expires_at - now, now), expires_at=expires_at)
    refresh_token = codec.encode(refresh)
    RefreshTokenRepository(session).add(
        user.id, token_hash(refresh_token), family, refresh.expires_at
    )
    return TokenPair(
        access_token=codec.encode(access),
        refresh_token=refresh_token,
        expires_in=int(_access_lifetime(ctx).total_seconds()),
        user=user,
    )


def register(ctx: ServiceContext, username: str, email: str, password: str) -> UserInfo:
    """Self-service registration, when the settings allow it (RegistrationClosedError)."""
    if not ctx.settings.api.registration_enabled:
        raise RegistrationClosedError
    return register_user(ctx, username, email, password)


def login(
    ctx: ServiceContext,
    username: str,
    password: str,
    *,
    remember_me: bool = False,
    limiter: RateLimiter | None = None,
    client: str = "",
) -> TokenPair:
    """Tokens for a right name and password; attempts limited per name and client address."""
    subject = f"{username.strip().lower()}|{client}"
    if limiter is not None:
        enforce(limiter, subject, LOGIN_LIMIT)
    user = authenticate(ctx, username, password)
    if limiter is not None:
        limiter.reset(subject, LOGIN_LIMIT)
    lifetime = timedelta(days=ctx.settings.security.refresh_expire_days)
    if not remember_me:
        lifetime = min(lifetime, SHORT_SESSION)
    with session_scope(ctx.session_factory) as session:
        expires_at = (datetime.now(UTC) + lifetime).replace(microsecond=0)
        return _issue(ctx, session, user, uuid.uuid4().hex, expires_at)


def refresh(ctx: ServiceContext, refresh_token: str) -> TokenPair:
    """A new pair for a live refresh token; a reused one revokes its family (InvalidTokenError)."""
    claims = _codec(ctx).decode(refresh_token, "refresh")
    now = datetime.now(UTC)
    with session_scope(ctx.session_factory) as session:
        repo = RefreshTokenRepository(session)
        row = repo.get_by_hash(token_hash(refresh_token))
        if row is None or row.user_id != claims.user_id or row.expires_at <= now:
            raise InvalidTokenError
        if repo.mark_used(row.id, now):
            user = user_for_id(ctx, row.user_id)
            return _issue(ctx, session, user, row.family_id, row.expires_at)
        repo.revoke_family(row.family_id, now)
    # Committed above: the revocation must stand although the request fails.
    raise InvalidTokenError("refresh token already used or revoked; log in again")


def logout(ctx: ServiceContext, refresh_token: str) -> None:
    """Revoke the family (the login) of a refresh token; its owner must log in again."""
    claims = _codec(ctx).decode(refresh_token, "refresh")
    with session_scope(ctx.session_factory) as session:
        repo = RefreshTokenRepository(session)
        row = repo.get_by_hash(token_hash(refresh_token))
        if row is None or row.user_id != claims.user_id:
            raise InvalidTokenError
        repo.revoke_family(row.family_id, datetime.now(UTC))


def user_for_id(ctx: ServiceContext, user_id: int) -> UserInfo:
    """The account a valid token names; a deleted account is an invalid token."""
    try:
        return get_user(ctx, user_id)
    except NotFoundError:
        raise InvalidTokenError from None


def user_for_access_token(ctx: ServiceContext, access_token: str) -> UserInfo:
    """The user a bearer access token authenticates (InvalidTokenError otherwise)."""
    return user_for_id(ctx, _codec(ctx).decode(access_token, "access").user_id)
