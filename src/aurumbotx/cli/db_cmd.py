"""`aurumbotx db ...`: schema migrations."""

from __future__ import annotations

import typer

from aurumbotx.cli.state import console, container

app = typer.Typer(help="Database schema: apply, revert and show migrations.", no_args_is_help=True)


@app.command()
def upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from aurumbotx.db import migrate
    from aurumbotx.db.engine import describe

    engine = container().engine
    migrate.upgrade(engine, revision)
    console.print(f"database {describe(engine.url)} at revision {migrate.current(engine)}")


@app.command()
def downgrade(
    revision: str = typer.Argument("-1", help="Target revision: -1 (one step), an id, or base."),
) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    from aurumbotx.db import migrate
    from aurumbotx.db.engine import describe

    engine = container().engine
    migrate.downgrade(engine, revision)
    console.print(
        f"database {describe(engine.url)} at revision {migrate.current(engine) or 'base'}"
    )


@app.command()
def current() -> None:
    """Show the database's revision and the newest one shipped."""
    from aurumbotx.db import migrate
    from aurumbotx.db.engine import describe

    engine = container().engine
    rev = migrate.current(engine)
    head = migrate.head()
    state = (
        "up to date" if rev == head else f"behind (newest is {head}; run `aurumbotx db upgrade`)"
    )
    console.print(f"database {describe(engine.url)} at revision {rev or 'base'}: {state}")
