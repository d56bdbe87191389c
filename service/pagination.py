"""Opaque keyset cursors: stable under inserts, and O(page) rather than O(offset)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, or_
from sqlmodel.sql.expression import SelectOfScalar

from service.errors import InvalidInput

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of results and the cursor for the next (``None`` on the last page)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(created_at: dt.datetime, row_id: uuid.UUID) -> str:
    """Cursor pointing just after this row."""
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """Read a cursor, or refuse it with a 422 that says what to do."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, row_id = json.loads(raw)
        return dt.datetime.fromisoformat(created), uuid.UUID(row_id)
    except (ValueError, TypeError):
        raise InvalidInput(
            "the cursor is not valid",
            [{"field": "cursor", "message": "pass back exactly the next_cursor value of the previous page"}],
        ) from None


def paginate(
    session: Any,
    query: SelectOfScalar[T],
    *,
    created_col: Any,
    id_col: Any,
    cursor: str | None,
    limit: int,
    newest_first: bool,
) -> Page[T]:
    """Apply keyset pagination on (created_at, id) and fetch one page."""
    if cursor:
        created, row_id = decode_cursor(cursor)
        if newest_first:
            query = query.where(or_(created_col < created, and_(created_col == created, id_col < row_id)))
        else:
            query = query.where(or_(created_col > created, and_(created_col == created, id_col > row_id)))
    order = (created_col.desc(), id_col.desc()) if newest_first else (created_col.asc(), id_col.asc())
    rows = list(session.exec(query.order_by(*order).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = encode_cursor(last.created_at, last.id) if more and last is not None else None
    return Page(items=rows, next_cursor=next_cursor)


def paginate_by_id(
    session: Any, query: SelectOfScalar[T], *, id_col: Any, cursor: str | None, limit: int, newest_first: bool = True
) -> Page[T]:
    """By an integer id (append-only logs), newest first unless asked; the cursor is the last id seen."""
    return paginate_by_int(
        session, query, key_col=id_col, key_of=lambda row: row.id, cursor=cursor, limit=limit, descending=newest_first
    )


def paginate_by_int(
    session: Any,
    query: Any,
    *,
    key_col: Any,
    key_of: Callable[[Any], int],
    cursor: str | None,
    limit: int,
    descending: bool,
) -> Page[Any]:
    """Keyset paging on a unique integer column (rows may be tuples: ``key_of`` reads the key from one)."""
    if cursor:
        if not cursor.isdigit():
            raise InvalidInput("the cursor is not valid", [{"field": "cursor", "message": "pass back next_cursor"}])
        query = query.where(key_col < int(cursor) if descending else key_col > int(cursor))
    rows = list(session.exec(query.order_by(key_col.desc() if descending else key_col.asc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=str(key_of(rows[-1])) if more and rows else None)
