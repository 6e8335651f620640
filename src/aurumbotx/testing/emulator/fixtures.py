"""pytest fixtures of the exchange emulator (listed in tests/conftest.py `pytest_plugins`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aurumbotx.testing.emulator.server import BinanceEmulator


@pytest.fixture
def binance_emulator() -> Iterator[BinanceEmulator]:
    """A running Binance emulator with no markets yet; stopped after the test."""
    with BinanceEmulator() as emulator:
        yield emulator
