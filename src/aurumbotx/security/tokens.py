"""JSON Web Tokens for the API: HS256, with exp, iat, jti, sub and type, checked strictly.

An access token authenticates requests; a refresh token only buys a new pair at
`/api/v1/auth/refresh`. Each says which it is in `type`, and `decode` refuses the other kind,
so a (longer-lived) refresh token can never be used as an access token. Every failure (missing,
expired, tampered, wrong type, malformed) is the same InvalidTokenError: the client learns only
that it must log in again.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

from aurumbotx.domain.errors import AurumBotXError

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]
_REQUIRED = ["exp", "iat", "jti", "sub", "type"]


class InvalidTokenError(AurumBotXError):
    """A bearer or refresh token that is missing, expired, tampered with, revoked or misused."""

    exit_code = 2

    def __init__(self, message: str = "invalid or expired token") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class TokenClaims:
    """What a token says: whose it is, which kind, its id and its lifetime."""

    user_id: int
    type: TokenType
    jti: str
    issued_at: datetime
    expires_at: datetime


def new_claims(
    user_id: int, token_type: TokenType, lifetime: timedelta, now: datetime | None = None
) -> TokenClaims:
    """Claims for a fresh token of `user_id`, valid for `lifetime` from `now`."""
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    return TokenClaims(user_id, token_type, uuid.uuid4().hex, issued, issued + lifetime)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a refresh token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenCodec:
    """Signs and verifies tokens with one HMAC secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a JWT secret is required")
        self._secret = secret

    def encode(self, claims: TokenClaims) -> str:
        """The signed token for `claims`."""
        payload = {
            "sub": str(claims.user_id),
            "type": claims.type,
            "jti": claims.jti,
            "iat": int(claims.issued_at.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        """The claims of a valid, unexpired token of the `expected` type (InvalidTokenError)."""
        try:
            payload = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], options={"require": _REQUIRED}
            )
            user_id = int(payload["sub"])
        except (jwt.PyJWTError, ValueError, TypeError):
            raise InvalidTokenError from None
        if payload["type"] != expected or not isinstance(payload["jti"], str):
            raise InvalidTokenError
        return TokenClaims(
            user_id=user_id,
            type=expected,
            jti=payload["jti"],
            issued_at=datetime.fromtimestamp(int(payload["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
        )
