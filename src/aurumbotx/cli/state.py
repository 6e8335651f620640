"""What every command shares: settings and adapters, loaded on first use."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from rich.console import Console

from aurumbotx.bootstrap import Container, build_container
from aurumbotx.config import Settings, get_settings
from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.domain.values import to_decimal
from aurumbotx.observability.logging import configure_logging

console = Console()
err_console = Console(stderr=True)


@cache
def settings() -> Settings:
    """The settings (secrets resolved); configures logging the first time."""
    result = get_settings()
    configure_logging(result.logging.level, json_output=result.logging.json_output)
    return result


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
    text: str, option: str, minimum: Decimal = Decimal(0), maximum: Decimal | None = None
) -> Decimal:
    """A command-line number as an exact Decimal within bounds, or one clear error."""
    value = to_decimal(text, name=option)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise InvalidInputError(f"{option} must be {bound}, got {value}")
    return value
