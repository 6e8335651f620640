"""`--pairs A B` and `--pairs A --pairs B` both reach download-data as a list."""

import pytest
import typer
from typer.testing import CliRunner

from aurumbotx.cli.data_cmd import SpaceSeparatedListCommand, expand_list_options


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--pairs", "BTC/USDT", "ETH/USDT", "--since", "2024-01-01"],
            ["--pairs", "BTC/USDT", "--pairs", "ETH/USDT", "--since", "2024-01-01"],
        ),
        (
            ["--pairs", "BTC/USDT", "--pairs", "ETH/USDT"],
            ["--pairs", "BTC/USDT", "--pairs", "ETH/USDT"],
        ),
        (
            ["-t", "1h", "5m", "-p", "SOL/USDT"],
            ["-t", "1h", "-t", "5m", "-p", "SOL/USDT"],
        ),
        (
            ["--since", "2024-01-01", "--pairs=BTC/USDT"],
            ["--since", "2024-01-01", "--pairs=BTC/USDT"],
        ),
    ],
)
def test_expand_list_options(args: list[str], expected: list[str]) -> None:
    assert expand_list_options(args) == expected


def test_both_styles_parse_to_the_same_lists() -> None:
    seen: list[tuple[list[str], list[str], str | None]] = []
    app = typer.Typer()

    @app.command(cls=SpaceSeparatedListCommand)
    def download(
        pairs: list[str] | None = typer.Option(None, "--pairs", "-p"),
        timeframes: list[str] | None = typer.Option(None, "--timeframes", "-t"),
        since: str | None = typer.Option(None, "--since"),
    ) -> None:
        seen.append((list(pairs or []), list(timeframes or []), since))

    runner = CliRunner()
    spaced = [
        "--pairs",
        "BTC/USDT",
        "ETH/USDT",
        "--timeframes",
        "1h",
        "5m",
        "--since",
        "2024-01-01",
    ]
    repeated = ["-p", "BTC/USDT", "-p", "ETH/USDT", "-t", "1h", "-t", "5m", "--since", "2024-01-01"]
    for args in (spaced, repeated):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    expected = (["BTC/USDT", "ETH/USDT"], ["1h", "5m"], "2024-01-01")
    assert seen == [expected, expected]
