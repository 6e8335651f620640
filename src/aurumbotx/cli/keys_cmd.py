"""`aurumbotx keys add | list`: exchange API keys, encrypted at rest, never printed."""

from __future__ import annotations

import sys

import typer

from aurumbotx.cli.state import console, migrated_container
from aurumbotx.cli.tables import list_table
from aurumbotx.domain.errors import InvalidInputError

keys_app = typer.Typer(
    help="Exchange API keys: add and list (stored encrypted).", no_args_is_help=True
)


def _read_pair(from_stdin: bool) -> tuple[str, str]:
    if from_stdin:
        lines = sys.stdin.read().splitlines()
        if len(lines) < 2:
            raise InvalidInputError("--stdin expects two lines: the API key, then the secret")
        return lines[0].strip(), lines[1].strip()
    if not sys.stdin.isatty():
        raise InvalidInputError("no terminal to prompt for the key: use --stdin")
    return (
        str(typer.prompt("API key", hide_input=True)),
        str(typer.prompt("Secret", hide_input=True)),
    )


@keys_app.command("add")
def add(
    exchange: str = typer.Option("binance", "--exchange", help="ccxt exchange id."),
    testnet: bool = typer.Option(True, "--testnet/--mainnet", help="Testnet (default) or real."),
    user: str | None = typer.Option(None, "--user", "-u", help="Owner (default: the only user)."),
    from_stdin: bool = typer.Option(False, "--stdin", help="Read key and secret from stdin."),
) -> None:
    """Store an exchange key pair for a user, encrypted with AURUMBOTX_SECURITY__ENCRYPTION_KEY."""
    from aurumbotx.cli.bot_cmd import _user_id
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.api_keys import ApiKeyRepository, mask

    container = migrated_container()
    api_key, secret = _read_pair(from_stdin)
    with session_scope(container.session_factory) as session:
        owner = _user_id(session, user)
        row = ApiKeyRepository(session, container.secret_box).add(
            owner, exchange, api_key, secret, testnet=testnet
        )
        console.print(
            f"key {row.id} stored for user {owner}: {exchange}"
            f"{' testnet' if testnet else ''}, {mask(api_key)} (encrypted)"
        )


@keys_app.command("list")
def list_keys(user: str | None = typer.Option(None, "--user", "-u", help="Whose keys.")) -> None:
    """List a user's keys (masked)."""
    from aurumbotx.cli.bot_cmd import _user_id
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.api_keys import ApiKeyRepository

    container = migrated_container()
    table = list_table(
        "id", "exchange", "testnet", "key", "active", "last used (UTC)", ids=("id", "exchange")
    )
    with session_scope(container.session_factory) as session:
        repo = ApiKeyRepository(session, container.secret_box)
        rows = repo.list(_user_id(session, user))
        for row in rows:
            used = row.last_used.strftime("%Y-%m-%d %H:%M") if row.last_used else "-"
            table.add_row(
                str(row.id),
                row.exchange,
                str(row.is_testnet),
                repo.masked_key(row),
                str(row.is_active),
                used,
            )
    console.print(table if rows else "no keys: add one with `aurumbotx keys add`")


def register(app: typer.Typer) -> None:
    """Attach `keys ...`."""
    app.add_typer(keys_app, name="keys")
