"""Domain errors. Each carries its HTTP status and a message a front-end developer can act on;
the API renders them all as application/problem+json in one place."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class DomainError(Exception):
    """Base class. ``commit`` asks the boundary to keep changes made before raising (e.g. marking failure)."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None, commit: bool = False):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        self.commit = commit


class Unauthenticated(DomainError):
    status, title, slug = 401, "Not authenticated", "unauthenticated"


class Forbidden(DomainError):
    status, title, slug = 403, "Not allowed", "forbidden"


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class Gone(DomainError):
    """The thing existed but its content was removed for good (e.g. disposed at the end of its retention)."""

    status, title, slug = 410, "Gone", "gone"


class PreconditionFailed(DomainError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class RequestTimeout(DomainError):
    """The request body was not sent in full in the time allowed; nothing was read or changed."""

    status, title, slug = 408, "Request timeout", "request-timeout"


class InvalidInput(DomainError):
    """Payload validation failed; ``errors`` lists each field and what is wrong with it."""

    status, title, slug = 422, "Invalid input", "invalid-input"

    def __init__(self, detail: str, errors: list[dict[str, str]], **kwargs: Any):
        super().__init__(detail, extra={"errors": errors}, **kwargs)
        self.errors = errors

    @classmethod
    def from_validation(cls, detail: str, exc: ValidationError) -> InvalidInput:
        """One error per field pydantic refused, named by its dotted path (e.g. ``retention.review_case.years``)."""
        return cls(detail, [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()])


class InstanceFailed(DomainError):
    """The process instance could not continue and has been marked failed."""

    status, title, slug = 409, "Process instance failed", "instance-failed"


class PayloadTooLarge(DomainError):
    """The request body is larger than the endpoint accepts; nothing was read or changed."""

    status, title, slug = 413, "Payload too large", "payload-too-large"


class TooManyRequests(DomainError):
    """Too many failed attempts; ``retry_after_seconds`` (also the Retry-After header) says when to try again."""

    status, title, slug = 429, "Too many requests", "too-many-requests"

    def __init__(self, detail: str, *, retry_after_seconds: int):
        super().__init__(detail, extra={"retry_after_seconds": retry_after_seconds})
        self.retry_after_seconds = retry_after_seconds
