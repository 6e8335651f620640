"""The one date parser and the output-file check every command uses."""

import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from aurumbotx.cli.options import date_ms, output_file, parse_date
from aurumbotx.cli.state import LOG_TO_STDOUT_COMMANDS, decimal_option, log_stream
from aurumbotx.domain.errors import InvalidInputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-02", datetime(2024, 3, 2, tzinfo=UTC)),
        (" 2024-03-02 ", datetime(2024, 3, 2, tzinfo=UTC)),
        ("2024-03-02T13:45", datetime(2024, 3, 2, 13, 45, tzinfo=UTC)),
        ("2024-03-02T13:45:30", datetime(2024, 3, 2, 13, 45, 30, tzinfo=UTC)),
        ("2024-03-02T13:45Z", datetime(2024, 3, 2, 13, 45, tzinfo=UTC)),
        ("2024-03-02T13:45:30Z", datetime(2024, 3, 2, 13, 45, 30, tzinfo=UTC)),
        ("2024-03-02T01:00+02:00", datetime(2024, 3, 1, 23, 0, tzinfo=UTC)),
        ("2024-03-02T13:00-05:30", datetime(2024, 3, 2, 18, 30, tzinfo=UTC)),
    ],
)
def test_iso_dates_become_utc(text: str, expected: datetime) -> None:
    when = parse_date(text, "--from")
    assert when == expected
    assert when is not None
    assert when.utcoffset() is not None
    assert when.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "03/02/2024",  # the one that was read as 2 March
        "02.03.2024",
        "2024/03/02",
        "20240302",
        "2024-3-2",
        "2024-02-30",
        "2024-03-02 13:45",
        "2024-03-02T13",
        "2024-03-02T25:00",
        "2024-03-02T13:45+0200",
        "1709337600000",
        "yesterday",
        "",
    ],
)
def test_anything_else_is_refused_naming_the_option_and_the_form(text: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_date(text, "--since")
    message = caught.value.message
    assert message.startswith(f"--since: not a date: {text!r}")
    assert "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]" in message
    assert "\n" not in message


def test_a_bare_end_date_covers_its_whole_day_but_a_time_is_exact() -> None:
    end = parse_date("2024-03-02", "--to", end_of_day=True)
    assert end == datetime(2024, 3, 2, 23, 59, 59, 999000, tzinfo=UTC)
    assert parse_date("2024-03-02T12:00", "--to", end_of_day=True) == datetime(
        2024, 3, 2, 12, tzinfo=UTC
    )
    assert parse_date(None, "--to") is None


def test_date_ms_is_epoch_milliseconds() -> None:
    assert date_ms("2024-01-01", "--since") == 1_704_067_200_000
    assert date_ms("2024-01-01T01:00+01:00", "--since") == 1_704_067_200_000
    assert date_ms(None, "--until") is None


def test_output_file_creates_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "run.json"
    assert output_file(target, "--json") == target
    assert target.parent.is_dir()
    assert not target.exists()
    assert output_file(None, "--json") is None


def test_output_file_refuses_a_folder_or_a_file_in_the_way(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"^--json: .* is a folder; give a file name"):
        output_file(tmp_path, "--json")
    (tmp_path / "taken").write_text("x")
    with pytest.raises(InvalidInputError, match=r"--report: cannot create the folder .*taken"):
        output_file(tmp_path / "taken" / "r.html", "--report")


def test_logs_go_to_stderr_except_for_the_services() -> None:
    assert {"engine", "api"} == LOG_TO_STDOUT_COMMANDS
    assert log_stream("engine") is sys.stdout
    assert log_stream("api") is sys.stdout
    for command in ("backtest", "train", "data", "models", "run", None):
        assert log_stream(command) is sys.stderr


def test_decimal_option_names_the_unit() -> None:
    assert decimal_option("0.05", "--fee", maximum=Decimal("0.05")) == Decimal("0.05")
    with pytest.raises(InvalidInputError, match=r"--fee must be between 0 and 0.05 \(u\), got 1"):
        decimal_option("1", "--fee", maximum=Decimal("0.05"), unit=" (u)")
