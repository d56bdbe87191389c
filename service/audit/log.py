"""Write audit events (in the caller's transaction, so no change goes unrecorded)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from service.identity.principal import Principal
from service.models import AuditEvent

SYSTEM_ACTOR = "system"


def record(
    session: Session,
    *,
    partnership_id: uuid.UUID | None,
    actor: Principal | None,
    action: str,
    object_type: str,
    object_id: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event: who (``None`` = the system, e.g. a timer), what, to which object, in a sentence."""
    session.add(
        AuditEvent(
            partnership_id=partnership_id,
            actor_id=actor.user_id if actor else None,
            actor_label=actor.label if actor else SYSTEM_ACTOR,
            action=action,
            object_type=object_type,
            object_id=object_id,
            summary=summary[:500],
            detail=detail or {},
        )
    )
