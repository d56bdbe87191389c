"""Reading the access log: who looked at a case, what a person looked at (partnership admins and the DPO)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.access.roles import Role
from service.errors import Forbidden, InvalidInput
from service.models import AccessEvent
from service.pagination import Page

READERS = frozenset({Role.PARTNERSHIP_ADMIN, Role.DATA_PROTECTION_OFFICER})


def require_reader(principal: Principal, doing: str) -> None:
    """The access log and subject access are for partnership admins and data protection officers."""
    if principal.machine or not principal.roles & READERS:
        raise Forbidden(f"{doing} is for partnership admins and data protection officers")


def list_access(
    session: Session,
    principal: Principal,
    *,
    case_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    kind: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    cursor: str | None,
    limit: int,
) -> Page[AccessEvent]:
    """The partnership's access-log entries, newest first, filtered (the cursor is the last id seen)."""
    require_reader(principal, "the access log")
    query = select(AccessEvent).where(AccessEvent.partnership_id == principal.partnership_id)
    if case_id is not None:
        query = query.where(AccessEvent.case_id == case_id)
    if actor_id is not None:
        query = query.where(AccessEvent.actor_id == actor_id)
    if kind:
        query = query.where(AccessEvent.kind == kind)
    if since is not None:
        query = query.where(col(AccessEvent.at) >= since)
    if until is not None:
        query = query.where(col(AccessEvent.at) < until)
    if cursor:
        if not cursor.isdigit():
            raise InvalidInput("the cursor is not valid", [{"field": "cursor", "message": "pass back next_cursor"}])
        query = query.where(col(AccessEvent.id) < int(cursor))
    rows = list(session.exec(query.order_by(col(AccessEvent.id).desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=str(rows[-1].id) if more and rows else None)
