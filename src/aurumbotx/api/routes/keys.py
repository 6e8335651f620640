"""`/api/v1/api-keys`: the acting user's exchange keys, stored encrypted, shown masked."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from aurumbotx.api.deps import ContainerDep, CurrentUser
from aurumbotx.api.errors import error_responses
from aurumbotx.api.schemas.keys import ApiKeyCreate, ApiKeyPublic
from aurumbotx.services import keys

router = APIRouter(prefix="/api/v1/api-keys", tags=["api-keys"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyPublic,
    responses=error_responses(401, 409, 422),
)
def add_key(body: ApiKeyCreate, user: CurrentUser, container: ContainerDep) -> ApiKeyPublic:
    """Store a key pair, encrypted at rest (testnet unless `is_testnet` is false)."""
    info = keys.add_key(
        container,
        user.id,
        body.exchange,
        body.api_key.get_secret_value(),
        body.secret_key.get_secret_value(),
        testnet=body.is_testnet,
    )
    return ApiKeyPublic.of(info)


@router.get("", response_model=list[ApiKeyPublic], responses=error_responses(401))
def list_keys(user: CurrentUser, container: ContainerDep) -> list[ApiKeyPublic]:
    """The user's keys, oldest first, masked."""
    return [ApiKeyPublic.of(info) for info in keys.list_keys(container, user.id)]


@router.delete(
    "/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 404, 422),
)
def delete_key(key_id: int, user: CurrentUser, container: ContainerDep) -> Response:
    """Delete one of the user's keys (another user's is not found; refused while a bot uses it)."""
    keys.delete_key(container, user.id, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
