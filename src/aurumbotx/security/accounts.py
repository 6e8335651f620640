"""User accounts: validation of new users and their creation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from aurumbotx.db.models import User
from aurumbotx.db.repositories.users import UserRepository
from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.security.passwords import hash_password, validate_password

_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,49}$")


@dataclass(frozen=True)
class NewUser:
    """A validated request to create a user."""

    username: str
    email: str
    password: str

    @classmethod
    def validated(cls, username: str, email: str, password: str) -> NewUser:
        """Validate every field, raising InvalidInputError with one clear line."""
        username = username.strip()
        if not _USERNAME_RE.match(username):
            raise InvalidInputError(
                f"invalid username {username!r}: 3-50 characters, letters, digits, '_', '.', '-', "
                "starting with a letter or digit"
            )
        try:
            normalized = validate_email(email.strip(), check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise InvalidInputError(f"invalid email {email!r}: {error}") from None
        if len(normalized) > 100:
            raise InvalidInputError("invalid email: longer than 100 characters")
        validate_password(password)
        return cls(username=username, email=normalized, password=password)


def create_user(session: Session, request: NewUser) -> User:
    """Store a new user with a bcrypt hash of the password."""
    return UserRepository(session).add(
        request.username, request.email, hash_password(request.password)
    )
