"""Security headers on every response, errors included; CORS from settings (closed unless origins are listed)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.config import Settings

HSTS = "max-age=31536000; includeSubDomains"
# What a browser front end sends and reads beyond the CORS-safelisted headers.
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Request-ID",
]
CORS_EXPOSED_HEADERS = ["ETag", "Retry-After", "X-Request-ID", "Idempotent-Replayed", "Location"]


def headers_for(path: str, *, hsts: bool) -> dict[str, str]:
    """The security headers of a response to ``path``."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        # frame-ancestors only: /docs starts Swagger UI with an inline script, which a stricter policy would block.
        "Content-Security-Policy": "frame-ancestors 'none'",
    }
    if path.startswith("/api/"):
        headers["Cache-Control"] = "no-store"
    if hsts:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeaders:
    """Add the headers to each response; ``Cache-Control: no-store`` on the API (all of it is personal data)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"], hsts=self.hsts)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    """Add CORS (when origins are configured) and the security headers, outermost, so every answer has them."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=600,
        )
    app.state.hsts = settings.environment == "production"
    app.add_middleware(SecurityHeaders, hsts=app.state.hsts)
