"""Reading the access log: who looked at a case, what a person looked at (partnership admins and the DPO)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.dataprotection.guard import require_data_protection_role
from service.models import AccessEvent
from service.pagination import Page, paginate_by_id


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
    require_data_protection_role(principal, "the access log")
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
    return paginate_by_id(session, query, id_col=col(AccessEvent.id), cursor=cursor, limit=limit)
