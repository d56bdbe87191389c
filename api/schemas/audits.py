"""Audit summaries: response models (self-assessment matrix, training coverage)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class StandardRatingRead(BaseModel):
    """One agency's answer on one standard."""

    standard: int = Field(description="The standard's number (1-8 for Section 11).")
    rating: str | None = Field(description="met, partly_met or not_met.")
    narrative: str | None


class AgencyAssessmentRead(BaseModel):
    """One agency's row of the matrix; ``returned`` is false (and ratings empty) until it has self-assessed."""

    agency: str
    returned: bool
    ratings: list[StandardRatingRead]
    counts: dict[str, int] = Field(description="How many standards the agency rated met / partly_met / not_met.")


class StandardSummaryRead(BaseModel):
    """One standard with how many agencies (of those shown) rated it met / partly_met / not_met."""

    number: int
    title: str = Field(description="The standard as labelled on the self-assessment form.")
    counts: dict[str, int]


class SelfAssessmentRead(BaseModel):
    """Agencies x standards of a Section 11 / s175 / adult self-assessment audit."""

    case_id: uuid.UUID
    case_reference: str
    audit_kind: str | None
    standards: list[StandardSummaryRead]
    agencies: list[AgencyAssessmentRead]
    not_returned: list[str] = Field(description="Involved agencies (of those shown) that have not returned yet.")


class LevelCoverageRead(BaseModel):
    """One training level: workforce, trained within the refresher period, needing training next year."""

    level: int
    workforce: int
    trained: int
    needing: int
    coverage: float | None = Field(description="trained / workforce; null when the workforce is 0.")


class AgencyCoverageRead(BaseModel):
    """An agency's coverage by level (``agency`` is null for the total)."""

    agency: str | None
    levels: list[LevelCoverageRead]


class TrainingCoverageRead(BaseModel):
    """Training coverage of a training needs analysis, per agency and in total."""

    case_id: uuid.UUID
    case_reference: str
    tna_year: str | None
    agencies: list[AgencyCoverageRead]
    total: AgencyCoverageRead = Field(description="The sum over the agencies shown.")
    not_returned: list[str]
