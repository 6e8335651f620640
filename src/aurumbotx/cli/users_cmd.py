"""`aurumbotx users ...`: accounts from the command line."""

from __future__ import annotations

import sys

import typer

from aurumbotx.cli.state import console, migrated_container
from aurumbotx.cli.tables import list_table
from aurumbotx.domain.errors import InvalidInputError

app = typer.Typer(help="User accounts: create and list.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise InvalidInputError("--password-stdin given but standard input is empty")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidInputError("no terminal to prompt for a password: use --password-stdin")
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat password", hide_input=True)
    if first != second:
        raise InvalidInputError("the two passwords differ")
    return str(first)


@app.command()
def create(
    username: str = typer.Option(..., "--username", "-u", help="3-50 letters, digits, _ . -"),
    email: str = typer.Option(..., "--email", "-e", help="The user's email address."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
) -> None:
    """Create a user; the password is prompted for (or read with --password-stdin)."""
    from aurumbotx.services.users import check_new_user, register_user

    # Validate what was typed, and the database, before asking for a password.
    check_new_user(username, email)
    container = migrated_container()
    user = register_user(container, username, email, _read_password(password_stdin))
    console.print(f"created user {user.username} (id {user.id}, {user.email})")


@app.command("list")
def list_users() -> None:
    """List users (id, username, email, created)."""
    from aurumbotx.services.users import list_users as listed

    users = listed(migrated_container())
    table = list_table("id", "username", "email", "created (UTC)", "trades", ids=("id", "username"))
    for user in users:
        created = user.created_at.strftime("%Y-%m-%d %H:%M") if user.created_at else ""
        table.add_row(str(user.id), user.username, user.email, created, str(user.total_trades))
    if not users:
        console.print("no users yet: create one with `aurumbotx users create`")
    else:
        console.print(table)
