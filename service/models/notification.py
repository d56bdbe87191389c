"""E-mail notifications to people: each message, its delivery state, and what each person wants to receive."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field, time_field

# What became of a notice (the class docstring says what each means).
NOTIFICATION_STATUSES = (
    "pending",
    "sent",
    "failed_permanent",
    "digest",
    "in_digest",
    "off",
    "not_sent_mail_off",
    "withdrawn",
)


class Notification(SQLModel, table=True):
    """One message to one person, written in the transaction of the change it tells of.

    ``status``: pending (due to send) | sent | failed_permanent | digest (waits for the daily digest) |
    in_digest (went out inside digest ``digest_id``) | off (the person turned the kind off; recorded only) |
    not_sent_mail_off (no SMTP server configured). A chase is a notification of kind ``chase``: the task's chase
    history is its notifications. ``idempotency_key`` (unique) makes producing the same notice twice a no-op.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_notification_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notification_recipient_id_created_at", "recipient_id", "created_at"),
    )

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    recipient_id: uuid.UUID = Field(foreign_key="app_user.id")
    kind: str = Field(max_length=40)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="case_record.id", index=True)
    task_id: uuid.UUID | None = Field(default=None, foreign_key="human_task.id", index=True)
    idempotency_key: str = Field(max_length=200)
    message_id: str = Field(max_length=200)  # the RFC 5322 Message-ID, the same on every attempt
    status: str = Field(default="pending", max_length=30)
    # What the message says, fixed when it is produced: case reference, pseudonym, task name, due date, link.
    facts: dict[str, Any] = json_field()
    attempts: int = Field(default=0)
    next_attempt_at: dt.datetime | None = time_field()
    lease_until: dt.datetime | None = time_field()  # a worker is sending it until then
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    digest_id: uuid.UUID | None = Field(default=None)
    created_at: dt.datetime = created_field()
    sent_at: dt.datetime | None = time_field()


class NotificationPreference(SQLModel, table=True):
    """How one person wants one kind of notification: immediate, in the daily digest, or off."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    kind: str = Field(max_length=40)
    delivery: str = Field(max_length=20)  # immediate | digest | off
    updated_at: dt.datetime = created_field()
