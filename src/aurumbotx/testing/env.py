"""pytest fixtures that isolate a test from the developer's environment and settings."""

from __future__ import annotations

import decimal
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aurumbotx.config import ENV_PREFIX, get_settings


@pytest.fixture(autouse=True)
def _isolated_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Drop AURUMBOTX_* variables (but the test URLs), work in a temp dir with its own HOME.

    The working directory matters: the settings read a `.env` file from it.
    """
    for key in list(os.environ):
        if key.startswith(ENV_PREFIX) and not key.startswith(f"{ENV_PREFIX}TEST_"):
            monkeypatch.delenv(key)
    workdir = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(workdir)
    monkeypatch.setenv(f"{ENV_PREFIX}HOME", str(workdir / "var"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _own_decimal_context() -> Iterator[None]:
    """Each test starts on Python's default decimal rules; a change one test's libraries make to
    the thread's context (ccxt leaves ROUND_HALF_UP on it) does not reach the next test."""
    with decimal.localcontext(decimal.Context()):
        yield


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh AURUMBOTX_HOME for this test."""
    path = tmp_path / "home"
    monkeypatch.setenv(f"{ENV_PREFIX}HOME", str(path))
    return path
