"""Password hashing with bcrypt (cost 12)."""

from __future__ import annotations

import bcrypt

from aurumbotx.domain.errors import InvalidInputError

BCRYPT_ROUNDS = 12
MIN_PASSWORD_LENGTH = 8
# bcrypt reads at most 72 bytes; longer passwords would be silently truncated, so refuse them.
MAX_PASSWORD_BYTES = 72


def validate_password(password: str) -> None:
    """Refuse passwords that are too short or longer than bcrypt can take."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise InvalidInputError(f"password must be at most {MAX_PASSWORD_BYTES} bytes long")


def hash_password(password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    """A bcrypt hash of `password` (validated first)."""
    validate_password(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """True when `password` matches `password_hash`; False for any malformed input."""
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False
