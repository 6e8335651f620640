"""`aurumbotx api`: serve the REST API with uvicorn.

The CLI and the API are sibling adapters and do not import each other: uvicorn loads the
application by name (`aurumbotx.api.app:app_from_environment`), in the server process.
"""

from __future__ import annotations

import typer

from aurumbotx.cli.state import settings

APP_FACTORY = "aurumbotx.api.app:app_from_environment"


def api(
    host: str | None = typer.Option(None, help="Interface to listen on (AURUMBOTX_API__HOST)."),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Port (AURUMBOTX_API__PORT, default 8000)."
    ),
) -> None:
    """Serve the REST API (uvicorn); the OpenAPI document is at /openapi.json."""
    import uvicorn

    config = settings()  # fails here, in one line, on bad settings or missing secrets
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host or config.api.host,
        port=port or config.api.port,
        log_config=None,  # our structured logging, configured by settings()
        proxy_headers=False,
    )


def register(app: typer.Typer) -> None:
    """Add `api` to the root command."""
    app.command("api")(api)
