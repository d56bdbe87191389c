"""Webhook subscription models and the payloads partners receive."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import (
    ActionStatus,
    CaseStatus,
    DeliveryStatus,
    OneOf,
    SubscribableEventType,
    SubscriptionStatus,
    TaskStateName,
)
from service.access.roles import Role
from service.outbox.events import EventType


class SubscriptionCreate(BaseModel):
    """Register an endpoint. Agency staff and machine tokens are always scoped to their own agency."""

    url: str = Field(max_length=2000, description="https in production; private and loopback hosts are refused.")
    event_types: list[SubscribableEventType] = Field(min_length=1, description="See GET /webhooks/event-types.")
    agency: str | None = Field(default=None, description="Admins: scope to one agency's events; null = all.")
    description: str = Field(default="", max_length=300)


class SubscriptionUpdate(BaseModel):
    """Change an endpoint; set status 'active' to re-enable a disabled one."""

    url: str | None = Field(default=None, max_length=2000)
    event_types: list[SubscribableEventType] | None = None
    description: str | None = Field(default=None, max_length=300)
    status: SubscriptionStatus | None = None


class SubscriptionRead(BaseModel):
    """A subscription (its secret is never shown again after creation or rotation)."""

    id: uuid.UUID
    url: str
    event_types: list[SubscribableEventType]
    agency: str | None
    description: str
    status: SubscriptionStatus
    disabled_reason: str | None
    previous_secret_expires_at: Instant | None
    failing_since: Instant | None
    created_at: Instant
    updated_at: Instant


class SubscriptionWithSecret(BaseModel):
    """A subscription and its signing secret (`whsec_...`): store it now, it is not shown again."""

    subscription: SubscriptionRead
    secret: str


class ReplayRequest(BaseModel):
    """Replay one event (webhook_id) or every event not delivered since a time."""

    webhook_id: str | None = None
    since: dt.datetime | None = None


class Queued(BaseModel):
    """How many deliveries were queued, and for a ping its webhook-id."""

    queued: int
    webhook_id: str | None = None


class AttemptRead(BaseModel):
    """One HTTP attempt."""

    attempt_number: int
    attempted_at: Instant
    status_code: int | None
    latency_ms: int
    response_excerpt: str
    error: str | None


class DeliveryRead(BaseModel):
    """One event to this endpoint, and every attempt."""

    webhook_id: str
    event_type: EventType
    status: DeliveryStatus = Field(description="pending | delivered | failed | cancelled")
    attempt_count: int
    next_attempt_at: Instant
    delivered_at: Instant | None
    created_at: Instant
    attempts: list[AttemptRead]


class MachineTokenCreate(BaseModel):
    """Name the partner system the token is for."""

    name: str = Field(min_length=1, max_length=100, description="e.g. 'Police case management system'")
    expires_at: AwareDatetime | None = Field(
        default=None, description="Optional, with a time zone; machine tokens need not expire."
    )


class MachineTokenRead(BaseModel):
    """A machine token (shown once) scoped to one agency: its tasks and its webhooks, nothing else."""

    token: str
    user_id: uuid.UUID
    agency: str


class TaskEventData(BaseModel):
    """What a task event says: ids, names, dates and links; never personal details."""

    task_id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    task_name: str
    element_id: str
    role: Role | None
    agency: str | None
    state: TaskStateName
    due_at: Instant | None
    created_at: Instant = Field(description="When the task appeared: the same string as the task's created_at.")
    links: dict[str, str] = Field(description="API paths to fetch the task and case with your token.")


class CaseEventData(BaseModel):
    """What a case event says."""

    case_id: uuid.UUID
    case_reference: str
    case_type: str
    status: CaseStatus
    stages: list[str]
    links: dict[str, str]


def _of(prefix: str) -> list[str]:
    return [e.value for e in EventType if e.value.startswith(prefix)]


TaskEventType = Annotated[str, OneOf("TaskEventType", _of("task."))]
CaseEventType = Annotated[str, OneOf("CaseEventType", _of("case."))]
ActionEventType = Annotated[str, OneOf("ActionEventType", _of("action."))]
LearningItemEventType = Annotated[str, OneOf("LearningItemEventType", _of("learning_item."))]


class TaskEvent(BaseModel):
    """task.created | task.assigned | task.completed | task.due_soon | task.overdue."""

    type: TaskEventType
    timestamp: Instant
    data: TaskEventData


class CaseEvent(BaseModel):
    """case.opened | case.stage_changed | case.closed."""

    type: CaseEventType
    timestamp: Instant
    data: CaseEventData


class ActionEventData(BaseModel):
    """What an action event says (fetch the action with your token for the detail)."""

    action_id: uuid.UUID
    case_reference: str = Field(description="The action's own case reference (ACT-...).")
    owner_agency: str
    status: ActionStatus
    due_date: dt.date
    links: dict[str, str]


class ActionEvent(BaseModel):
    """action.due_soon | action.overdue (its due date is near, or passed, with the outcome unreported) |
    action.closed (sustained or not implemented)."""

    type: ActionEventType
    timestamp: Instant
    data: ActionEventData


class LearningItemEventData(BaseModel):
    """What a learning item event says: the item, the agency asked to cascade it, and the loop it is on."""

    learning_item_id: uuid.UUID
    case_reference: str = Field(description="The learning item's own case reference.")
    title: str
    agency: str = Field(description="The agency whose safeguarding lead is asked to cascade it.")
    loop: int = Field(description="Which time round the learning loop (1 the first).")
    links: dict[str, str] = Field(description="API paths: the learning item, and the agency's open tasks.")


class LearningItemEvent(BaseModel):
    """learning_item.dissemination_requested: an agency is asked to cascade a learning item to its staff."""

    type: LearningItemEventType
    timestamp: Instant
    data: LearningItemEventData


class PingEvent(BaseModel):
    """A test event sent on demand."""

    type: Literal["ping"]
    timestamp: Instant
    data: dict[str, str]


class EventTypesRead(BaseModel):
    """The event types a subscription can ask for."""

    event_types: list[SubscribableEventType] = Field(description="Every type you can subscribe to.")
    not_yet_emitted: list[SubscribableEventType] = Field(
        description="Accepted in subscriptions, not sent yet (reserved for features to come)."
    )
