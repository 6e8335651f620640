"""What every command shares: settings and adapters, loaded on first use."""

from __future__ import annotations

import sys
from decimal import Decimal
from functools import cache
from typing import TextIO

from rich.console import Console

from aurumbotx.bootstrap import Container, build_container
from aurumbotx.config import Settings, get_settings
from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.domain.values import to_decimal
from aurumbotx.observability.logging import configure_logging

console = Console()
err_console = Console(stderr=True)

# A service's stdout is its log, read by collectors; every other command prints tables and
# results there for people (or JSON for scripts), so its log lines go to stderr instead.
LOG_TO_STDOUT_COMMANDS = frozenset({"engine", "api"})
_command: str | None = None


def set_command(name: str | None) -> None:
    """Remember which sub-command runs (the root callback calls this, before any logging)."""
    global _command
    _command = name


def log_stream(command: str | None) -> TextIO:
    """Where a command's log lines go: stdout for the engine, stderr for everything else."""
    return sys.stdout if command in LOG_TO_STDOUT_COMMANDS else sys.stderr


@cache
def settings() -> Settings:
    """The settings (secrets resolved); configures logging the first time."""
    result = get_settings()
    configure_logging(
        result.logging.level,
        json_output=result.logging.json_output,
        stream=log_stream(_command),
    )
    return result


def ensure_logging() -> None:
    """Logging set up even when the settings themselves cannot be read (an early error)."""
    try:
        settings()
    except Exception:  # the error being reported may be this very one
        configure_logging(stream=log_stream(_command))


@cache
def container() -> Container:
    """The composition root for this process."""
    return build_container(settings())


def migrated_container() -> Container:
    """The container, after checking that the schema is up to date."""
    from aurumbotx.db.migrate import ensure_current

    result = container()
    ensure_current(result.engine)
    return result


def decimal_option(
    text: str,
    option: str,
    minimum: Decimal = Decimal(0),
    maximum: Decimal | None = None,
    unit: str = "",
) -> Decimal:
    """A command-line number as an exact Decimal within bounds, or one clear error."""
    value = to_decimal(text, name=option)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise InvalidInputError(f"{option} must be {bound}{unit}, got {value}")
    return value
