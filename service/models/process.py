"""Process definitions (versions pinned by content hash), running instances, and their timers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from service.db.types import UtcDateTime
from service.models._columns import created_field, id_field, json_field, partnership_field, time_field

# running → suspended ↔ running; it ends completed (its end event), terminated (by a process owner) or failed.
INSTANCE_STATUSES = ("running", "suspended", "completed", "failed", "terminated")


class ProcessDefinition(SQLModel, table=True):
    """One version of a BPMN process. Shared by all partnerships when ``partnership_id`` is null."""

    __tablename__ = "process_definition"

    # Versions count per process key and owner: shared versions among themselves, each partnership's variants
    # among themselves (a partnership's first variant is v1 whatever others have deployed). NULL is not equal to
    # NULL in a unique constraint, so the shared numbering needs its own partial index.
    __table_args__ = (
        Index(
            "uq_process_definition_shared_version",
            "process_key",
            "version",
            unique=True,
            sqlite_where=text("partnership_id IS NULL"),
            postgresql_where=text("partnership_id IS NULL"),
        ),
        Index(
            "uq_process_definition_partnership_version",
            "process_key",
            "partnership_id",
            "version",
            unique=True,
            sqlite_where=text("partnership_id IS NOT NULL"),
            postgresql_where=text("partnership_id IS NOT NULL"),
        ),
    )

    id: uuid.UUID = id_field()
    process_key: str = Field(max_length=100, index=True)
    version: int
    name: str = Field(max_length=200)
    content_hash: str = Field(max_length=64, index=True)
    source: str = Field(max_length=300)
    bpmn_xml: str = Field(sa_column=Column(Text, nullable=False))
    partnership_id: uuid.UUID | None = Field(default=None, foreign_key="partnership.id", index=True)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    change_note: str = Field(default="", max_length=1000)
    created_at: dt.datetime = created_field()


class ProcessInstance(SQLModel, table=True):
    """A running (or finished) process. ``version`` guards against lost updates (optimistic concurrency)."""

    __tablename__ = "process_instance"

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    definition_id: uuid.UUID = Field(foreign_key="process_definition.id", index=True)
    status: str = Field(default="running", max_length=20, index=True)  # one of INSTANCE_STATUSES
    state: dict[str, Any] = json_field(ordered=True)  # SpiffWorkflow needs key order kept
    serializer_version: str = Field(max_length=40)
    version: int = Field(default=1)
    variables: dict[str, Any] = json_field()
    active_element_ids: list[str] = json_field(list)
    completed_element_ids: list[str] = json_field(list)
    waiting_messages: list[str] = json_field(list)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()
    completed_at: dt.datetime | None = time_field()


class Timer(SQLModel, table=True):
    """A timer an instance is waiting on. The worker fires those whose ``due_at`` has passed."""

    __tablename__ = "timer"

    __table_args__ = (
        UniqueConstraint("instance_id", "engine_task_id"),
        Index("ix_timer_status_due_at", "status", "due_at"),
        # Every engine step reads its instance's waiting timers: without planner statistics SQLite would
        # otherwise pick (status, due_at) and scan every waiting timer of every case.
        Index("ix_timer_instance_id_status", "instance_id", "status"),
    )

    id: uuid.UUID = id_field()
    # Timers are looked up by instance or by due time, never by partnership alone (migration 0020).
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    instance_id: uuid.UUID = Field(foreign_key="process_instance.id")
    engine_task_id: str = Field(max_length=40)
    element_id: str = Field(max_length=200)
    name: str = Field(max_length=300)
    due_at: dt.datetime = Field(sa_type=UtcDateTime, nullable=False)
    status: str = Field(default="waiting", max_length=20)
    fired_at: dt.datetime | None = time_field()
    created_at: dt.datetime = created_field()
