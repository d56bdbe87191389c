"""Write audit events (in the caller's transaction, so no change goes unrecorded).

A step records several events (the completion, the case closing, a moot escalation): they are kept on the session
and written as one multi-row INSERT just before the transaction commits (one round trip rather than one each),
and dropped with everything else if it rolls back. A reader of audit events writes them first (``write_pending``).
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import event, insert
from sqlmodel import Session

from service.db.types import utcnow
from service.models import AuditEvent

SYSTEM_ACTOR = "system"
_PENDING = "lif_audit_pending"


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
    # Plain rows, not ORM objects: audit rows are never read back in the transaction that writes them (except by
    # ``write_pending``'s callers), so there is no reason to pay for the ORM (and its autoflush) here.
    session.connection()  # in a transaction (as always in practice), so that its rollback drops these rows too
    session.info.setdefault(_PENDING, []).append(
        {
            "partnership_id": partnership_id,
            "at": utcnow(),
            "actor_id": actor.user_id if actor else None,
            "actor_label": actor.label if actor else SYSTEM_ACTOR,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "summary": summary[:500],
            "detail": detail or {},
        }
    )


def write_pending(session: Session) -> None:
    """Write the events recorded so far in this transaction, in the order they were recorded."""
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.connection().execute(insert(AuditEvent.__table__), rows)  # type: ignore[attr-defined]


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)
