"""Process definition and instance models."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import InstanceStatus
from service.access.roles import Role


class DefinitionRead(BaseModel):
    """One version of a process definition."""

    id: uuid.UUID
    key: str
    version: int
    name: str
    hash: str = Field(description="SHA-256 of the BPMN file; the version's identity.")
    shared: bool = Field(description="True for definitions shared by every partnership.")
    created_at: Instant


class InstanceRead(BaseModel):
    """A process instance: where it is and what it knows."""

    id: uuid.UUID
    case_id: uuid.UUID
    definition_id: uuid.UUID
    status: InstanceStatus = Field(description="running | completed | failed")
    version: int
    active_element_ids: list[str]
    completed_element_ids: list[str]
    waiting_messages: list[str]
    variables: dict[str, Any] | None = Field(
        description="Free-form on purpose: the process variables (the answers of the case type's forms, whose JSON "
        "Schemas are each task's form_schema); null when you manage the lifecycle but are not on the case."
    )
    error: str | None
    created_at: Instant
    updated_at: Instant
    completed_at: Instant | None


class MeRead(BaseModel):
    """The caller, as the service sees them."""

    user_id: uuid.UUID
    partnership_id: uuid.UUID
    name: str
    roles: list[Role]
    agency: str | None
    machine: bool = Field(description="True for a partner system's agency-scoped machine token.")
    oversight: bool = Field(
        default=False,
        description="True when one of your roles is a partnership oversight role: you see every case. Otherwise "
        "you see the cases you are a member of, and your agency's part of the cases that involve it.",
    )
    can: list[str] = Field(
        default=[],
        description="What you may do, e.g. 'cases.open', 'users.manage', 'partnerships.manage' (docs/admin.md "
        "lists them); show or hide screens with it. The API checks every request regardless.",
    )


class AuditEventRead(BaseModel):
    """One entry of the append-only audit log."""

    id: int
    at: Instant
    actor_id: uuid.UUID | None = Field(description="Null when the system acted (a timer, the worker).")
    actor_label: str
    action: str = Field(description="e.g. case.opened, task.completed, timer.fired, instance.failed")
    object_type: str
    object_id: str
    summary: str
    detail: dict[str, Any] = Field(description="Free-form: what the step recorded (differs by action).")
