"""Errors that only the use cases raise (the rest of the tree is `aurumbotx.domain.errors`)."""

from __future__ import annotations

from aurumbotx.domain.errors import AurumBotXError


class InvalidCredentialsError(AurumBotXError):
    """A username and password that do not match: the same message whichever was wrong."""

    exit_code = 2

    def __init__(self, message: str = "wrong username or password") -> None:
        super().__init__(message)


class RegistrationClosedError(AurumBotXError):
    """Self-service registration is turned off (`AURUMBOTX_API__REGISTRATION_ENABLED=false`)."""

    exit_code = 2

    def __init__(self, message: str = "registration is disabled on this server") -> None:
        super().__init__(message)
