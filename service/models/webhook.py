"""Partner webhooks: subscriptions, the event outbox, deliveries and every attempt."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Column, Identity, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field, time_field

SUBSCRIPTION_STATUSES = ("active", "disabled")
DELIVERY_STATUSES = ("pending", "delivered", "failed", "cancelled")


class WebhookSubscription(SQLModel, table=True):
    """A partner endpoint and the event types it wants; agency-scoped when ``agency_code`` is set."""

    __tablename__ = "webhook_subscription"

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    agency_code: str | None = Field(default=None, max_length=40)
    url: str = Field(max_length=2000)
    event_types: list[str] = json_field(list)
    description: str = Field(default="", max_length=300)
    status: str = Field(default="active", max_length=20)  # one of SUBSCRIPTION_STATUSES
    disabled_reason: str | None = Field(default=None, max_length=500)
    secret_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    previous_secret_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    previous_secret_expires_at: dt.datetime | None = time_field()
    failing_since: dt.datetime | None = time_field()
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()


class WebhookEvent(SQLModel, table=True):
    """The outbox: written in the same transaction as the change it describes.

    ``seq`` orders events (an integer primary key: SQLite only auto-increments those); ``webhook_id`` is the
    Standard Webhooks message id, the same on every retry so partners can de-duplicate.
    """

    __tablename__ = "webhook_event"
    __table_args__ = (Index("ix_webhook_event_partnership_id_seq", "partnership_id", "seq"),)

    seq: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True),
    )
    webhook_id: str = Field(unique=True, max_length=40)
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    event_type: str = Field(max_length=60)
    agency_code: str | None = Field(default=None, max_length=40)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = created_field()


class WebhookDelivery(SQLModel, table=True):
    """One event to one subscription: retried with backoff until delivered, failed or cancelled."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_seq", "subscription_id"),
        Index("ix_webhook_delivery_subscription_id_status_event_seq", "subscription_id", "status", "event_seq"),
        Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    subscription_id: uuid.UUID = Field(foreign_key="webhook_subscription.id")
    event_seq: int = Field(sa_type=BigInteger, foreign_key="webhook_event.seq")
    status: str = Field(default="pending", max_length=20)  # one of DELIVERY_STATUSES
    attempt_count: int = Field(default=0)
    next_attempt_at: dt.datetime = created_field()
    lease_until: dt.datetime | None = time_field()
    delivered_at: dt.datetime | None = time_field()
    created_at: dt.datetime = created_field()


class WebhookAttempt(SQLModel, table=True):
    """One HTTP attempt: when, what came back, how long it took."""

    __tablename__ = "webhook_attempt"

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    delivery_id: uuid.UUID = Field(foreign_key="webhook_delivery.id", index=True)
    attempt_number: int
    attempted_at: dt.datetime = created_field()
    status_code: int | None = None
    latency_ms: int
    response_excerpt: str = Field(default="", max_length=1000)
    error: str | None = Field(default=None, max_length=500)


__all__ = ["WebhookAttempt", "WebhookDelivery", "WebhookEvent", "WebhookSubscription"]
