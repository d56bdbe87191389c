"""Themes, recommendations, actions and evidence: request and response models."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import ActionStatus, EvidenceMediaType


class ThemeRead(BaseModel):
    """A theme of the partnership's taxonomy."""

    code: str
    label: str
    description: str
    active: bool


class ThemeCreate(BaseModel):
    """A new theme."""

    code: str = Field(min_length=2, max_length=60, description="lower_snake_case, e.g. 'cumulative_harm'.")
    label: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1000)


class ThemeUpdate(BaseModel):
    """Change a theme; ``active=false`` retires it (past recommendations keep it)."""

    label: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=1000)
    active: bool | None = None


class RecurrenceRead(BaseModel):
    """A recurring theme: the later recommendation and the earlier completed action on the same theme."""

    theme: str = Field(description="Theme code.")
    theme_label: str
    recommendation_id: uuid.UUID
    recommendation_case_reference: str
    earlier_action_id: uuid.UUID
    earlier_case_reference: str
    earlier_completed_on: dt.date | None


class RecommendationCreate(BaseModel):
    """A recommendation of a review, from one of its findings."""

    finding: str = Field(min_length=1, max_length=4000, description="What the review found.")
    text: str = Field(min_length=1, max_length=4000, description="What the review recommends.")
    themes: list[str] = Field(default_factory=list, max_length=20, description="Theme codes (GET /themes).")
    principles: list[str] = Field(
        default_factory=list, max_length=11, description="Safeguarding principles, e.g. 'prevention'."
    )


class RecommendationUpdate(BaseModel):
    """Change a recommendation; omitted fields stay as they are."""

    finding: str | None = Field(default=None, min_length=1, max_length=4000)
    text: str | None = Field(default=None, min_length=1, max_length=4000)
    themes: list[str] | None = Field(default=None, max_length=20)
    principles: list[str] | None = Field(default=None, max_length=11)


class RaisedEarlierRead(BaseModel):
    """An earlier review that raised the same theme."""

    theme: str
    earlier_review: str = Field(description="Its reference, or 'a review you are not involved in'.")
    earlier_recommendation_number: int
    earlier_action_statuses: list[str]


class RecommendationRead(BaseModel):
    """A recommendation with its themes, its actions and any recurring themes it carries."""

    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    review_type: str = Field(description="The review's case type (per partnership: GET /api/v1/case-types).")
    number: int
    finding: str
    text: str
    themes: list[str]
    principles: list[str]
    action_ids: list[uuid.UUID]
    recurring_themes: list[RecurrenceRead] = Field(
        description="Themes an earlier, completed action (another review, within the window) already addressed: "
        "evidence the earlier learning was not embedded."
    )
    raised_earlier: list[RaisedEarlierRead] = Field(
        default_factory=list,
        description="Earlier reviews (another review, within the window) that raised the same theme, whatever the "
        "state of their actions; a review you may not see is named only as 'a review you are not involved in'.",
    )
    raised_earlier_more: int = Field(default=0, description="How many more earlier reviews raised it (not listed).")
    created_at: Instant


class ActionCreate(BaseModel):
    """An action agreed against a recommendation (SMART, with an impact measure and its baseline)."""

    owner_agency: str = Field(min_length=1, max_length=40, description="Agency code of the owning agency.")
    lead_name: str = Field(min_length=1, max_length=200, description="The named lead in that agency.")
    description: str = Field(min_length=1, max_length=4000, description="Specific, measurable, achievable...")
    due_date: dt.date
    impact_measure: str = Field(min_length=1, max_length=2000, description="How impact will be evidenced.")
    baseline: str = Field(min_length=1, max_length=2000, description="Where the measure stands now.")


class ActionRead(BaseModel):
    """An action and where it stands."""

    id: uuid.UUID
    recommendation_id: uuid.UUID
    recommendation_number: int
    review_case_id: uuid.UUID
    review_reference: str
    review_type: str = Field(description="The review's case type (per partnership: GET /api/v1/case-types).")
    case_id: uuid.UUID | None = Field(description="The action's own lifecycle case (its tasks and diagram).")
    owner_agency: str
    lead_name: str
    description: str
    due_date: dt.date
    impact_measure: str
    baseline: str
    status: ActionStatus = Field(
        description="in_progress | awaiting_assurance | returned | completed (re-checks pending) | reopened | "
        "sustained (closed) | not_implemented (closed)"
    )
    overdue: bool
    completed_on: dt.date | None
    not_implemented_reason: str | None
    next_recheck_on: dt.date | None
    reopen_count: int
    themes: list[str]
    evidence_count: int
    recurred_in: list[RecurrenceRead] = Field(
        description="Later recommendations repeating a theme this completed action addressed."
    )
    created_at: Instant
    closed_at: Instant | None


class AgencyPlanRead(BaseModel):
    """An agency's composite action plan across every review."""

    agency: str
    counts: dict[str, int] = Field(description="Actions by status.")
    overdue: int
    items: list[ActionRead]
    next_cursor: str | None


class EvidenceRead(BaseModel):
    """A stored evidence file."""

    id: uuid.UUID
    action_id: uuid.UUID
    filename: str
    content_type: EvidenceMediaType
    size_bytes: int
    sha256: str
    description: str
    created_at: Instant


class SarActionRow(BaseModel):
    """What was done about a finding: one action."""

    owner_agency: str
    action: str = Field(description="The action's description.")
    status: ActionStatus
    completed_on: dt.date | None
    reason_not_implemented: str | None


class SarFindingRow(BaseModel):
    """One finding of a SAR, its recommendation and themes, and what was done."""

    number: int
    finding: str
    recommendation: str
    themes: list[str] = Field(description="Theme codes (GET /api/v1/themes).")
    what_was_done: list[SarActionRow]


class SarRow(BaseModel):
    """One SAR, as the annual report lists it. The decision fields are the SAR diagram's answers."""

    case_id: uuid.UUID
    reference: str
    decision: str | None = Field(description="The SAR decision as recorded (mandatory or discretionary, ...).")
    legal_mandate: str | None
    decision_at: dt.date | None
    review_completed_at: dt.date | None
    months_taken: float | None = Field(description="From decision to completion, in months (one decimal).")
    methodology: str | None
    published_at: str | None = Field(description="The publication date as recorded, if published.")
    findings: list[SarFindingRow]


class Period(BaseModel):
    """A reporting period, both days included."""

    start: dt.date
    end: dt.date


class SabAnnualReport(BaseModel):
    """The SAR tables of the SAB annual report (Care Act Sch 2 para 4) for a period."""

    period: Period
    referrals_received: int = Field(description="SAR referrals received in the period.")
    decisions: dict[str, int] = Field(description="Referrals in the period by decision (the decision's value → count).")
    concluded: list[SarRow] = Field(description="SARs completed in the period.")
    ongoing: list[SarRow] = Field(description="SARs arranged by the end of the period and not completed by then.")
