"""Users table access."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aurumbotx.db.models import User
from aurumbotx.domain.errors import AlreadyExistsError


class NewUserRequest(Protocol):
    """A validated new user (`security/accounts.py`'s NewUser): fields and a password hash."""

    @property
    def username(self) -> str:
        """The login name."""
        ...

    @property
    def email(self) -> str:
        """The normalised email address."""
        ...

    @property
    def password_hash(self) -> str:
        """The hash to store (bcrypt)."""
        ...


class UserRepository:
    """Reads and writes `users` rows inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, username: str, email: str, password_hash: str) -> User:
        """Insert a user; AlreadyExistsError when the username or email is taken."""
        existing = self.session.execute(
            sa.select(User.username, User.email).where(
                (sa.func.lower(User.username) == username.lower())
                | (sa.func.lower(User.email) == email.lower())
            )
        ).first()
        if existing is not None:
            what = "username" if existing.username.lower() == username.lower() else "email"
            raise AlreadyExistsError(f"a user with this {what} already exists")
        user = User(username=username, email=email, password_hash=password_hash)
        self.session.add(user)
        self.session.flush()
        return user

    def get_by_username(self, username: str) -> User | None:
        """The user named `username` (case-insensitive), if any."""
        return self.session.scalar(
            sa.select(User).where(sa.func.lower(User.username) == username.lower())
        )

    def get(self, user_id: int) -> User | None:
        """The user with this id, if any."""
        return self.session.get(User, user_id)

    def list(self) -> Sequence[User]:
        """All users, oldest first."""
        return self.session.scalars(sa.select(User).order_by(User.id)).all()


def create_user(session: Session, request: NewUserRequest) -> User:
    """Store a new user with the hash of its password (AlreadyExistsError when taken)."""
    return UserRepository(session).add(request.username, request.email, request.password_hash)
