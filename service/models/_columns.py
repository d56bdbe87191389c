"""Small helpers so every table declares ids, timestamps and JSON the same way."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field

from service.db.types import JsonDocument, OrderedJsonDocument, UtcDateTime, utcnow


def id_field() -> Any:
    """A random UUID primary key (unguessable: ids never reveal another partnership's activity)."""
    return Field(default_factory=uuid.uuid4, primary_key=True)


def partnership_field() -> Any:
    """The owning partnership: every row has one, and every query filters by it."""
    return Field(foreign_key="partnership.id", index=True)


def created_field() -> Any:
    """Creation time, UTC."""
    return Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


def time_field(*, index: bool = False) -> Any:
    """An optional UTC moment."""
    return Field(default=None, sa_type=UtcDateTime, nullable=True, index=index)


def json_field(default_factory: Any = dict, *, ordered: bool = False) -> Any:
    """A JSON document column (JSONB on PostgreSQL unless ``ordered``: then order-preserving JSON)."""
    column_type = OrderedJsonDocument if ordered else JsonDocument
    return Field(default_factory=default_factory, sa_column=Column(column_type, nullable=False))


__all__ = ["created_field", "id_field", "json_field", "partnership_field", "time_field"]
