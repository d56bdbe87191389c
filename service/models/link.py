"""Links between cases: a child death review that opened a rapid review, an intake that routed a referral."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, partnership_field


class CaseLink(SQLModel, table=True):
    """``from_case`` opened (or otherwise refers to) ``to_case``; read in both directions."""

    __tablename__ = "case_link"

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    from_case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    to_case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    relation: str = Field(max_length=60)
    created_at: dt.datetime = created_field()
