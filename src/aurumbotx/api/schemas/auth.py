"""Bodies of `/api/v1/auth/*` and `/api/v1/users/me`: the spec's names."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from aurumbotx.services.auth import TokenPair
from aurumbotx.services.users import UserInfo


class UserCreate(BaseModel):
    """`POST /api/v1/auth/register`."""

    username: str = Field(min_length=1, max_length=50)
    email: str = Field(min_length=3, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class UserPublic(BaseModel):
    """A user as the API shows it (the spec's `User`; never the password hash)."""

    id: int
    username: str
    email: str
    created_at: datetime | None
    last_login: datetime | None
    login_count: int
    total_trades: int

    @classmethod
    def of(cls, user: UserInfo) -> UserPublic:
        """From the service's type."""
        return cls(
            id=user.id,
            username=user.username,
            email=user.email,
            created_at=user.created_at,
            last_login=user.last_login,
            login_count=user.login_count,
            total_trades=user.total_trades,
        )


class LoginRequest(BaseModel):
    """`POST /api/v1/auth/login` (the spec's body)."""

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)
    remember_me: bool = False


class RefreshRequest(BaseModel):
    """`POST /api/v1/auth/refresh` and `/logout`: the refresh token of the login."""

    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenResponse(BaseModel):
    """A login's or a refresh's tokens (the spec's fields, plus `token_type`)."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int = Field(description="Seconds until the access token expires")
    user_info: UserPublic

    @classmethod
    def of(cls, pair: TokenPair) -> TokenResponse:
        """From the service's type."""
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            token_type=pair.token_type,
            expires_in=pair.expires_in,
            user_info=UserPublic.of(pair.user),
        )
