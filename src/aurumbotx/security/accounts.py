"""User accounts: validation of a new user (`db/repositories/users.py` stores one)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.security.passwords import hash_password, validate_password

_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,49}$")


@dataclass(frozen=True)
class NewUser:
    """A validated request to create a user."""

    username: str
    email: str
    password: str = field(repr=False)  # never in a log line or a traceback

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

    @property
    def password_hash(self) -> str:
        """A fresh bcrypt hash of the password: what is stored, never the password."""
        return hash_password(self.password)
