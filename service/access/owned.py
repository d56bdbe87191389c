"""Rows read by id only within the caller's partnership: another partnership's row reads as absent."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from service.errors import NotFound

Row = TypeVar("Row", bound=SQLModel)


def owned(session: Session, model: type[Row], row_id: Any, partnership_id: uuid.UUID) -> Row | None:
    """The row with this id if it belongs to the partnership; None otherwise (or if the id is not a UUID)."""
    try:
        key = row_id if isinstance(row_id, uuid.UUID) else uuid.UUID(str(row_id))
    except ValueError:
        return None
    row = session.get(model, key)
    return row if row is not None and getattr(row, "partnership_id", None) == partnership_id else None


def owned_or_404(session: Session, model: type[Row], row_id: uuid.UUID, partnership_id: uuid.UUID, noun: str) -> Row:
    """The partnership's row with this id, or 404 "there is no <noun> <id>" (never revealing another's)."""
    row = owned(session, model, row_id, partnership_id)
    if row is None:
        raise NotFound(f"there is no {noun} {row_id}")
    return row
