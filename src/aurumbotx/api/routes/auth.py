"""`/api/v1/auth`: register, login, refresh (rotating), logout."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from aurumbotx.api.deps import ClientAddress, ContainerDep
from aurumbotx.api.errors import error_responses
from aurumbotx.api.schemas.auth import (
    LoginRequest,
    RefreshRequest,
    TokenResponse,
    UserCreate,
    UserPublic,
)
from aurumbotx.services import auth

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(403, 409, 422),
)
def register(body: UserCreate, container: ContainerDep) -> UserPublic:
    """Create an account (403 when registration is disabled)."""
    return UserPublic.of(auth.register(container, body.username, body.email, body.password))


@router.post("/login", response_model=TokenResponse, responses=error_responses(401, 422, 429))
def login(body: LoginRequest, container: ContainerDep, client: ClientAddress) -> TokenResponse:
    """Tokens for a username and password; 5 attempts per 15 minutes per name and address."""
    pair = auth.login(
        container,
        body.username,
        body.password,
        remember_me=body.remember_me,
        limiter=container.rate_limiter,
        client=client,
    )
    return TokenResponse.of(pair)


@router.post("/refresh", response_model=TokenResponse, responses=error_responses(401, 422))
def refresh(body: RefreshRequest, container: ContainerDep) -> TokenResponse:
    """A new token pair for a refresh token, which is used up (reusing it revokes the login)."""
    return TokenResponse.of(auth.refresh(container, body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401, 422))
def logout(body: RefreshRequest, container: ContainerDep) -> Response:
    """Revoke the login of a refresh token (its access tokens expire on their own)."""
    auth.logout(container, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
