"""Case request and response models."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import CaseStatus, ClockStatus, InstanceStatus, PartnershipKind
from service.access.policy import CaseRole


class MemberAdd(BaseModel):
    """Someone to add to a case, with their role on it."""

    user_id: uuid.UUID = Field(description="A user of your partnership (GET /me gives your own id).")
    case_role: CaseRole = Field(description="What they do on this case; `lead` manages its members.")


class MemberRead(BaseModel):
    """A member of a case."""

    user_id: uuid.UUID
    name: str
    email: str
    case_role: CaseRole
    added_at: Instant
    added_by_id: uuid.UUID | None


class RevealRequest(BaseModel):
    """Why the real identifiers are needed (kept in the audit log beside the access-log entry)."""

    reason: str = Field(min_length=3, max_length=500, description="e.g. 'Family liaison letter'.")


class SubjectRead(BaseModel):
    """The subject's real identifiers, as the case type's start form declared them. Every reveal is logged."""

    case_id: uuid.UUID
    reference: str
    subject_pseudonym: str
    identifiers: dict[str, Any] = Field(
        description="Free-form on purpose: the subject's identifiers as recorded (name, NHS number, ...)."
    )


class CaseCreate(BaseModel):
    """Open a case; its lifecycle process starts at once."""

    case_type: str = Field(min_length=1, max_length=100, description="A process key, e.g. 'cspr'. See /case-types.")
    title: str = Field(min_length=1, max_length=200, description="A non-identifying working title.")
    subject_pseudonym: str = Field(
        min_length=1,
        max_length=100,
        description="How the child or adult is referred to (e.g. 'Child K'); never a name.",
    )
    involved_agencies: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Agency codes of this partnership involved in the case.",
    )
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="Start data, validated against the case type's start_form_schema. Fields marked "
        "`x-identifying` (the subject's name, date of birth...) are sealed apart from the case and its process.",
    )
    members: list[MemberAdd] = Field(
        default_factory=list,
        max_length=100,
        description="Who works on the case besides you (you become its lead). Only members, the partnership's "
        "oversight roles and the involved agencies' leads see a case.",
    )


class ClockRead(BaseModel):
    """A statutory clock."""

    key: str
    name: str
    due_date: dt.date | None
    status: ClockStatus = Field(description="not_started | on_time | due_soon | overdue | met | met_late | unreadable")
    met_on: dt.date | None
    reason: str | None = Field(default=None, description="why the clock is unreadable (a stored value is not a date)")


class CaseSummary(BaseModel):
    """A case in a list."""

    id: uuid.UUID
    reference: str
    case_type: str
    title: str
    subject_pseudonym: str
    status: CaseStatus
    stages: list[str]
    involved_agencies: list[str]
    created_at: Instant
    updated_at: Instant
    closed_at: Instant | None


class CaseRead(CaseSummary):
    """A case with its clocks, current stage(s) and the review record captured by its lifecycle."""

    instance_id: uuid.UUID | None
    instance_status: InstanceStatus | None
    clocks: list[ClockRead]
    record: dict[str, Any] = Field(
        description="Free-form: the variables the lifecycle's recordFields list, as captured by its forms."
    )
    review_record: dict[str, Any] | None = Field(
        description="The standard review record (referral, legal mandate, decision and rationale, review period, "
        "methodology, reviewer and affiliations, agencies, time taken); null for cases that are not reviews."
    )
    links: list[CaseLinkRead] = Field(description="Cases this case opened or was opened by (that you may see).")
    access: Literal["full", "agency"] = Field(
        description="full: you are a member or hold an oversight role; agency: you see your agency's part only "
        "(summary and clocks here; your agency's tasks and submissions under GET /tasks)."
    )
    subject_identifiers_held: list[str] = Field(
        default_factory=list,
        description="Which real identifiers are held apart (names only); "
        "POST /cases/{case_id}/subject/reveal returns them to members whose role allows it.",
    )


class CaseLinkRead(BaseModel):
    """A link to another case."""

    case_id: uuid.UUID
    reference: str
    case_type: str
    relation: str = Field(description="Why the cases are linked, e.g. referred_for_rapid_review.")
    direction: str = Field(description="opened: this case's process opened the other; opened_by: the reverse.")


class MessageDelivery(BaseModel):
    """A BPMN message for the case's waiting process."""

    name: str = Field(min_length=1, max_length=200)
    payload: dict[str, Any] = Field(
        default_factory=dict, description="Free-form: the message's variables, as the waiting diagram expects them."
    )


class CaseTypeRead(BaseModel):
    """A kind of case that can be opened, and what its start needs."""

    key: str
    name: str
    definition_id: uuid.UUID
    version: int
    start_form_schema: dict[str, Any] = Field(
        description="A JSON Schema (2020-12): what POST /cases `data` must be for this case type."
    )
    opened_by: str | None = Field(
        default=None,
        description="Set for case types opened with their own record (an action, a learning item, a training "
        "event): use that endpoint, not POST /cases.",
    )
    partnership_kinds: list[PartnershipKind] = Field(
        default_factory=list, description="Kinds of partnership that may open it (empty: any); a joint one opens all."
    )
    case_access: str = Field(
        default="need_to_know",
        description="need_to_know: members, oversight roles and involved agencies see a case; partnership: everyone.",
    )
