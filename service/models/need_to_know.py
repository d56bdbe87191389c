"""Who works on a case, which agencies it involves, and the subject's identifiers held apart from the record."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field


class CaseMember(SQLModel, table=True):
    """A person working on one case (chair, panel member, reviewer...), with their role on that case."""

    __tablename__ = "case_member"
    __table_args__ = (
        UniqueConstraint("case_id", "user_id"),
        # The need-to-know filter asks "which cases is this user a member of?" on every list.
        Index("ix_case_member_user_id_case_id", "user_id", "case_id"),
    )

    id: uuid.UUID = id_field()
    # Members are looked up by user or by case (the indexes above), never by partnership alone (migration 0020).
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    case_id: uuid.UUID = Field(foreign_key="case_record.id")
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    case_role: str = Field(max_length=40)
    added_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    added_at: dt.datetime = created_field()


class CaseAgency(SQLModel, table=True):
    """An agency involved in a case: its safeguarding lead (and machine token) sees the agency's part of it."""

    __tablename__ = "case_agency"
    __table_args__ = (Index("ix_case_agency_partnership_id_agency_code", "partnership_id", "agency_code"),)

    case_id: uuid.UUID = Field(foreign_key="case_record.id", primary_key=True)
    agency_code: str = Field(max_length=40, primary_key=True)
    partnership_id: uuid.UUID = partnership_field(indexed=False)


class CaseSubject(SQLModel, table=True):
    """The subject's real identifiers, sealed (encrypted) and kept out of the case record and its process."""

    __tablename__ = "case_subject"

    case_id: uuid.UUID = Field(foreign_key="case_record.id", primary_key=True)
    partnership_id: uuid.UUID = partnership_field()
    fields: list[str] = json_field(list)  # which identifiers are held (names only: safe to show)
    sealed: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = created_field()


__all__ = ["CaseAgency", "CaseMember", "CaseSubject"]
