"""`aurumbotx keys add | list | delete`: exchange API keys, encrypted at rest, never printed."""

from __future__ import annotations

import sys

import typer

from aurumbotx.cli.state import console, migrated_container
from aurumbotx.cli.tables import list_table
from aurumbotx.domain.errors import InvalidInputError

keys_app = typer.Typer(
    help="Exchange API keys: add, list and delete (stored encrypted).", no_args_is_help=True
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
    from aurumbotx.services.keys import add_key

    container = migrated_container()
    api_key, secret = _read_pair(from_stdin)
    owner = _user_id(container, user)
    key = add_key(container, owner, exchange, api_key, secret, testnet=testnet)
    console.print(
        f"key {key.id} stored for user {owner}: {exchange}"
        f"{' testnet' if testnet else ''}, {key.masked_key} (encrypted)"
    )


@keys_app.command("list")
def list_keys(user: str | None = typer.Option(None, "--user", "-u", help="Whose keys.")) -> None:
    """List a user's keys (masked)."""
    from aurumbotx.cli.bot_cmd import _user_id
    from aurumbotx.services.keys import list_keys as listed

    container = migrated_container()
    table = list_table(
        "id", "exchange", "testnet", "key", "active", "last used (UTC)", ids=("id", "exchange")
    )
    keys = listed(container, _user_id(container, user))
    for key in keys:
        used = key.last_used.strftime("%Y-%m-%d %H:%M") if key.last_used else "-"
        table.add_row(
            str(key.id), key.exchange, str(key.testnet), key.masked_key, str(key.active), used
        )
    console.print(table if keys else "no keys: add one with `aurumbotx keys add`")


@keys_app.command("delete")
def delete(
    key_id: int = typer.Argument(..., help="The key's id (see `aurumbotx keys list`)."),
    user: str | None = typer.Option(None, "--user", "-u", help="Whose key."),
) -> None:
    """Delete one of a user's keys (refused while a bot uses it)."""
    from aurumbotx.cli.bot_cmd import _user_id
    from aurumbotx.services.keys import delete_key

    container = migrated_container()
    owner = _user_id(container, user)
    key = delete_key(container, owner, key_id)
    console.print(
        f"key {key.id} deleted for user {owner}: {key.exchange}"
        f"{' testnet' if key.testnet else ''}, {key.masked_key}"
    )


def register(app: typer.Typer) -> None:
    """Attach `keys ...`."""
    app.add_typer(keys_app, name="keys")
