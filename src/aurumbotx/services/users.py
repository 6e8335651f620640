"""Users and login: register an account, authenticate it, list accounts, find one by name.

`register_user(ctx, username, email, password) -> UserInfo` validates and stores a bcrypt hash;
`authenticate(ctx, username, password) -> UserInfo` checks a password (InvalidCredentialsError,
the same for an unknown name and a wrong password) and counts the login; `list_users` and
`user_id_named` serve the operator's CLI. Results are `UserInfo`, never ORM rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aurumbotx.db.engine import session_scope
from aurumbotx.db.repositories.users import UserRepository, create_user
from aurumbotx.domain.errors import NotFoundError
from aurumbotx.security.accounts import NewUser
from aurumbotx.security.passwords import verify_password
from aurumbotx.services.errors import InvalidCredentialsError

if TYPE_CHECKING:
    from aurumbotx.db.models import User
    from aurumbotx.services.context import ServiceContext

# Checked when the username is unknown, so that a miss costs as long as a wrong password.
_DUMMY_HASH = "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5Fh8R0zJ9Bq8vX0W6lXkXq8pR0C9G5e"


@dataclass(frozen=True)
class UserInfo:
    """A user account as the services show it (no password hash)."""

    id: int
    username: str
    email: str
    created_at: datetime | None
    last_login: datetime | None
    login_count: int
    total_trades: int


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        email=user.email,
        created_at=user.created_at,
        last_login=user.last_login,
        login_count=user.login_count or 0,
        total_trades=user.total_trades or 0,
    )


def check_new_user(username: str, email: str) -> None:
    """Validate a username and an email before a password is asked for (InvalidInputError)."""
    NewUser.validated(username, email, "x" * 8)


def register_user(ctx: ServiceContext, username: str, email: str, password: str) -> UserInfo:
    """Create a user (InvalidInputError for bad fields, AlreadyExistsError for a taken name)."""
    request = NewUser.validated(username, email, password)
    with session_scope(ctx.session_factory) as session:
        return _info(create_user(session, request))


def authenticate(ctx: ServiceContext, username: str, password: str) -> UserInfo:
    """The user whose name and password these are; counts the login (InvalidCredentialsError)."""
    with session_scope(ctx.session_factory) as session:
        user = UserRepository(session).get_by_username(username.strip())
        if user is None:
            verify_password(password, _DUMMY_HASH)
            raise InvalidCredentialsError
        if not verify_password(password, user.password_hash):
            raise InvalidCredentialsError
        user.last_login = datetime.now(UTC)
        user.login_count = (user.login_count or 0) + 1
        session.flush()
        return _info(user)


def get_user(ctx: ServiceContext, user_id: int) -> UserInfo:
    """The acting user's own account (NotFoundError when it no longer exists)."""
    with session_scope(ctx.session_factory) as session:
        user = UserRepository(session).get(user_id)
        if user is None:
            raise NotFoundError(f"no user with id {user_id}")
        return _info(user)


def list_users(ctx: ServiceContext) -> list[UserInfo]:
    """Every account, oldest first (an operator's view: the CLI, not the API)."""
    with session_scope(ctx.session_factory) as session:
        return [_info(user) for user in UserRepository(session).list()]


def user_id_named(ctx: ServiceContext, username: str) -> int:
    """The id of the user named `username` (case-insensitive), or NotFoundError."""
    with session_scope(ctx.session_factory) as session:
        user = UserRepository(session).get_by_username(username)
        if user is None:
            raise NotFoundError(f"no user named {username!r} (see `aurumbotx users list`)")
        return user.id
