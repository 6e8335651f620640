"""Entry point of the `aurumbotx` command: sub-commands, and the one place errors are shown.

Every AurumBotXError reaches the user as one line on stderr and a non-zero exit code. An
unexpected exception is logged (with its traceback, secrets redacted) and summarised in one line;
`AURUMBOTX_DEBUG=1` re-raises it for a full traceback.
"""

from __future__ import annotations

import os
import sys

import typer

import aurumbotx.cli.train_cmd as train_cmd
from aurumbotx import NATIVE_BUILD, __version__
from aurumbotx.cli import (
    api_cmd,
    backtest_cmd,
    bot_cmd,
    data_cmd,
    db_cmd,
    emulator_cmd,
    keys_cmd,
    run_cmd,
    system_cmd,
    users_cmd,
)
from aurumbotx.cli.state import err_console, set_command
from aurumbotx.domain.errors import AurumBotXError

app = typer.Typer(
    name="aurumbotx",
    help="AurumBotX: automated crypto trading with machine-learning signals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aurumbotx {__version__}, engine {NATIVE_BUILD.describe()}")
        raise typer.Exit


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help="Print the version and which engine build runs, then exit.",
    ),
) -> None:
    """AurumBotX: automated crypto trading with machine-learning signals."""
    set_command(ctx.invoked_subcommand)


app.add_typer(db_cmd.app, name="db")
app.add_typer(users_cmd.app, name="users")
system_cmd.register(app)
data_cmd.register(app)
backtest_cmd.register(app)
bot_cmd.register(app)
keys_cmd.register(app)
run_cmd.register(app)
train_cmd.register(app)
emulator_cmd.register(app)
api_cmd.register(app)


def _is_usage_error(error: Exception) -> bool:
    # A bad or missing option: typer >= 0.27 raises its own bundled copy of click's exceptions,
    # older typer raises click's. Neither is imported here: click is not a dependency of ours.
    return (
        type(error).__module__.split(".")[0] in ("typer", "click")
        and hasattr(error, "show")
        and hasattr(error, "exit_code")
    )


def _debug() -> bool:
    return os.environ.get("AURUMBOTX_DEBUG", "").lower() in ("1", "true", "yes")


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; map every error to one line and an exit code."""
    try:
        code = app(args=argv, standalone_mode=False, prog_name="aurumbotx")
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as done:
        sys.exit(getattr(done, "exit_code", 0))
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except AurumBotXError as error:
        if _debug():
            raise
        err_console.print(f"[bold red]error:[/] {error.message}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as error:
        if _is_usage_error(error):
            error.show()  # type: ignore[attr-defined]
            sys.exit(int(error.exit_code))  # type: ignore[attr-defined]
        if _debug():
            raise
        from aurumbotx.cli.state import ensure_logging
        from aurumbotx.observability.logging import get_logger, log_system_error

        ensure_logging()
        log_system_error(get_logger("aurumbotx.cli"), error)
        err_console.print(
            f"[bold red]unexpected error:[/] {type(error).__name__}: {error} "
            "(set AURUMBOTX_DEBUG=1 for the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
