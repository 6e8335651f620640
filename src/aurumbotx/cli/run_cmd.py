"""`aurumbotx run`: the main job that `make run` starts."""

from __future__ import annotations

import typer

from aurumbotx.cli.state import console, container


def run() -> None:
    """Apply migrations and start the main job on the configured (default: embedded) stack."""
    from aurumbotx.db import migrate
    from aurumbotx.db.engine import describe

    engine = container().engine
    migrate.upgrade(engine)
    console.print(f"database {describe(engine.url)} at revision {migrate.current(engine)}")


def register(app: typer.Typer) -> None:
    """Attach `run` to the root app."""
    app.command("run")(run)
