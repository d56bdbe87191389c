"""Liveness and readiness probes, and `/` pointing to the docs (unauthenticated: they reveal nothing but 'ok')."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from service.db.session import open_session

router = APIRouter(tags=["health"])


class Readiness(BaseModel):
    """The readiness probe's answer."""

    status: Literal["ok", "unavailable"]
    reason: Literal["database", "definitions"] | None = Field(default=None, description="Why not ready (503 only).")


@router.get("/", include_in_schema=False)
def index() -> dict[str, str]:
    """Where to go from here: someone who opens the bare address should not meet a 404."""
    return {
        "service": "LIF Service",
        "docs": "/docs",
        "openapi": "/openapi.json",
        "api": "/api/v1",
        "live": "/health/live",
        "ready": "/health/ready",
    }


class Liveness(BaseModel):
    """The liveness probe's answer: the process is up (no answer at all otherwise)."""

    status: Literal["ok"]


@router.get("/health/live")
def check_liveness() -> Liveness:
    """The process is up."""
    return Liveness(status="ok")


@router.get(
    "/health/ready",
    response_model=Readiness,
    responses={503: {"description": "Database unreachable or definitions not loaded"}},
)
def check_readiness(request: Request) -> JSONResponse:
    """The database answers and the process definitions are loaded."""
    try:
        session = open_session(write=False, url=request.app.state.database_url)
        try:
            session.execute(text("SELECT 1"))
        finally:
            session.close()
    except Exception:
        return JSONResponse({"status": "unavailable", "reason": "database"}, status_code=503)
    if not request.app.state.definitions_loaded:
        return JSONResponse({"status": "unavailable", "reason": "definitions"}, status_code=503)
    return JSONResponse({"status": "ok"})
