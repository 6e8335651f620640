"""Amounts in the HTML report are rounded for reading; the JSON keeps them exact."""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd
import pytest

from aurumbotx.backtest.report_format import duration, money, percent, price


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("42123.456789"), "42,123.46"),
        (Decimal("101.5"), "101.50"),
        (Decimal("2.3456789"), "2.34568"),
        (Decimal("0.51234567"), "0.512346"),
        (Decimal("0.00001234"), "0.00001234"),  # never an exponent
        (Decimal("0.0000123456789"), "0.0000123457"),
        (Decimal(0), "0.00"),
        (67963.91392, "67,963.91"),
        (None, "n/a"),
    ],
)
def test_prices_and_amounts_keep_six_significant_digits(value: object, shown: str) -> None:
    assert price(value) == shown  # type: ignore[arg-type]


def test_money_has_two_decimals() -> None:
    assert money(Decimal("81219.79137")) == "81,219.79"
    assert money(-1530.0949) == "-1,530.09"
    assert money(Decimal(0)) == "0.00"
    assert money(None) == "n/a"


def test_percentages_have_two_decimals() -> None:
    assert percent(20.717341) == "2071.73%"
    assert percent(-0.10, signed=True) == "-10.00%"
    assert percent(0.075, signed=True) == "+7.50%"
    assert percent(math.nan) == "n/a"
    assert percent(None) == "n/a"


def test_durations_in_days_hours_and_minutes() -> None:
    assert duration(pd.Timedelta(hours=28, minutes=5)) == "1d 04:05"
    assert duration(pd.Timedelta(minutes=59)) == "00:59"
    assert duration(pd.NaT) == "n/a"
