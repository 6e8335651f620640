"""AurumBotX: automated crypto trading with machine-learning signals."""

from importlib.metadata import PackageNotFoundError, version

from aurumbotx._native import activate

try:
    __version__ = version("aurumbotx")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

# Compiled engine or pure Python, decided once, before any engine module is imported.
NATIVE_BUILD = activate()

__all__ = ["NATIVE_BUILD", "__version__"]
