"""`aurumbotx config` and `aurumbotx secrets generate`."""

from __future__ import annotations

import json
import secrets as pysecrets
from typing import Any

import typer

from aurumbotx.cli.state import console

secrets_app = typer.Typer(help="Secrets: generate values for production.", no_args_is_help=True)


def _masked(value: Any) -> Any:
    from pydantic import SecretStr

    if isinstance(value, SecretStr):
        return "***" if value.get_secret_value() else None
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


def config() -> None:
    """Print the effective settings as JSON (secrets masked)."""
    from aurumbotx.cli.state import settings
    from aurumbotx.db.engine import describe, parse_database_url

    current = settings()
    data = _masked(current.model_dump(mode="python"))
    data["database"]["url"] = describe(parse_database_url(current.database_url))
    console.print_json(json.dumps(data, default=str))


@secrets_app.command()
def generate() -> None:
    """Print a new JWT secret and encryption key, as environment variable lines."""
    from aurumbotx.security.crypto import generate_key

    typer.echo(f"AURUMBOTX_SECURITY__JWT_SECRET={pysecrets.token_urlsafe(48)}")
    typer.echo(f"AURUMBOTX_SECURITY__ENCRYPTION_KEY={generate_key()}")


def register(app: typer.Typer) -> None:
    """Attach these commands to the root app."""
    app.command("config")(config)
    app.add_typer(secrets_app, name="secrets")
