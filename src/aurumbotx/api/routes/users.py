"""`/api/v1/users`: the acting user's own account."""

from __future__ import annotations

from fastapi import APIRouter

from aurumbotx.api.deps import CurrentUser
from aurumbotx.api.errors import error_responses
from aurumbotx.api.schemas.auth import UserPublic

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("/me", response_model=UserPublic, responses=error_responses(401))
def me(user: CurrentUser) -> UserPublic:
    """The account of the bearer token."""
    return UserPublic.of(user)
