"""Liveness and readiness probes, and `/` pointing to the docs (unauthenticated: they reveal nothing but 'ok')."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.errors import problem
from api.routing import ResourceRouter
from service.db.session import open_session

router = ResourceRouter(tags=["health"])


class Readiness(BaseModel):
    """The readiness probe's answer when ready (a 503 is a problem whose ``reason`` says what is missing)."""

    status: Literal["ok"]


_NOT_READY = {
    "database": "the database does not answer",
    "definitions": "the process definitions are not loaded yet",
}


def _not_ready(request: Request, reason: Literal["database", "definitions"]) -> JSONResponse:
    # A problem like every other error (RFC 9457); `reason` is an extension member a probe or a person can read.
    return problem(request, 503, "Not ready", _NOT_READY[reason], "not-ready", extra={"reason": reason})


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
        return _not_ready(request, "database")
    if not request.app.state.definitions_loaded:
        return _not_ready(request, "definitions")
    return JSONResponse({"status": "ok"})
