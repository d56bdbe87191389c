"""The correlation id: taken from ``X-Request-ID`` (up to 64 characters) or made up, and echoed on the response.

Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware runs the rest of the app in a
task of its own and streams the response through a memory channel, a measurable share of every request.
"""

from __future__ import annotations

import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_LENGTH = 64


class CorrelationId:
    """Put the id in ``request.state.correlation_id`` and on every response as ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((value for name, value in scope["headers"] if name == b"x-request-id"), b"")
        correlation_id = incoming.decode("latin-1")[:MAX_LENGTH] if incoming else uuid.uuid4().hex
        # request.state reads scope["state"]: what is set here is what every later layer sees.
        scope.setdefault("state", {})["correlation_id"] = correlation_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = correlation_id
            await send(message)

        await self.app(scope, receive, send_with_id)
