"""Requests and responses as endpoint handlers see them, and Binance's error shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aurumbotx.testing.emulator.state import EmulatorState


@dataclass(slots=True)
class Request:
    """What a handler sees of an HTTP request (query and form parameters merged).

    `query` and `body` are kept raw: a signature is checked over the exact bytes that were sent.
    """

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    query: str = ""

    def header(self, name: str) -> str | None:
        """A header's value, whatever the case of its name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@dataclass(slots=True)
class Response:
    """A handler's answer: JSON-able body, status and extra headers."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request, EmulatorState], Response]


def binance_error(code: int, msg: str, status: int = 400) -> Response:
    """A Binance-style error answer: {"code": -1121, "msg": "Invalid symbol."}."""
    return Response({"code": code, "msg": msg}, status=status)
