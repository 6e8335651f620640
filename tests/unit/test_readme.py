"""The README stays true to the code: every setting and every command is documented."""

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from aurumbotx.cli.app import app
from aurumbotx.config import ENV_PREFIX, Settings

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def _env_vars(model: type[BaseModel], prefix: str) -> Iterator[str]:
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _env_vars(annotation, f"{prefix}{name.upper()}__")
        else:
            yield f"{prefix}{name.upper()}"


def test_every_setting_is_in_the_readme() -> None:
    missing = [var for var in _env_vars(Settings, ENV_PREFIX) if f"`{var}`" not in README]
    assert missing == []


def test_every_command_is_in_the_readme() -> None:
    import typer.main

    root = typer.main.get_command(app)
    names = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            names += [f"aurumbotx {name} {sub}" for sub in subcommands]
        else:
            names.append(f"aurumbotx {name}")
    missing = [name for name in names if name not in README]
    assert missing == []
