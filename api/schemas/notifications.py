"""Notifications, preferences, the partnership's notification settings and meeting invitations."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import NotificationStatus
from service.notifications.kinds import Kind

Delivery = Literal["immediate", "digest", "off"]


class NotificationRead(BaseModel):
    """One message to one person and how its delivery went."""

    id: uuid.UUID
    kind: Kind
    status: NotificationStatus = Field(
        description="pending | sent | failed_permanent | digest | in_digest | off | not_sent_mail_off | withdrawn"
    )
    recipient_id: uuid.UUID
    recipient_name: str | None = None
    case_id: uuid.UUID | None
    task_id: uuid.UUID | None
    case_reference: str | None = None
    task_name: str | None = None
    due_date: str | None = None
    occasion: str | None = Field(default=None, description="For a chase: due soon, due today, overdue reminder N.")
    link: str | None = None
    message_id: str
    attempts: int
    last_error: str | None
    next_attempt_at: Instant | None
    created_at: Instant
    sent_at: Instant | None
    digest_id: uuid.UUID | None


class PreferenceRead(BaseModel):
    """How one kind reaches the caller."""

    kind: Kind
    delivery: Delivery
    mandatory: bool = Field(description="The partnership made it mandatory: always sent at once.")


class PreferencesRead(BaseModel):
    """Every kind of notification with the caller's choice."""

    preferences: list[PreferenceRead]


class ChaseScheduleBody(BaseModel):
    """When open agency tasks are chased."""

    enabled: bool
    at_due_soon: bool
    on_due_date: bool
    every_working_days: int
    max_repeats: int


class NotificationSettingsRead(BaseModel):
    """The partnership's choices: mandatory kinds, the chasing schedule, its own wording per kind."""

    mandatory: list[str]
    chase: ChaseScheduleBody
    wording: dict[str, dict[str, Any]]


class MeetingBody(BaseModel):
    """When and where the meeting is (a change later sends an update with the same UID)."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str = Field(default="", max_length=300)


class MeetingRead(BaseModel):
    """What was sent: the invitation's UID and SEQUENCE, and a notification per attendee."""

    uid: str
    sequence: int
    method: Literal["REQUEST", "CANCEL"]
    notifications: list[NotificationRead]
