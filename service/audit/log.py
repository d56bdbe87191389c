"""Write audit events (in the caller's transaction, so no change goes unrecorded)."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import insert
from sqlmodel import Session

from service.db.types import utcnow
from service.models import AuditEvent

SYSTEM_ACTOR = "system"


class Actor(Protocol):
    """Whoever acted: a Principal satisfies this; ``None`` means the system (a timer, the worker)."""

    @property
    def user_id(self) -> uuid.UUID: ...

    @property
    def label(self) -> str: ...


def record(
    session: Session,
    *,
    partnership_id: uuid.UUID | None,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event: who (``None`` = the system, e.g. a timer), what, to which object, in a sentence."""
    # A plain INSERT on the transaction's connection: audit rows are never read back in the transaction that
    # writes them, so there is no reason to pay for the ORM (and its autoflush) here.
    session.connection().execute(
        insert(AuditEvent.__table__).values(  # type: ignore[attr-defined]
            partnership_id=partnership_id,
            at=utcnow(),
            actor_id=actor.user_id if actor else None,
            actor_label=actor.label if actor else SYSTEM_ACTOR,
            action=action,
            object_type=object_type,
            object_id=object_id,
            summary=summary[:500],
            detail=detail or {},
        )
    )
