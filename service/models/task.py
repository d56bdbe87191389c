"""Human tasks, projected from the engine into a queryable table."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field, time_field


class HumanTask(SQLModel, table=True):
    """A user task of a process instance: who may do it, by when, and what they submitted."""

    __tablename__ = "human_task"

    __table_args__ = (
        # GET /tasks pages soonest due first: "my work" as its claimable and its assigned part (migration 0017)
        Index(
            "ix_human_task_partnership_id_state_due_at_created_at_id",
            "partnership_id",
            "state",
            "due_at",
            "created_at",
            "id",
        ),
        Index(
            "ix_human_task_partnership_id_assignee_id_due_at_created_at_id",
            "partnership_id",
            "assignee_id",
            "due_at",
            "created_at",
            "id",
        ),
        Index(  # a case's tasks (GET /tasks?case_id=), in the same order
            "ix_human_task_partnership_id_case_id_state_due_at_created_at_id",
            "partnership_id",
            "case_id",
            "state",
            "due_at",
            "created_at",
            "id",
        ),
        Index("ix_human_task_instance_id_state", "instance_id", "state"),
    )

    id: uuid.UUID = id_field()
    # No index by partnership, role or assignee alone: every query names the partnership, and the indexes above
    # lead with it (migration 0020).
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    instance_id: uuid.UUID = Field(foreign_key="process_instance.id")
    case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    engine_task_id: str = Field(max_length=40)
    element_id: str = Field(max_length=200)
    # A second-person check (``checksWorkOf``): the element whose latest completer may not do this task.
    checks_work_of: str | None = Field(default=None, max_length=200)
    name: str = Field(max_length=300)
    lane: str | None = Field(default=None, max_length=200)
    role: str | None = Field(default=None, max_length=60)
    stage: str | None = Field(default=None, max_length=100)
    agency_code: str | None = Field(default=None, max_length=40, index=True)
    subject: str | None = Field(default=None, max_length=200)
    assignee_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    state: str = Field(default="open", max_length=20)
    due_at: dt.datetime | None = time_field(index=True)
    created_at: dt.datetime = created_field()
    completed_at: dt.datetime | None = time_field()
    completed_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    data: dict[str, Any] = json_field()
    # Shown above the form: [{level, text, code}], why the process offers it again or why it closed by itself.
    messages: list[dict[str, Any]] = json_field(list)
    due_soon_notified_at: dt.datetime | None = time_field()
    overdue_notified_at: dt.datetime | None = time_field()
    version: int = Field(default=1)
    data_disposed_at: dt.datetime | None = time_field()  # the submission was removed at the end of its retention
