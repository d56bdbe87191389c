"""Read-only look-ups of process instances."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from service.access.principal import Principal
from service.errors import NotFound
from service.models import ProcessInstance


def get_instance(session: Session, principal: Principal, instance_id: uuid.UUID) -> ProcessInstance:
    """An instance of the caller's partnership (404 otherwise)."""
    instance = session.exec(
        select(ProcessInstance).where(
            ProcessInstance.id == instance_id, ProcessInstance.partnership_id == principal.partnership_id
        )
    ).first()
    if instance is None:
        raise NotFound(f"there is no process instance {instance_id}")
    return instance
