"""Data protection: settings, legal holds, the disposal dry run, runs and the disposal log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import CaseStatus, DisposableObject, EvidenceMediaType, TaskStateName
from service.access.policy import CaseRole
from service.access.roles import Role


class RetentionRuleRead(BaseModel):
    """One record class's retention: keep ``years`` after ``from_event``."""

    years: int
    from_event: str = Field(
        description="case_closed, subject_18th_birthday, subject_25th_birthday, publication, recorded"
    )
    default: bool = Field(description="True while the partnership keeps the service's default for this class.")
    source: str = Field(description="Where the default comes from (none is fixed by statute).")


class DataProtectionRead(BaseModel):
    """The partnership's data-protection settings, defaults filled in."""

    oversight_roles: list[Role] = Field(description="Partnership-wide roles that see every case.")
    reveal_case_roles: list[CaseRole] = Field(
        description="Case roles whose members may reveal a subject's identifiers."
    )
    retention: dict[str, RetentionRuleRead] = Field(
        description="Per record class: review_case, agency_submission, evidence_file, training_record, audit_return, "
        "access_log. PATCH a class with years and/or from_event."
    )


class LegalHoldReason(BaseModel):
    """Why a hold is placed (litigation, an inquiry, a complaint...) or lifted."""

    reason: str = Field(min_length=1, max_length=500)


class LegalHoldDetail(BaseModel):
    """A legal hold in force."""

    reason: str
    placed_at: Instant
    placed_by: uuid.UUID | None = Field(description="The user who placed it.")
    placed_by_name: str | None


class LegalHoldRead(BaseModel):
    """A case and its legal hold (null when there is none)."""

    case_id: uuid.UUID
    reference: str
    legal_hold: LegalHoldDetail | None


class DueItemRead(BaseModel):
    """One thing due for disposal and why: never any personal data."""

    record_class: str
    object_type: DisposableObject = Field(
        description="case, task, evidence, trainee, or access_events (a range of log rows)"
    )
    object_id: str
    case_id: uuid.UUID | None
    case_reference: str | None
    rule: str = Field(description="e.g. '15 years after case_closed'")
    starts_on: dt.date = Field(description="The day the period started (never before the case closed).")
    due_on: dt.date


class DisposalPlanRead(BaseModel):
    """The dry run: what a run on ``as_of`` would dispose of."""

    as_of: dt.date
    counts: dict[str, int]
    items: list[DueItemRead]


class DisposalRunCreate(BaseModel):
    """Run disposal now, counting retention periods to ``as_of`` (default today)."""

    as_of: dt.date | None = None


class DisposalRunRead(DisposalPlanRead):
    """A finished run: what it disposed of (also in the disposal log under ``run_id``)."""

    run_id: uuid.UUID


class DisposalEntryRead(BaseModel):
    """One entry of the append-only disposal log."""

    id: int
    run_id: uuid.UUID
    record_class: str
    object_type: DisposableObject
    object_id: str
    rule: str
    due_on: dt.date
    disposed_at: Instant


class ExportedMember(BaseModel):
    """Someone who worked on the case."""

    name: str
    case_role: CaseRole


class ExportedTask(BaseModel):
    """A task of the case, with what was submitted."""

    name: str
    element_id: str
    agency: str | None
    state: TaskStateName
    completed_at: Instant | None
    data: dict[str, Any] = Field(description="The task's submitted form data (its form's JSON Schema describes it).")


class ExportedRecommendation(BaseModel):
    """A recommendation of the case."""

    number: int
    finding: str
    text: str


class ExportedEvidence(BaseModel):
    """An evidence file's description (the file itself is downloaded separately)."""

    filename: str
    content_type: EvidenceMediaType
    size_bytes: int
    sha256: str


class ExportedCase(BaseModel):
    """Everything one case holds about the subject."""

    case_id: uuid.UUID
    reference: str
    case_type: str = Field(description="Per partnership: GET /api/v1/case-types.")
    title: str
    subject_pseudonym: str
    identifiers: dict[str, Any] = Field(description="The subject's identifiers as recorded (name, NHS number, ...).")
    status: CaseStatus
    opened_at: Instant
    closed_at: Instant | None
    involved_agencies: list[str]
    members: list[ExportedMember]
    variables: dict[str, Any] = Field(
        description="The process variables: free-form, the answers of the case type's forms (their JSON Schemas)."
    )
    tasks: list[ExportedTask]
    recommendations: list[ExportedRecommendation]
    evidence_files: list[ExportedEvidence]
    linked_cases: list[uuid.UUID]


class SubjectExport(BaseModel):
    """A subject access bundle: every case that holds the subject."""

    exported_at: Instant
    exported_by: str
    matched_on: list[str] = Field(description="Which identifiers matched.")
    cases: list[ExportedCase]
