"""What every command shares: settings and adapters, loaded on first use."""

from __future__ import annotations

from functools import cache

from rich.console import Console

from aurumbotx.bootstrap import Container, build_container
from aurumbotx.config import Settings, get_settings
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
