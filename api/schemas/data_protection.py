"""Data protection: the partnership's settings."""

from __future__ import annotations

from pydantic import BaseModel, Field


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

    oversight_roles: list[str] = Field(description="Partnership-wide roles that see every case.")
    reveal_case_roles: list[str] = Field(description="Case roles whose members may reveal a subject's identifiers.")
    retention: dict[str, RetentionRuleRead] = Field(
        description="Per record class: review_case, agency_submission, evidence_file, training_record, audit_return, "
        "access_log. PATCH a class with years and/or from_event."
    )
