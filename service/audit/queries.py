"""Reading the audit log (partnership admins and business managers only)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.audit.log import write_pending
from service.errors import Forbidden
from service.models import AuditEvent
from service.pagination import Page, paginate_by_id

READERS = frozenset({"partnership_admin", "business_manager"})


def list_events(
    session: Session,
    principal: Principal,
    *,
    object_id: str | None,
    action: str | None,
    cursor: str | None,
    limit: int,
) -> Page[AuditEvent]:
    """The partnership's audit events, newest first (the cursor is the last id seen)."""
    if not principal.roles & READERS:
        raise Forbidden("the audit log is for partnership admins and business managers")
    write_pending(session)  # this transaction's own events too
    query = select(AuditEvent).where(AuditEvent.partnership_id == principal.partnership_id)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if action:
        query = query.where(AuditEvent.action == action)
    return paginate_by_id(session, query, id_col=col(AuditEvent.id), cursor=cursor, limit=limit)
