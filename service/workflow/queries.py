"""Read-only look-ups of process instances, under need-to-know."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.principal import Principal
from service.access.roles import Role
from service.audit.access import record_access
from service.errors import NotFound
from service.models import Case, ProcessInstance

# Process owners and partnership admins manage lifecycles (migrate, suspend...) without reading the cases.
INSTANCE_ADMINS = frozenset({Role.PROCESS_OWNER, Role.PARTNERSHIP_ADMIN})


def get_instance(
    session: Session, principal: Principal, instance_id: uuid.UUID, *, read: str | None = None
) -> ProcessInstance:
    """An instance whose case the caller sees fully (404 if they may not see it); ``read`` logs the look."""
    instance = _owned(session, principal, instance_id)
    try:
        case, _ = need_to_know.case_or_404(session, principal, instance.case_id, need=Level.FULL, doing="its process")
    except NotFound:
        raise NotFound(f"there is no process instance {instance_id}") from None
    if read:
        record_access(
            session, principal, kind=read, object_type="process_instance", object_id=instance.id, case_id=case.id
        )
    return instance


def instance_to_manage(session: Session, principal: Principal, instance_id: uuid.UUID) -> ProcessInstance:
    """An instance to migrate, suspend or end: admins reach any of their partnership's; others as get_instance."""
    if not principal.machine and principal.roles & INSTANCE_ADMINS:
        return _owned(session, principal, instance_id)
    return get_instance(session, principal, instance_id)


def sees_variables(session: Session, principal: Principal, instance: ProcessInstance) -> bool:
    """True when the caller may read the instance's variables (they see its case fully)."""
    case = session.get(Case, instance.case_id)
    return case is not None and need_to_know.level(session, principal, case) is Level.FULL


def _owned(session: Session, principal: Principal, instance_id: uuid.UUID) -> ProcessInstance:
    instance = session.exec(
        select(ProcessInstance).where(
            ProcessInstance.id == instance_id, ProcessInstance.partnership_id == principal.partnership_id
        )
    ).first()
    if instance is None:
        raise NotFound(f"there is no process instance {instance_id}")
    return instance
