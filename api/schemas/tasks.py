"""Task request and response models."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import TaskStateName
from service.access.roles import Role


class TaskMessage(BaseModel):
    """A message to show above the task's form, e.g. why the process sent this work back."""

    level: Literal["info", "warning", "error"]
    text: str
    code: str | None = Field(
        default=None, description="A stable key for the message when the diagram gives one (its messageCode)."
    )


class TaskSummary(BaseModel):
    """A human task in a list."""

    id: uuid.UUID
    case_id: uuid.UUID
    instance_id: uuid.UUID
    element_id: str
    name: str
    lane: str | None
    role: Role | None
    stage: str | None
    agency: str | None = Field(description="Agency code when the task is for one agency.")
    subject: str | None = Field(
        default=None, description="Whom this one task is about when a step has one task per person (e.g. an attendee)."
    )
    assignee_id: uuid.UUID | None
    state: TaskStateName = Field(description="open | completed | cancelled")
    created_at: Instant
    due_at: Instant | None
    completed_at: Instant | None
    completed_by_id: uuid.UUID | None
    version: int = Field(
        description='The first part of the ETag ("<version>-<digest>"): If-Match on claim, unclaim and complete '
        "compares only it, so send back the ETag you read (or this number)."
    )
    messages: list[TaskMessage] = Field(
        default_factory=list,
        description="Show these above the form: why the process offers this task again (declared in the diagram), "
        "or why it closed by itself. Empty for most tasks.",
    )


class TaskRead(TaskSummary):
    """A task with its form (JSON Schema 2020-12) and, once completed, the submitted data."""

    case_reference: str
    form_schema: dict[str, Any] = Field(
        description="A JSON Schema (2020-12) of this task's form: it describes `data` and what complete accepts."
    )
    data: dict[str, Any] = Field(
        description="Free-form on purpose: the submitted answers; `form_schema` describes them."
    )
    suggested_data: dict[str, Any] | None = Field(
        default=None,
        description="Answers brought forward: what your agency submitted on this step of its previous case of "
        "this type (tasks marked prefill=previous). Pre-fill the form with them; nothing is saved until you submit.",
    )
    complete_via: str | None = Field(
        default=None, description="When set, this task is completed through that endpoint, not /complete."
    )
    checks_work_of: str | None = Field(
        default=None,
        description="When set, this task is a second-person check of that task (its BPMN element id): whoever "
        "completed it may not claim or complete this one (403), even when they hold this task's role too.",
    )


def _no_additional_properties(schema: dict[str, Any]) -> None:
    schema.pop("additionalProperties", None)


class TaskCompletion(BaseModel):
    """The form's answers, validated against the task's form_schema."""

    # Other top-level keys are kept (not shown in the schema) so that answers sent without the "data" wrapper
    # are refused with that advice rather than silently ignored.
    model_config = ConfigDict(extra="allow", json_schema_extra=_no_additional_properties)

    data: dict[str, Any] = Field(
        default_factory=dict, description="Free-form on purpose: the answers, as the task's `form_schema` describes."
    )
