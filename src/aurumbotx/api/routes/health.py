"""`/health`: liveness (the process answers); readiness (`/ready`) comes with the engine checks."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    """The answer of `/health`."""

    status: Literal["ok"] = "ok"


@router.get("/health", response_model=Liveness)
async def health() -> Liveness:
    """The process is up and serving requests."""
    return Liveness()
