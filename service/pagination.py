"""Opaque keyset cursors: stable under inserts, and O(page) rather than O(offset)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, literal_column, or_, select, true, union_all
from sqlmodel.sql.expression import SelectOfScalar

from service.errors import InvalidInput

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Page(Generic[T]):
    """One page of results and the cursor for the next (``None`` on the last page)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(created_at: dt.datetime, row_id: uuid.UUID) -> str:
    """Cursor pointing just after this row."""
    return _pack(created_at.isoformat(), str(row_id))


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """Read a cursor, or refuse it with a 422 that says what to do."""
    return _unpack(cursor, lambda created, row_id: (dt.datetime.fromisoformat(created), uuid.UUID(row_id)))


def _pack(*values: str | None) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def _unpack(cursor: str, read: Callable[..., R]) -> R:
    try:
        return read(*json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))))
    except (ValueError, TypeError):
        raise _bad_cursor() from None


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        "the cursor is not valid",
        [{"field": "cursor", "message": "pass back exactly the next_cursor value of the previous page"}],
    )


def _after(created_col: Any, id_col: Any, created: dt.datetime, row_id: uuid.UUID) -> ColumnElement[bool]:
    """Rows after (created, id) in ascending (created, id) order."""
    return or_(created_col > created, and_(created_col == created, id_col > row_id))


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
            query = query.where(_after(created_col, id_col, created, row_id))
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
            raise _bad_cursor()
        query = query.where(key_col < int(cursor) if descending else key_col > int(cursor))
    rows = list(session.exec(query.order_by(key_col.desc() if descending else key_col.asc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=str(key_of(rows[-1])) if more and rows else None)


def encode_due_cursor(due_at: dt.datetime | None, created_at: dt.datetime, row_id: uuid.UUID) -> str:
    """Cursor pointing just after this row in (due date, no due date last; creation; id) order."""
    return _pack(due_at.isoformat() if due_at else None, created_at.isoformat(), str(row_id))


def decode_due_cursor(cursor: str) -> tuple[dt.datetime | None, dt.datetime, uuid.UUID]:
    """Read a due-order cursor, or refuse it with a 422 that says what to do."""
    return _unpack(
        cursor,
        lambda due, created, row_id: (
            dt.datetime.fromisoformat(due) if due else None,
            dt.datetime.fromisoformat(created),
            uuid.UUID(row_id),
        ),
    )


def paginate_by_due(
    session: Any,
    query: Select[Any],
    *,
    due_col: Any,
    created_col: Any,
    id_col: Any,
    cursor: str | None,
    limit: int,
    parts: Sequence[ColumnElement[bool]] = (),
) -> Page[Row[Any]]:
    """Keyset pagination soonest due first, rows without a due date last, then oldest, then by id.

    ``query`` selects columns, not a model: a page is read as plain rows (with ``due_at``, ``created_at`` and
    ``id`` among their columns) on the session's connection, after a flush, and never becomes ORM objects. Building
    an object and its instance state for each row was most of a list's cost (an object per row is only worth it
    for rows that are changed or whose relationships are followed; a list does neither).

    Dated rows (by due date) and undated ones (by creation) are two plain queries rather than one ordered by a
    "due date is null" expression: each can walk an index in order and stop after a page, where the expression
    makes the database sort every matching row first (30 times slower at 100,000 tasks). Same on SQLite and
    PostgreSQL, which order NULLs differently.

    ``parts``: disjoint conditions whose union is wanted (an OR of them would defeat the index the same way).
    Each is paged on its own and the pages merged: the union's first page lies within the parts' first pages.
    The parts' dated pieces are one UNION ALL of limited subqueries (one round trip however many parts), and their
    undated pieces a second one, sent only when the dated rows do not fill the page.
    """
    dated: list[Any] = [due_col.is_not(None)]
    undated: list[Any] = [due_col.is_(None)]
    dated_left = True
    if cursor:
        due, created, row_id = decode_due_cursor(cursor)
        after = _after(created_col, id_col, created, row_id)
        if due is None:  # the cursor is among the undated rows: no dated row is left
            dated_left = False
            undated.append(after)
        else:
            dated.append(or_(due_col > due, and_(due_col == due, after)))
    wanted = [query.where(part) for part in parts or [true()]]
    session.flush()  # as an ORM query would autoflush: the page includes what this session has written
    connection = session.connection()

    def merged(where: list[Any], order: tuple[Any, ...], count: int) -> list[Row[Any]]:
        pieces = [q.where(*where).order_by(*order).limit(count) for q in wanted]
        return _union_of(connection, pieces, order, count)

    rows: list[Row[Any]] = []
    if dated_left:
        rows = merged(dated, (due_col, created_col, id_col), limit + 1)
    if len(rows) <= limit:  # the page runs on into the undated rows
        rows += merged(undated, (created_col, id_col), limit + 1 - len(rows))
    rows.sort(key=lambda r: (r.due_at is None, r.due_at or dt.datetime.min, r.created_at, r.id))
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = encode_due_cursor(last.due_at, last.created_at, last.id) if more and last is not None else None
    return Page(items=rows, next_cursor=next_cursor)


def _union_of(connection: Connection, pieces: list[Select[Any]], order: tuple[Any, ...], wanted: int) -> list[Row[Any]]:
    """The first ``wanted`` rows of the pieces (each already in ``order`` and limited to ``wanted``) merged in that
    order, in one statement."""
    if len(pieces) == 1:
        return list(connection.execute(pieces[0]).all())
    # Each piece is wrapped as a subquery: SQLite allows no ORDER BY or LIMIT on a member of a compound SELECT. The
    # merge and its limit are the database's too: only the page's rows are decoded (each piece may bring a page of
    # its own). The merge names the subqueries' columns as text (typed, so values are decoded as the table's
    # columns would be): reaching a subquery's column objects builds them all anew on every call, which cost more
    # than the query (1.4 ms of a "my work" list's 2.3 ms, to match the result to the cached statement's columns).
    named = [literal_column(str(column.key), column.type) for column in pieces[0].selected_columns]
    combined = union_all(*(select(*named).select_from(piece.subquery()) for piece in pieces))
    page = combined.order_by(*(literal_column(column.key) for column in order)).limit(wanted)
    return list(connection.execute(page).all())
