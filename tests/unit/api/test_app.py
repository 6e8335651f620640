"""`create_app` from plain settings: secrets resolved, the container built, routes served."""

from __future__ import annotations

import httpx

from aurumbotx.api.app import create_app
from aurumbotx.config import load_settings
from aurumbotx.testing.http_server import serve_in_thread


def test_create_app_from_settings_resolves_the_secrets() -> None:
    settings = load_settings()
    assert settings.security.jwt_secret is None
    app = create_app(settings)
    container = app.state.container
    assert container.settings.security.jwt_secret is not None
    try:
        with serve_in_thread(app) as base_url:
            assert httpx.get(f"{base_url}/health").json() == {"status": "ok"}
            missing = httpx.get(f"{base_url}/api/v1/users/me")
    finally:
        container.close()
    assert missing.status_code == 401
    assert missing.json()["code"] == "invalid_token"
