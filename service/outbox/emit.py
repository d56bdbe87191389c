"""Write an event to the outbox and fan it out to matching subscriptions, in the caller's transaction."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from service.db.rows import new_row
from service.db.types import utcnow
from service.models import WebhookDelivery, WebhookEvent
from service.outbox.events import case_data, task_data
from service.outbox.listeners import tell_listeners
from service.outbox.subscriptions import active_subscriptions
from service.timestamps import rfc3339


def new_webhook_id() -> str:
    """A Standard Webhooks message id (stable across retries)."""
    return "msg_" + secrets.token_hex(12)


def emit(
    session: Session,
    *,
    partnership_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
    agency_code: str | None = None,
    only_subscription: uuid.UUID | None = None,
) -> WebhookEvent | None:
    """Record an event for every active subscription that wants it; nothing is written if none does.

    An agency-scoped subscription only receives events about its own agency (``agency_code``).
    """
    subscriptions = [
        s
        for s in active_subscriptions(session, partnership_id)
        if only_subscription is None or s.id == only_subscription
    ]
    targets = [
        sub
        for sub in subscriptions
        if (only_subscription is not None or event_type in sub.event_types)
        and (sub.agency_code is None or sub.agency_code == agency_code)
    ]
    if not targets:
        return None
    now = utcnow()
    event = new_row(
        WebhookEvent,
        webhook_id=new_webhook_id(),
        partnership_id=partnership_id,
        event_type=event_type,
        agency_code=agency_code,
        body=json.dumps({"type": event_type, "timestamp": rfc3339(now), "data": data}, separators=(",", ":")),
        created_at=now,
    )
    session.add(event)
    session.flush()  # assigns seq, which orders deliveries per endpoint
    assert event.seq is not None
    session.execute(
        insert(WebhookDelivery),
        [
            {
                "id": uuid.uuid4(),
                "partnership_id": partnership_id,
                "subscription_id": sub.id,
                "event_seq": event.seq,
                "status": "pending",
                "attempt_count": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for sub in targets
        ],
    )
    return event


def emit_task_event(session: Session, event_type: str, task: Any, case_reference: str) -> None:
    """Emit a task event (created, assigned, completed, due soon, overdue) scoped to the task's agency."""
    emit(
        session,
        partnership_id=task.partnership_id,
        event_type=event_type,
        agency_code=task.agency_code,
        data=task_data(
            task_id=task.id,
            case_id=task.case_id,
            case_reference=case_reference,
            name=task.name,
            element_id=task.element_id,
            role=task.role,
            agency=task.agency_code,
            due_at=task.due_at,
            created_at=task.created_at,
            state=task.state,
        ),
    )
    tell_listeners(session, event_type, task, case_reference)


def emit_case_event(session: Session, event_type: str, case: Any) -> None:
    """Emit a case event (opened, stage changed, closed) to partnership-wide subscriptions."""
    emit(
        session,
        partnership_id=case.partnership_id,
        event_type=event_type,
        data=case_data(
            case_id=case.id,
            reference=case.reference,
            case_type=case.case_type,
            status=case.status,
            stages=list(case.stages),
        ),
    )
