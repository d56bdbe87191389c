"""Every error becomes application/problem+json (RFC 9457). Internals never reach the client."""

from __future__ import annotations

import json
import logging
from email.message import Message
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.security_headers import headers_for
from service.errors import DomainError, TooManyRequests

log = logging.getLogger("lif.api")
# A problem's type is a page on this service explaining it (api/problem_pages.py).
PROBLEM_PATH = "problems/"


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    slug: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """Build a problem response carrying the request's correlation id."""
    body: dict[str, Any] = {
        "type": f"{request.base_url}{PROBLEM_PATH}{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "correlation_id": getattr(request.state, "correlation_id", ""),
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})  # structured extensions, e.g. a diagram's validation "problems"
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after_seconds)}
        extensions = {key: value for key, value in exc.extra.items() if key != "errors"}
        return problem(
            request, exc.status, exc.title, exc.detail, exc.slug, exc.extra.get("errors"), headers, extensions
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        unreadable = _unreadable_body(request, exc)
        if unreadable is not None:
            status, title, detail, slug = unreadable
            return problem(request, status, title, detail, slug, [{"field": "body", "message": detail}])
        errors = [
            {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]}
            for err in exc.errors()
        ]
        return problem(request, 422, "Invalid input", "the request is not valid; see errors", "invalid-input", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = str(exc.detail) if exc.status_code != 404 else f"no such endpoint: {request.method} {request.url.path}"
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem(request, exc.status_code, "HTTP error", detail, f"http-{exc.status_code}")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error (correlation id %s)", getattr(request.state, "correlation_id", ""))
        # Starlette answers this one outside every middleware, so the security headers are added here.
        return problem(
            request,
            500,
            "Internal error",
            "something went wrong on our side; nothing was changed. Quote the correlation_id if you report it",
            "internal",
            headers=headers_for(request.url.path, hsts=getattr(request.app.state, "hsts", False)),
        )


def _unreadable_body(request: Request, exc: RequestValidationError) -> tuple[int, str, str, str] | None:
    """A body that could not be read as JSON at all: say why (pydantic would name a character offset as a field,
    or ask for "a valid dictionary"), as (status, title, detail, slug); None when the JSON was read."""
    for err in exc.errors():
        if err["type"] == "json_invalid" and isinstance(exc.body, (str, bytes)):
            doc = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
            where = json.JSONDecodeError(err.get("ctx", {}).get("error", "invalid JSON"), doc, int(err["loc"][-1]))
            detail = f"the body is not valid JSON: {where.msg} at line {where.lineno}, column {where.colno}"
            return 422, "Invalid JSON", detail, "invalid-json"
        if tuple(err["loc"]) == ("body",) and isinstance(err.get("input"), (bytes, str)) and not _is_json(request):
            sent = request.headers.get("content-type") or "no Content-Type"
            detail = (
                f"send the body as JSON with the header 'Content-Type: application/json' (this request sent {sent})"
            )
            return 415, "Unsupported media type", detail, "unsupported-media-type"
        if tuple(err["loc"]) == ("body",) and err["type"] == "missing":
            return 422, "Invalid input", "this request needs a JSON body (see the endpoint in /docs)", "invalid-input"
    return None


def _is_json(request: Request) -> bool:
    header = Message()
    header["content-type"] = request.headers.get("content-type", "")
    subtype = header.get_content_subtype()
    return header.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))
