"""The one error mapping, over real HTTP: each class of our errors gets its status and code,
anything else a generic 500 without a traceback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from aurumbotx.api.errors import ErrorBody, error_responses, install_error_handlers
from aurumbotx.domain.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ConfigError,
    DatabaseUnavailableError,
    InvalidInputError,
    NotFoundError,
)
from aurumbotx.security.ratelimit import RateLimitExceededError
from aurumbotx.security.tokens import InvalidTokenError
from aurumbotx.services.errors import InvalidCredentialsError, RegistrationClosedError
from aurumbotx.testing.http_server import serve_in_thread

RAISED: dict[str, Exception] = {
    "not-found": NotFoundError("no bot with id 7"),
    "invalid": InvalidInputError("capital must be positive"),
    "exists": AlreadyExistsError("a user with this username already exists"),
    "credentials": InvalidCredentialsError(),
    "token": InvalidTokenError(),
    "closed": RegistrationClosedError(),
    "limited": RateLimitExceededError("too many login attempts; try again later", 12.2),
    "exchange-auth": AuthenticationError("binance: invalid API key"),
    "db-down": DatabaseUnavailableError("cannot reach the database"),
    "config": ConfigError("AURUMBOTX_SECRET is missing: /etc/secret-path"),
    "bug": RuntimeError("Traceback: secret internals in /srv/app.py line 3"),
}


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{name}", responses=error_responses(404))
    def raise_(name: str) -> None:
        raise RAISED[name]

    return app


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with serve_in_thread(_app()) as base_url, httpx.Client(base_url=base_url) as client:
        yield client


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("not-found", 404, "not_found"),
        ("invalid", 422, "invalid_input"),
        ("exists", 409, "already_exists"),
        ("credentials", 401, "invalid_credentials"),
        ("token", 401, "invalid_token"),
        ("closed", 403, "registration_disabled"),
        ("limited", 429, "rate_limited"),
        ("exchange-auth", 400, "exchange_refused"),
        ("db-down", 503, "unavailable"),
    ],
)
def test_our_errors_keep_their_message(
    http: httpx.Client, name: str, status: int, code: str
) -> None:
    response = http.get(f"/raise/{name}")
    assert response.status_code == status
    assert response.json() == {"detail": str(RAISED[name]), "code": code}


@pytest.mark.parametrize("name", ["bug", "config"])
def test_anything_else_is_a_generic_500(http: httpx.Client, name: str) -> None:
    response = http.get(f"/raise/{name}")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error", "code": "internal_error"}
    assert "secret" not in response.text


def test_rate_limited_says_when_to_retry(http: httpx.Client) -> None:
    response = http.get("/raise/limited")
    assert response.headers["retry-after"] == "13"


def test_unauthenticated_asks_for_a_bearer(http: httpx.Client) -> None:
    assert http.get("/raise/token").headers["www-authenticate"] == "Bearer"


def test_declared_responses_use_the_error_body() -> None:
    responses = error_responses(404, 401)
    assert sorted(responses) == [401, 404, 500]
    assert all(r["model"] is ErrorBody for r in responses.values())
