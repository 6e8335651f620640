"""How the HTML report writes numbers, times and tables: rounded for reading.

Money gets 2 decimals, percentages 2, prices and amounts 6 significant digits (never fewer
than 2 decimals, never an exponent). The JSON result keeps full precision.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import pandas as pd

PRICE_DIGITS = 6

# A cell is its text, or its text and a CSS class (pos/neg colour, l for left-aligned).
Cell = str | tuple[str, str]


def is_missing(value: object) -> bool:
    """True for None, NaN and NaT: shown as 'n/a'."""
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def money(value: Decimal | float | None) -> str:
    """Two decimals with thousands separators; small amounts (BTC-quoted) keep 4 digits."""
    if is_missing(value):
        return "n/a"
    number = float(value)  # type: ignore[arg-type]
    if number == 0 or abs(number) >= 1:
        return f"{number:,.2f}"
    return f"{number:.4g}"


def price(value: Decimal | float | None) -> str:
    """Six significant digits, at least two decimals, positional: 42,123.46, 0.5123."""
    if is_missing(value):
        return "n/a"
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))  # type: ignore[arg-type]
    if not number.is_finite():
        return str(number)
    if number == 0:
        return "0.00"
    decimals = max(2, PRICE_DIGITS - 1 - number.adjusted())
    text = f"{number:,.{decimals}f}"
    # Trailing zeros past the second decimal add nothing to read.
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction[:2]}{fraction[2:].rstrip('0')}"


def percent(fraction: float | None, *, signed: bool = False) -> str:
    """A fraction as a percentage with 2 decimals (+ sign on request)."""
    if is_missing(fraction):
        return "n/a"
    value = float(fraction) * 100.0  # type: ignore[arg-type]
    return f"{value:+.2f}%" if signed else f"{value:.2f}%"


def duration(value: pd.Timedelta | None) -> str:
    """'3d 04:05' (days, hours, minutes); 'n/a' for none."""
    if is_missing(value):
        return "n/a"
    minutes = int(pd.Timedelta(value).total_seconds() // 60)
    days, rest = divmod(minutes, 1_440)
    hours, mins = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{hours:02d}:{mins:02d}"


def sign_class(value: Decimal | float | None) -> str:
    """CSS class colouring a P/L: 'pos', 'neg' or ''."""
    if is_missing(value):
        return ""
    return "pos" if value > 0 else "neg" if value < 0 else ""  # type: ignore[operator]


def to_utc(value: datetime) -> pd.Timestamp:
    """An aware UTC timestamp (naive input is taken as UTC)."""
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC") if stamp.tzinfo is not None else stamp.tz_localize("UTC")


def stamp(value: datetime) -> str:
    """'2024-01-01 03:00' in UTC."""
    return f"{to_utc(value):%Y-%m-%d %H:%M}"


def iso(value: datetime | None) -> str:
    """Naive ISO UTC time for plotly ('' for none)."""
    return "" if value is None else to_utc(value).tz_localize(None).isoformat()


def naive_utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The index as naive UTC times."""
    # plotly.js ignores UTC offsets in date strings; naive UTC times plot as labelled.
    return index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index


def table_html(
    header: Sequence[str], rows: Sequence[Sequence[Cell]], *, css: str = "", left: int = 1
) -> str:
    """An HTML table (no header row for an empty `header`); the first `left` columns left."""
    head = "".join(
        f"<th class='{'l' if i < left else ''}'>{html.escape(name)}</th>"
        for i, name in enumerate(header)
    )
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            text, cls = (cell, "") if isinstance(cell, str) else cell
            cls = " ".join(c for c in ("l" if i < left else "", cls) if c)
            cells.append(f"<td class='{cls}'>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    head_row = f"<tr>{head}</tr>" if head else ""
    return f"<table class='{css}'>{head_row}" + "".join(body) + "</table>"
