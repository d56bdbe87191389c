"""Notifications: mine, a task's (its chase history), the partnership's; preferences; meeting invitations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Body, Query

from api.deps import LimitDep, PrincipalDep, SessionDep
from api.openapi_contract import merge_patch_of
from api.routing import ResourceRouter
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.notifications import (
    ChaseScheduleBody,
    Delivery,
    MeetingBody,
    MeetingRead,
    NotificationRead,
    NotificationSettingsRead,
    PreferenceRead,
    PreferencesRead,
)
from api.schemas.vocabulary import NotificationStatus
from service.models import Notification
from service.notifications import meetings, policy, queries
from service.notifications.policy import NotificationSettings

router = ResourceRouter(prefix="/api/v1", tags=["notifications"], responses=PROBLEM_RESPONSES)
StatusQuery = Annotated[
    NotificationStatus | None, Query(description="Only notifications in this status, e.g. failed_permanent.")
]


def _read(row: Notification, recipient_name: str | None = None) -> NotificationRead:
    facts = row.facts
    return NotificationRead(
        id=row.id,
        kind=row.kind,
        status=row.status,
        recipient_id=row.recipient_id,
        recipient_name=recipient_name,
        case_id=row.case_id,
        task_id=row.task_id,
        case_reference=facts.get("case_reference"),
        task_name=facts.get("task_name"),
        due_date=facts.get("due_date"),
        occasion=facts.get("occasion"),
        link=facts.get("link"),
        message_id=row.message_id,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
        digest_id=row.digest_id,
    )


def _withheld(read: NotificationRead) -> NotificationRead:
    """A notice about a case the caller may not see: only who, what kind, and how delivery went."""
    hidden = dict.fromkeys(("case_id", "task_id", "case_reference", "task_name", "due_date", "occasion", "link"))
    return read.model_copy(update=hidden)


def _page(page: Any) -> Page[NotificationRead]:
    return Page[NotificationRead](items=[_read(r) for r in page.items], next_cursor=page.next_cursor)


def _preferences(items: list[queries.Preference]) -> PreferencesRead:
    return PreferencesRead(
        preferences=[PreferenceRead(kind=p.kind, delivery=p.delivery, mandatory=p.mandatory) for p in items]
    )


def _settings(settings: NotificationSettings) -> NotificationSettingsRead:
    dumped = settings.model_dump(mode="json")
    return NotificationSettingsRead(
        mandatory=dumped["mandatory"], chase=ChaseScheduleBody(**dumped["chase"]), wording=dumped["wording"]
    )


@router.get("/me/notifications")
def list_my_notifications(
    session: SessionDep, principal: PrincipalDep, limit: LimitDep, status: StatusQuery = None, cursor: str | None = None
) -> Page[NotificationRead]:
    """What you were sent (or will be, or chose not to receive), newest first, with each one's delivery status."""
    return _page(queries.mine(session, principal, status=status, cursor=cursor, limit=limit))


@router.get("/me/notification-preferences")
def get_notification_preferences(session: SessionDep, principal: PrincipalDep) -> PreferencesRead:
    """Every kind of notification and how it reaches you: immediate, in the daily digest, or off."""
    return _preferences(queries.preferences(session, principal))


@router.put("/me/notification-preferences")
def put_notification_preferences(
    session: SessionDep,
    principal: PrincipalDep,
    choices: dict[str, Delivery] = Body(examples=[{"task_available": "digest", "task_assigned": "off"}]),
) -> PreferencesRead:
    """Set how the kinds given reach you (others keep their choice); mandatory kinds are always immediate."""
    return _preferences(queries.set_preferences(session, principal, dict(choices)))


@router.get("/tasks/{task_id}/notifications")
def list_task_notifications(
    task_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, limit: LimitDep, cursor: str | None = None
) -> Page[NotificationRead]:
    """Everyone told about the task and when (its chase history), oldest first, with each message's delivery status."""
    page = queries.of_task(session, principal, task_id, cursor=cursor, limit=limit)
    return Page[NotificationRead](items=[_read(row, name) for row, name in page.items], next_cursor=page.next_cursor)


@router.get("/notifications")
def list_notifications(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    status: StatusQuery = None,
    recipient_id: Annotated[uuid.UUID | None, Query(description="Only this person's notifications.")] = None,
    cursor: str | None = None,
) -> Page[NotificationRead]:
    """The partnership's notifications or one person's (admins, business managers), e.g. ``status=failed_permanent``."""
    page, visible = queries.of_partnership(
        session, principal, status=status, recipient_id=recipient_id, cursor=cursor, limit=limit
    )
    items = [_read(r) if r.case_id is None or r.case_id in visible else _withheld(_read(r)) for r in page.items]
    return Page[NotificationRead](items=items, next_cursor=page.next_cursor)


@router.get("/partnership/notifications")
def get_notification_settings(session: SessionDep, principal: PrincipalDep) -> NotificationSettingsRead:
    """Mandatory kinds, the chasing schedule and the partnership's own wording, defaults filled in."""
    return _settings(policy.read_settings(session, principal=principal))


@router.patch("/partnership/notifications", openapi_extra=merge_patch_of(NotificationSettings))
def patch_notification_settings(
    session: SessionDep,
    principal: PrincipalDep,
    changes: dict[str, Any] = Body(
        examples=[{"chase": {"every_working_days": 2}, "wording": {"chase": {"subject": "Reminder: {task_name}"}}}]
    ),
) -> NotificationSettingsRead:
    """Change some settings (partnership admin or business manager); validated and audited."""
    return _settings(policy.update_settings(session, principal=principal, changes=changes))


@router.put("/tasks/{task_id}/meeting")
def send_meeting(task_id: uuid.UUID, body: MeetingBody, session: SessionDep, principal: PrincipalDep) -> MeetingRead:
    """Send the meeting's iCalendar invitation (or, when sent before, an update with the same UID)."""
    sent = meetings.send_meeting(
        session, principal, task_id, starts_at=body.starts_at, ends_at=body.ends_at, location=body.location
    )
    return MeetingRead(
        uid=sent.uid, sequence=sent.sequence, method="REQUEST", notifications=[_read(n) for n in sent.notifications]
    )


@router.delete("/tasks/{task_id}/meeting")
def cancel_meeting(task_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> MeetingRead:
    """Cancel the meeting: a CANCEL with the same UID goes to everyone invited."""
    sent = meetings.send_meeting(session, principal, task_id, starts_at=None, ends_at=None, location="", cancel=True)
    return MeetingRead(
        uid=sent.uid, sequence=sent.sequence, method="CANCEL", notifications=[_read(n) for n in sent.notifications]
    )
