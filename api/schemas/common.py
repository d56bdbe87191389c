"""Shapes shared by every endpoint: problems and pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, Field, PlainSerializer, WithJsonSchema

from api.headers import RETRY_AFTER
from service.engine.functions import LONDON
from service.timestamps import rfc3339

T = TypeVar("T")


def _in_london(value: dt.datetime) -> dt.datetime:
    # The database holds moments with their offset; a filter without one means the partnership's own clock.
    return value if value.tzinfo is not None else value.replace(tzinfo=LONDON)


Moment = Annotated[
    dt.datetime,
    AfterValidator(_in_london),
    Field(description="An ISO date-time, or a plain date (that day's start); without an offset, Europe/London."),
]

# Every date-time a response carries: one format, shared with webhook payloads (service/timestamps.py).
Instant = Annotated[
    dt.datetime,
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-12-01T14:00:00.000000Z"]}),
]


class FieldProblem(BaseModel):
    """One invalid field: where, and what to do about it."""

    field: str = Field(description="Dotted path of the field, e.g. 'data.notified_at'.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; every 4xx and 5xx response has this body (application/problem+json)."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str = Field(description="What went wrong and what to do, for the front-end developer.")
    instance: str | None = Field(default=None, description="The request path.")
    correlation_id: str = Field(description="Quote this when reporting a problem; it is in the server logs.")
    errors: list[FieldProblem] | None = Field(default=None, description="Per-field problems (422 only).")


class Page(BaseModel, Generic[T]):
    """A page of results. Pass ``next_cursor`` back as ``cursor`` for the next page; null on the last."""

    items: list[T]
    next_cursor: str | None


_PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}
PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {**_PROBLEM, "description": "Missing, unknown or expired bearer token"},
    403: {**_PROBLEM, "description": "Authenticated but not allowed"},
    404: {**_PROBLEM, "description": "Not found (or belongs to another partnership)"},
    409: {**_PROBLEM, "description": "Conflicts with the current state"},
    412: {**_PROBLEM, "description": "If-Match does not match the current version"},
    422: {**_PROBLEM, "description": "Invalid input; see errors[]"},
    429: {
        **_PROBLEM,
        "description": "Too many failed sign-ins; wait the Retry-After seconds",
        "headers": {"Retry-After": RETRY_AFTER},
    },
    500: {**_PROBLEM, "description": "Unexpected error; quote correlation_id"},
}
# For endpoints that can meet something disposed of at the end of its retention.
GONE_RESPONSES: dict[int | str, dict[str, object]] = {
    410: {**_PROBLEM, "description": "Disposed of at the end of its retention"}
}


# A body that is not JSON, documented with its media type so generated clients keep the operation. Files are
# ``format: binary`` (what openapi-typescript and openapi-python-client read as bytes); XML and SVG are text, so a
# string with its contentMediaType (OAS 3.1), which both read as a string.
BINARY: dict[str, object] = {"type": "string", "format": "binary"}


def file_response(description: str, *media_types: str) -> dict[str, Any]:
    """A 200 whose body is a file in one of ``media_types``."""
    return {"description": description, "content": {media: {"schema": BINARY} for media in media_types}}


def text_response(description: str, media_type: str) -> dict[str, Any]:
    """A 200 whose body is a text document of ``media_type`` (XML, SVG)."""
    return {
        "description": description,
        "content": {media_type: {"schema": {"type": "string", "contentMediaType": media_type}}},
    }
