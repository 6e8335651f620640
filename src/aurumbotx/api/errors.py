"""The ONE mapping from our exception tree to HTTP, and the error responses routes declare.

Every error body is `{"detail": "...", "code": "..."}`. Our errors carry a one-line message
written for people, returned as `detail`; anything unexpected is a 500 with a generic message
(the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aurumbotx.domain.errors import (
    AlreadyExistsError,
    AurumBotXError,
    CacheUnavailableError,
    DatabaseUnavailableError,
    InvalidInputError,
    NotFoundError,
    PermanentExchangeError,
    TemporaryExchangeError,
)
from aurumbotx.observability.logging import get_logger
from aurumbotx.security.ratelimit import RateLimitExceededError
from aurumbotx.security.tokens import InvalidTokenError
from aurumbotx.services.errors import InvalidCredentialsError, RegistrationClosedError

INTERNAL_DETAIL = "internal server error"


class ErrorBody(BaseModel):
    """Every error response: a human message and a stable machine code."""

    detail: str
    code: str


@dataclass(frozen=True)
class ErrorKind:
    """How one class of our errors is answered."""

    status: int
    code: str
    description: str


# Most specific first: the first class an error is an instance of decides.
ERROR_KINDS: tuple[tuple[type[AurumBotXError], ErrorKind], ...] = (
    (InvalidCredentialsError, ErrorKind(401, "invalid_credentials", "Wrong username or password")),
    (InvalidTokenError, ErrorKind(401, "invalid_token", "Missing, expired or invalid token")),
    (RegistrationClosedError, ErrorKind(403, "registration_disabled", "Registration is off")),
    (NotFoundError, ErrorKind(404, "not_found", "Not found (or not yours)")),
    (AlreadyExistsError, ErrorKind(409, "already_exists", "Already exists")),
    (InvalidInputError, ErrorKind(422, "invalid_input", "Invalid input")),
    (RateLimitExceededError, ErrorKind(429, "rate_limited", "Too many requests; see Retry-After")),
    # The exchange refused (a wrong key, an order it will not take): the request was wrong,
    # not the caller's API credentials, so never 401.
    (PermanentExchangeError, ErrorKind(400, "exchange_refused", "The exchange refused")),
    (TemporaryExchangeError, ErrorKind(503, "exchange_unavailable", "The exchange is unavailable")),
    (DatabaseUnavailableError, ErrorKind(503, "unavailable", "A backing service is unavailable")),
    (CacheUnavailableError, ErrorKind(503, "unavailable", "A backing service is unavailable")),
)
INTERNAL = ErrorKind(500, "internal_error", "Unexpected error")
HTTP_CODES = {
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_input",
}
_DESCRIPTIONS = {kind.status: kind.description for _, kind in reversed(ERROR_KINDS)}
_DESCRIPTIONS[500] = INTERNAL.description

log = get_logger("aurumbotx.api")


def kind_of(error: BaseException) -> ErrorKind:
    """How `error` is answered: its class's kind, or the generic 500."""
    for cls, kind in ERROR_KINDS:
        if isinstance(error, cls):
            return kind
    return INTERNAL


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that may answer these statuses (500 always added)."""
    return {
        status: {"model": ErrorBody, "description": _DESCRIPTIONS.get(status, "Error")}
        for status in sorted({*statuses, 500})
    }


def _body(detail: str, code: str, status: int, headers: dict[str, str] | None = None) -> Any:
    return JSONResponse(
        ErrorBody(detail=detail, code=code).model_dump(), status_code=status, headers=headers
    )


async def _our_error(_request: Request, error: Exception) -> JSONResponse:
    kind = kind_of(error)
    if kind is INTERNAL:
        return await _unexpected(_request, error)
    headers: dict[str, str] = {}
    if isinstance(error, RateLimitExceededError):
        headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
    if kind.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return _body(str(error), kind.code, kind.status, headers or None)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error(
        "api_unexpected_error",
        path=request.url.path,
        method=request.method,
        error_type=type(error).__name__,
        exc_info=error,
    )
    return _body(INTERNAL_DETAIL, INTERNAL.code, INTERNAL.status)


async def _validation(_request: Request, error: Exception) -> JSONResponse:
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    message = str(first.get("msg", "invalid request"))
    return _body(f"{where}: {message}" if where else message, "invalid_input", 422)


async def _http(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, StarletteHTTPException):
        return await _unexpected(request, error)
    code = HTTP_CODES.get(error.status_code, f"http_{error.status_code}")
    return _body(str(error.detail), code, error.status_code, dict(error.headers or {}) or None)


class CatchAllMiddleware:
    """Any other exception: our generic 500, logged, and the connection kept open.

    Starlette's own handler for `Exception` answers and then re-raises to the server, which
    drops the connection: a client reusing it would see its next request reset.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                raise
            response = await _unexpected(Request(scope), error)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error with the mapping above."""
    app.add_exception_handler(AurumBotXError, _our_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_middleware(CatchAllMiddleware)
