"""Dependencies of the routes, as `Annotated` aliases: the container and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from aurumbotx.bootstrap import Container
from aurumbotx.security.tokens import InvalidTokenError
from aurumbotx.services.auth import user_for_access_token
from aurumbotx.services.users import UserInfo

# auto_error=False: a missing header is our InvalidTokenError (401 with our body), not 403.
_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/login")


def get_container(request: Request) -> Container:
    """The process's composition root, kept on the application."""
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def current_user(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> UserInfo:
    """The user of the request's bearer access token (401 when missing or invalid)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise InvalidTokenError("missing bearer token")
    return user_for_access_token(container, credentials.credentials)


CurrentUser = Annotated[UserInfo, Depends(current_user)]


def client_address(request: Request) -> str:
    """The peer's address (behind a proxy, uvicorn's --proxy-headers sets it)."""
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]
