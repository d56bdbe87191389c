"""Learning items: request and response models."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import LearningKind, LearningSource, LearningStage, OneOf, TrainingLevel
from service.learning.items import STAGE_GROUPINGS

# Free text on purpose: practitioners' roles in the words of the partnership, not the service's access roles.
AUDIENCE_ROLES = "Who needs it, by job role in words (e.g. 'social worker', 'GP')."


class LearningItemCreate(BaseModel):
    """A lesson, finding or piece of good practice, and who needs it."""

    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=4000)
    kind: LearningKind = Field(description="lesson | finding | good_practice")
    source_type: LearningSource = Field(description="Where it came from (DOMAIN §3), e.g. review, multi_agency_audit.")
    source_case_id: uuid.UUID | None = Field(default=None, description="The review or audit case it came from.")
    source_recommendation_id: uuid.UUID | None = Field(
        default=None, description="The recommendation it came from (its case becomes the source case)."
    )
    themes: list[str] = Field(default_factory=list, max_length=20)
    principles: list[str] = Field(default_factory=list, max_length=11)
    audience_agencies: list[str] = Field(
        default_factory=list, max_length=50, description="Agencies whose safeguarding leads cascade it."
    )
    audience_roles: list[str] = Field(default_factory=list, max_length=50, description=AUDIENCE_ROLES)
    audience_levels: list[TrainingLevel] = Field(default_factory=list, max_length=5, description="Training levels.")
    course_codes: list[str] = Field(default_factory=list, max_length=20, description="Courses it targets.")


class StageVisitRead(BaseModel):
    """One stay in a stage of the loop."""

    stage: LearningStage
    loop: int
    entered_at: Instant
    left_at: Instant | None


class LearningItemRead(BaseModel):
    """A learning item and where it is in the loop."""

    id: uuid.UUID
    case_id: uuid.UUID | None = Field(description="Its learning_item lifecycle case (tasks, picture).")
    case_reference: str | None
    title: str
    summary: str
    kind: LearningKind
    source_type: LearningSource
    source_case_id: uuid.UUID | None
    source_recommendation_id: uuid.UUID | None
    themes: list[str]
    principles: list[str]
    audience_agencies: list[str]
    audience_roles: list[str] = Field(description=AUDIENCE_ROLES)
    audience_levels: list[TrainingLevel]
    course_codes: list[str]
    stage: LearningStage = Field(description="identified | disseminated | embedded | evaluated")
    loop_count: int = Field(description="Which trip round the loop (1 = first).")
    stage_entered_at: Instant
    days_in_stage: int
    created_at: Instant
    closed_at: Instant | None


class LearningItemDetail(LearningItemRead):
    """A learning item with its history and records."""

    visits: list[StageVisitRead]
    disseminations: list[dict[str, Any]] = Field(description="Activities per channel: date, audience, reach.")
    cascades: list[dict[str, Any]] = Field(description="Each agency's confirmation of its internal cascade.")
    embedding_evidence: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]
    course_changes: list[dict[str, Any]] = Field(
        default_factory=list, description="Course changes made because of this item (embedding evidence)."
    )


StageGrouping = Annotated[str, OneOf("StageGrouping", STAGE_GROUPINGS, "How the stage report groups items.")]


class StageReportRow(BaseModel):
    """Items per stage in one group (a theme or a source), and time spent there."""

    group: str
    stage: LearningStage
    open_items: int
    mean_days_in_stage_open: float | None
    longest_days_in_stage_open: float | None
    completed_stays: int
    mean_days_per_completed_stay: float | None


class StageReport(BaseModel):
    """The stage report: one row per group and stage that has, or had, items."""

    group_by: StageGrouping = Field(description="What each row's `group` is: a theme code or a source type.")
    rows: list[StageReportRow]
