"""Request body limits in size and in time, enforced before authentication and before anything parses the body."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem
from service.errors import PayloadTooLarge, RequestTimeout
from service.processes.upload import MAX_DIAGRAM_BYTES

MIB = 1024 * 1024
JSON_LIMIT = 1 * MIB
# simulate carries a whole diagram in bpmn_xml: the 5 MiB upload limit plus room for JSON escaping and answers.
SIMULATE_LIMIT = MAX_DIAGRAM_BYTES + MIB
SIMULATE_PATH = "/api/v1/process-definitions/simulate"
MULTIPART_OVERHEAD = 64 * 1024


class BodyLimit:
    """Answer 413 problem+json when a body exceeds its endpoint's limit, and 408 when it is not all sent within
    ``timeout_seconds`` (a slow sender would otherwise hold a connection and a worker as long as it likes); the
    app never sees such a body."""

    def __init__(self, app: ASGIApp, *, upload_limit: int, timeout_seconds: float) -> None:
        self.app = app
        self.upload_limit = upload_limit + MULTIPART_OVERHEAD
        self.timeout = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Every method: a GET carrying a body is held to the JSON limit too (no endpoint reads one).
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self._limit(scope["path"], headers.get(b"content-type", b"").decode("latin-1"))
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        # Chunked or honest: read at most limit + 1 bytes, then replay them to the app.
        chunks: list[bytes] = []
        try:
            async with asyncio.timeout(self.timeout):
                within_limit = await self._read(receive, chunks, limit)
        except TimeoutError:
            await self._too_slow(scope, receive, send)
            return
        if not within_limit:
            await self._refuse(scope, receive, send, limit)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _read(receive: Receive, chunks: list[bytes], limit: int) -> bool:
        """Collect the body into ``chunks``; False as soon as it is larger than ``limit``."""
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return True
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                return False
            if not message.get("more_body", False):
                return True

    def _limit(self, path: str, content_type: str) -> int:
        if content_type.startswith("multipart/form-data"):
            return self.upload_limit
        return SIMULATE_LIMIT if path == SIMULATE_PATH else JSON_LIMIT

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        kind = "file upload" if limit == self.upload_limit else "request body"
        size = f"{limit / MIB:.2f}".rstrip("0").rstrip(".")
        response = problem(
            Request(scope),
            PayloadTooLarge.status,
            PayloadTooLarge.title,
            f"the {kind} is larger than this endpoint accepts ({size} MiB); send less, nothing was changed",
            PayloadTooLarge.slug,
            headers={"Connection": "close"},
            extra={"limit_bytes": limit},
        )
        await response(scope, receive, send)

    async def _too_slow(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            Request(scope),
            RequestTimeout.status,
            RequestTimeout.title,
            f"the request body did not arrive within {self.timeout:g} seconds; send it faster, nothing was changed",
            RequestTimeout.slug,
            headers={"Connection": "close"},
            extra={"timeout_seconds": self.timeout},
        )
        await response(scope, receive, send)
