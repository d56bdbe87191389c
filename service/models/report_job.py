"""A partnership report made in the background, with its progress, for generations too long for one request."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, partnership_field, time_field


class ReportJob(SQLModel, table=True):
    """One requested generation: queued → running (stage, percent) → done (the file) or failed (the reason)."""

    __tablename__ = "report_job"

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    requested_by_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(max_length=60)
    year: int | None = None
    format: str = Field(max_length=10)
    status: str = Field(default="queued", max_length=20, index=True)  # queued | running | done | failed
    stage: str = Field(default="waiting for the worker", max_length=100)
    progress: int = 0  # percent
    attempts: int = 0
    error: str | None = Field(default=None, max_length=1000)
    filename: str | None = Field(default=None, max_length=200)
    media_type: str | None = Field(default=None, max_length=100)
    # The document itself, kept for a day (service/reports/jobs.py): it is generated from personal data.
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: dt.datetime = created_field()
    started_at: dt.datetime | None = time_field()
    finished_at: dt.datetime | None = time_field()
