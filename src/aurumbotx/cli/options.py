"""Parsers every command shares: dates and output files, each refused in one clear line."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aurumbotx.domain.errors import InvalidInputError

DATE_FORMS = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] with an optional Z or +HH:MM (UTC when none)"
DATE_HELP = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM], UTC unless an offset is given"

# ISO 8601 only: '03/02/2024' must not be guessed into 2 March or 3 February.
_DATE_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?P<time>T\d{2}:\d{2}(?::\d{2})?(?P<zone>Z|[+-]\d{2}:\d{2})?)?",
    re.ASCII,
)


def parse_date(text: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    """A tz-aware UTC datetime from an ISO 8601 date or date-time; None when not given.

    With `end_of_day`, a bare date means up to its last millisecond (an inclusive --to).
    """
    if text is None:
        return None
    value = text.strip()
    match = _DATE_RE.fullmatch(value)
    try:
        if match is None:
            raise ValueError
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(f"{option}: not a date: {text!r}; use {DATE_FORMS}") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if end_of_day and match.group("time") is None:
        when += timedelta(days=1) - timedelta(milliseconds=1)
    return when


def date_ms(text: str | None, option: str) -> int | None:
    """`parse_date` as epoch milliseconds (the candle store's unit)."""
    when = parse_date(text, option)
    return None if when is None else round(when.timestamp() * 1000)


def output_file(path: Path | None, option: str) -> Path | None:
    """An output file whose folder exists (created here), checked before any long work."""
    if path is None:
        return None
    target = path.expanduser()
    if target.is_dir():
        raise InvalidInputError(f"{option}: {target} is a folder; give a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InvalidInputError(
            f"{option}: cannot create the folder {target.parent}: a file is in the way"
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InvalidInputError(
            f"{option}: cannot create the folder {target.parent}: {reason}"
        ) from None
    return target
