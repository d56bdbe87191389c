"""The impact trace (the chain from a review to the evaluation of its learning) and report jobs: response models."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import ActionStatus, CaseStatus, GapKind, LearningStage, RecurrenceKind
from service.reports.service import PartnershipReport


class TraceGap(BaseModel):
    """A missing link: its kind, a sentence, and where it is."""

    kind: GapKind = Field(description="e.g. action_closed_without_impact_evidence, recommendation_without_action")
    message: str
    recommendation_number: int | None = None
    action_id: str | None = None
    learning_item_id: str | None = None


class TraceRecurrence(BaseModel):
    """An earlier review on the same theme: ``after_closed_action`` (its action had been completed) or
    ``raised_earlier`` (it raised the theme, whatever its actions' state)."""

    kind: RecurrenceKind
    theme: str
    earlier_review: str = Field(description="its reference, or 'a review you are not involved in'")
    earlier_action_status: ActionStatus | None = None
    earlier_completed_on: str | None = None
    earlier_recommendation_number: int | None = None
    earlier_action_statuses: list[str] | None = None


class TraceAction(BaseModel):
    """An action with its owner, due date, status, evidence, impact measure, baseline and re-checks."""

    action_id: str
    owner_agency: str
    lead_name: str
    description: str
    due_date: str
    status: ActionStatus
    overdue: bool
    completed_on: str | None
    not_implemented_reason: str | None
    impact_measure: str
    baseline: str
    impact_evidence: str | None
    evidence_files: list[str]
    rechecks: list[dict[str, Any]]
    next_recheck_on: str | None
    gaps: list[TraceGap]


class TraceLearningItem(BaseModel):
    """A learning item round the loop: dissemination (channels, reach), cascades, embedding, evaluation."""

    learning_item_id: str
    title: str
    stage: LearningStage
    loop_count: int
    dissemination: list[dict[str, Any]]
    cascades: list[dict[str, Any]]
    embedding: list[dict[str, Any]]
    evaluation: list[dict[str, Any]]
    reach: int
    gaps: list[TraceGap]


class TraceFinding(BaseModel):
    """A finding and its recommendation, with themes, recurrences, actions and learning items."""

    recommendation_id: str
    number: int
    finding: str
    recommendation: str
    themes: list[str]
    principles: list[str]
    recurring: list[TraceRecurrence]
    recurring_not_listed: int = Field(description="further earlier reviews on these themes, beyond the latest few")
    actions: list[TraceAction]
    learning_items: list[TraceLearningItem]
    gaps: list[TraceGap]


class TraceReview(BaseModel):
    """The review at the head of the chain (pseudonymised)."""

    case_id: str
    reference: str
    case_type: str
    subject_pseudonym: str
    status: CaseStatus


class TraceLinks(BaseModel):
    """How many of each link the chain holds."""

    recommendations: int
    actions: int
    actions_with_impact_evidence: int
    learning_items: int
    disseminated: int
    embedded: int
    evaluated: int


class CaseImpactTrace(BaseModel):
    """One review's whole chain, with every gap."""

    review: TraceReview
    findings: list[TraceFinding]
    learning_items: list[TraceLearningItem] = Field(description="learning drawn from the review as a whole")
    gaps: list[TraceGap]
    links: TraceLinks


class TraceTheme(BaseModel):
    """The theme traced."""

    code: str
    label: str


class ReviewFindings(BaseModel):
    """One review's findings on the theme."""

    review: TraceReview
    findings: list[TraceFinding]


class ThemeImpactTrace(BaseModel):
    """Every recommendation on one theme, review by review."""

    theme: TraceTheme
    reviews: list[ReviewFindings]
    gaps: list[TraceGap]
    links: TraceLinks


class ReportJobCreate(BaseModel):
    """Make a partnership report in the background (for a year too big to wait for)."""

    year: int | None = Field(default=None, ge=2000, le=2100, description="Reporting year starting 1 April.")
    format: Literal["json", "docx", "pdf"] = "pdf"


class ReportJobRead(BaseModel):
    """A report being made: poll until ``status`` is done, then fetch ``content_url`` (kept for a day)."""

    id: uuid.UUID
    kind: PartnershipReport
    year: int | None
    format: str
    status: Literal["queued", "running", "done", "failed"]
    stage: str = Field(description="What the worker is doing now, in words.")
    progress: int = Field(ge=0, le=100, description="Percent done.")
    error: str | None
    created_at: Instant
    started_at: Instant | None
    finished_at: Instant | None
    content_url: str | None = Field(description="Where the file is, once done (null before, and after a day).")
