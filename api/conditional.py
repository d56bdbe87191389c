"""ETag and If-None-Match → 304 for the reads a front end polls, done once for every endpoint marked ``@cacheable``.

The ETag is the endpoint's own where it sends one (a task: its version, which ``If-Match`` compares, and a digest
of its body), else a digest of the exact bytes about to be sent, so it changes whenever anything in the
representation does. The endpoint still runs in full (its need-to-know checks and access logging included); only
the body is not sent again. ``Cache-Control: no-store`` stays on the API (personal data): clients send ``If-None-Match``
themselves, with the ETag they kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "__lif_cacheable__"
# Headers that describe a body; a 304 has none (RFC 9110 §15.4.5).
_BODY_HEADERS = ("content-length", "content-type", "content-disposition")


def cacheable(endpoint: F) -> F:
    """Mark a GET endpoint: its 200 carries an ETag, and a matching ``If-None-Match`` gets 304 with no body."""
    setattr(endpoint, _MARK, True)
    return endpoint


def is_cacheable(endpoint: Callable[..., Any] | None) -> bool:
    """Whether an endpoint was marked with ``@cacheable``."""
    return bool(getattr(endpoint, _MARK, False))


def digest_etag(body: bytes) -> str:
    """A strong ETag naming these exact bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: ``*`` or any listed tag equal to ``etag`` under weak comparison."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


class ConditionalGet:
    """Hold a marked endpoint's 200 until its body is complete, give it an ETag, and answer 304 when it matches."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if_none_match = Headers(scope=scope).get("if-none-match")
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_conditionally(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                # The router has chosen the endpoint by now: the scope it shares with us names it.
                if message["status"] == 200 and is_cacheable(_endpoint(scope)):
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await _finish(send, start, b"".join(chunks), if_none_match)
                return
            await send(message)

        await self.app(scope, receive, send_conditionally)


def _endpoint(scope: Scope) -> Callable[..., Any] | None:
    endpoint = scope.get("endpoint") or getattr(scope.get("route"), "endpoint", None)
    return endpoint if callable(endpoint) else None


async def _finish(send: Send, start: Message, body: bytes, if_none_match: str | None) -> None:
    headers = MutableHeaders(scope=start)
    etag = headers.get("etag") or digest_etag(body)
    headers["ETag"] = etag
    if matches(if_none_match, etag):
        for name in _BODY_HEADERS:
            if name in headers:
                del headers[name]
        await send({**start, "status": 304})
        await send({"type": "http.response.body", "body": b""})
        return
    await send(start)
    await send({"type": "http.response.body", "body": body})


ETAG_HEADER = {
    "ETag": {
        "description": "Names this representation; send it back as If-None-Match to get 304 while unchanged.",
        "schema": {"type": "string"},
    }
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An ETag you received: 304 Not Modified (no body) while the resource still has it.",
    "schema": {"type": "string"},
}


def document(app: FastAPI, schema: dict[str, Any]) -> None:
    """Document the ETag header, the If-None-Match parameter and the 304 on every marked operation."""
    for route in iter_route_contexts(app.routes):
        if not (is_cacheable(route.endpoint) and "GET" in (route.methods or ())):
            continue
        operation = schema["paths"][route.path_format]["get"]
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "If-None-Match" for p in parameters):
            parameters.append(IF_NONE_MATCH)
        responses = operation["responses"]
        headers = responses["200"].setdefault("headers", {})
        headers.setdefault("ETag", ETAG_HEADER["ETag"])  # an endpoint's own description of its ETag wins
        responses["304"] = {
            "description": "Not Modified: your copy (its ETag) is current; no body",
            "headers": {"ETag": headers["ETag"]},
        }


def install(app: FastAPI) -> None:
    """Add the middleware; register it inside the correlation id and security headers, so a 304 carries both."""
    app.add_middleware(ConditionalGet)
