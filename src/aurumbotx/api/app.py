"""The application factory: `create_app(settings | container)`."""

from __future__ import annotations

from fastapi import FastAPI

from aurumbotx import __version__
from aurumbotx.api.errors import install_error_handlers
from aurumbotx.api.routes import auth, health, keys, users
from aurumbotx.bootstrap import Container, build_container
from aurumbotx.config import Settings, get_settings, resolve_secrets

# Every router of the application, in order (the OpenAPI test walks these).
ROUTERS = (health.router, auth.router, users.router, keys.router)


def create_app(source: Settings | Container) -> FastAPI:
    """The API over a container (or one built from `settings`, secrets resolved)."""
    container = (
        source if isinstance(source, Container) else build_container(resolve_secrets(source))
    )
    app = FastAPI(
        title="AurumBotX Trading API",
        version=__version__,
        description="Automated crypto trading: accounts, exchange keys, bots and performance.",
        debug=False,
    )
    app.state.container = container
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_environment() -> FastAPI:
    """The application for `aurumbotx api` (uvicorn's factory): the process's settings."""
    return create_app(get_settings())
