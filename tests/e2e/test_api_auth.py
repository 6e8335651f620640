"""The API over real HTTP (uvicorn on a loopback port, SQLite in a temp home): accounts,
tokens (expiry, tampering, type, rotation, reuse, logout), login rate limit, exchange keys."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.routing import APIRoute

from aurumbotx.api.app import ROUTERS, create_app
from aurumbotx.bootstrap import Container, build_container
from aurumbotx.config import get_settings
from aurumbotx.db import migrate
from aurumbotx.security.crypto import generate_key
from aurumbotx.security.tokens import TokenCodec, new_claims
from aurumbotx.testing.http_server import serve_in_thread

PASSWORD = "correct horse battery"


@dataclass
class Api:
    """A running server, a client to it, and its container (for its JWT secret)."""

    http: httpx.Client
    container: Container
    routes: list[APIRoute]
    seen: list[httpx.Response]

    def call(
        self, method: str, path: str, token: str | None = None, **kw: object
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]
        self.seen.append(response)
        return response

    def register(self, name: str) -> httpx.Response:
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        return self.call("POST", "/api/v1/auth/register", json=body)

    def login(self, name: str, password: str = PASSWORD, **extra: object) -> httpx.Response:
        body = {"username": name, "password": password, **extra}
        return self.call("POST", "/api/v1/auth/login", json=body)

    def tokens(self, name: str) -> dict[str, str]:
        response = self.login(name)
        assert response.status_code == 200, response.text
        return response.json()

    def codec(self) -> TokenCodec:
        secret = self.container.settings.security.jwt_secret
        assert secret is not None
        return TokenCodec(secret.get_secret_value())


@pytest.fixture
def start_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Api]]:
    """Start the API with extra AURUMBOTX_* settings on a fresh, migrated SQLite database."""
    stack: list[tuple[object, Api]] = []

    def start(**env: str) -> Api:
        monkeypatch.setenv("AURUMBOTX_SECURITY__ENCRYPTION_KEY", generate_key())
        for name, value in env.items():
            monkeypatch.setenv(f"AURUMBOTX_{name}", value)
        get_settings.cache_clear()
        container = build_container(get_settings())
        migrate.upgrade(container.engine)
        app = create_app(container)
        server = serve_in_thread(app)
        base_url = server.__enter__()
        api = Api(
            httpx.Client(base_url=base_url, timeout=30),
            container,
            [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)],
            [],
        )
        stack.append((server, api))
        return api

    yield start
    for server, api in reversed(stack):
        api.http.close()
        server.__exit__(None, None, None)  # type: ignore[attr-defined]
        api.container.close()


@pytest.fixture
def api(start_api: Callable[..., Api]) -> Api:
    """The API on default settings, with alice registered."""
    server = start_api()
    assert server.register("alice").status_code == 201
    return server


def test_health(api: Api) -> None:
    response = api.call("GET", "/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_register_login_me(api: Api) -> None:
    created = api.register("carol")
    assert created.status_code == 201
    assert created.json()["username"] == "carol"
    assert "password" not in created.text
    assert "hash" not in created.text

    login = api.login("carol", remember_me=True)
    assert login.status_code == 200
    body = login.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user_info"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["user_info"]["username"] == "carol"
    assert body["user_info"]["login_count"] == 1

    me = api.call("GET", "/api/v1/users/me", body["access_token"])
    assert me.status_code == 200
    assert me.json()["username"] == "carol"
    assert me.json()["email"] == "carol@example.com"
    assert me.json()["last_login"] is not None


def test_taken_name_is_409_and_bad_email_422(api: Api) -> None:
    again = api.register("alice")
    assert (again.status_code, again.json()["code"]) == (409, "already_exists")
    bad = api.call(
        "POST",
        "/api/v1/auth/register",
        json={"username": "dave", "email": "not-an-email", "password": PASSWORD},
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")
    assert set(bad.json()) == {"detail", "code"}


def test_wrong_password_and_unknown_user_get_the_same_401(api: Api) -> None:
    wrong = api.login("alice", "wrong password!")
    unknown = api.login("nobody", "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {
            "detail": "wrong username or password",
            "code": "invalid_credentials",
        }
    )
    assert wrong.headers["www-authenticate"] == "Bearer"


def _tampered(token: str, user_id: int) -> str:
    """The same token with another `sub`, not re-signed."""
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(user_id)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


def test_expired_tampered_wrong_type_and_missing_tokens_are_401(api: Api) -> None:
    bob = api.register("bob").json()
    tokens = api.tokens("alice")
    me = api.call("GET", "/api/v1/users/me", tokens["access_token"]).json()
    past = datetime.now(UTC) - timedelta(hours=2)
    expired = api.codec().encode(new_claims(me["id"], "access", timedelta(minutes=60), past))
    other_secret = TokenCodec("another secret of at least 32 characters!").encode(
        new_claims(me["id"], "access", timedelta(minutes=5))
    )
    bad_tokens = {
        "expired": expired,
        "tampered (bob's id)": _tampered(tokens["access_token"], bob["id"]),
        "refresh as access": tokens["refresh_token"],
        "other secret": other_secret,
        "garbage": "not.a.jwt",
    }
    for label, token in bad_tokens.items():
        response = api.call("GET", "/api/v1/users/me", token)
        assert response.status_code == 401, label
        assert response.json()["code"] == "invalid_token", label
    missing = api.call("GET", "/api/v1/users/me")
    assert (missing.status_code, missing.json()["code"]) == (401, "invalid_token")
    # An access token is no refresh token either.
    as_refresh = api.call(
        "POST", "/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}
    )
    assert as_refresh.status_code == 401
    # The valid one still works.
    assert api.call("GET", "/api/v1/users/me", tokens["access_token"]).status_code == 200


def _refresh(api: Api, token: str) -> httpx.Response:
    return api.call("POST", "/api/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_and_reuse_revokes_the_family(api: Api) -> None:
    first = api.tokens("alice")
    other_login = api.tokens("alice")

    rotated = _refresh(api, first["refresh_token"])
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert api.call("GET", "/api/v1/users/me", second["access_token"]).status_code == 200

    reused = _refresh(api, first["refresh_token"])
    assert (reused.status_code, reused.json()["code"]) == (401, "invalid_token")
    # The whole family is gone, the newest token included ...
    assert _refresh(api, second["refresh_token"]).status_code == 401
    # ... but another login of the same user is a family of its own.
    assert _refresh(api, other_login["refresh_token"]).status_code == 200


def test_logout_revokes_the_refresh_token(api: Api) -> None:
    tokens = api.tokens("alice")
    other_login = api.tokens("alice")
    out = api.call("POST", "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    assert _refresh(api, tokens["refresh_token"]).status_code == 401
    assert _refresh(api, other_login["refresh_token"]).status_code == 200
    forged = api.call("POST", "/api/v1/auth/logout", json={"refresh_token": "x.y.z"})
    assert forged.status_code == 401


def test_registration_can_be_turned_off(start_api: Callable[..., Api]) -> None:
    api = start_api(API__REGISTRATION_ENABLED="false")
    response = api.register("erin")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "registration is disabled on this server",
        "code": "registration_disabled",
    }


def test_login_is_limited_per_username_and_address(api: Api) -> None:
    for _ in range(5):
        assert api.login("alice", "wrong password!").status_code == 401
    limited = api.login("alice")  # even the right password, now
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 900
    # Another name from the same address is counted apart.
    assert api.register("frank").status_code == 201
    assert api.login("frank").status_code == 200


def test_api_keys_add_list_delete_scoped_to_their_owner(api: Api) -> None:
    assert api.register("bob").status_code == 201
    alice = api.tokens("alice")["access_token"]
    bob = api.tokens("bob")["access_token"]
    api_key, secret = "AKIAEXAMPLEKEY1234567890", "s3cr3t-VALUE-never-returned"

    added = api.call(
        "POST", "/api/v1/api-keys", alice, json={"api_key": api_key, "secret_key": secret}
    )
    assert added.status_code == 201, added.text
    key = added.json()
    assert key["exchange"] == "binance"
    assert key["is_testnet"] is True
    assert key["masked_key"] != api_key

    listed = api.call("GET", "/api/v1/api-keys", alice)
    assert [k["id"] for k in listed.json()] == [key["id"]]
    assert api.call("GET", "/api/v1/api-keys", bob).json() == []

    stolen = api.call("DELETE", f"/api/v1/api-keys/{key['id']}", bob)
    missing = api.call("DELETE", "/api/v1/api-keys/999999", bob)
    assert (stolen.status_code, stolen.json()["code"]) == (404, "not_found")
    assert missing.status_code == 404
    assert api.call("GET", "/api/v1/api-keys", alice).json()[0]["id"] == key["id"]

    assert api.call("DELETE", f"/api/v1/api-keys/{key['id']}", alice).status_code == 204
    assert api.call("GET", "/api/v1/api-keys", alice).json() == []
    assert api.call("GET", "/api/v1/api-keys").status_code == 401

    for response in api.seen:
        assert secret not in response.text
        assert api_key not in response.text


def test_openapi_lists_every_route_and_its_errors(api: Api) -> None:
    document = api.call("GET", "/openapi.json").json()
    paths = document["paths"]
    assert len(api.routes) >= 8
    for route in api.routes:
        if not route.include_in_schema:
            continue
        for method in route.methods:
            operation = paths[route.path][method.lower()]
            codes = set(operation["responses"])
            if route.path != "/health":
                assert "500" in codes, (route.path, method)
                ref = operation["responses"]["500"]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/ErrorBody"}
            protected = any(
                getattr(dep.call, "__name__", "") == "current_user"
                for dep in route.dependant.dependencies
            )
            if protected:
                assert "401" in codes, (route.path, method)
                assert operation.get("security"), (route.path, method)
    expected = {
        "/health",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/users/me",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{key_id}",
    }
    assert expected <= set(paths)
    assert "429" in paths["/api/v1/auth/login"]["post"]["responses"]
    assert "403" in paths["/api/v1/auth/register"]["post"]["responses"]
    assert "404" in paths["/api/v1/api-keys/{key_id}"]["delete"]["responses"]


def test_unknown_route_and_bad_body_use_the_error_shape(api: Api) -> None:
    unknown = api.call("GET", "/api/v1/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Not Found", "code": "not_found"}
    bad = api.call("POST", "/api/v1/auth/login", json={"username": "alice"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_input"
    assert "password" in bad.json()["detail"]
