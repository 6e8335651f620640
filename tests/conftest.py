"""Shared fixtures come from the test kit in aurumbotx.testing (not from this file)."""

pytest_plugins = [
    "aurumbotx.testing.services",
    "aurumbotx.testing.env",
    "aurumbotx.testing.candles",
    "aurumbotx.testing.emulator.fixtures",
]
