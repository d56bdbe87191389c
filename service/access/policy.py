"""A partnership's data-protection policy: who oversees every case, who may reveal a subject, how long we keep.

Stored in ``partnership.data_protection`` (never handed to a process). Every default is here, once; where a
default is a judgement rather than a rule of the source documents, ``RETENTION_SOURCES`` says where it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from service.access.roles import Role


class CaseRole(StrEnum):
    """What a member does on one case. ``lead`` manages the case's members."""

    LEAD = "lead"
    CHAIR = "chair"
    PANEL_MEMBER = "panel_member"
    INDEPENDENT_REVIEWER = "independent_reviewer"
    AGENCY_REPRESENTATIVE = "agency_representative"
    FAMILY_LIAISON = "family_liaison"
    OBSERVER = "observer"


RetentionEvent = Literal["case_closed", "subject_18th_birthday", "subject_25th_birthday", "publication", "recorded"]


class RetentionRule(BaseModel):
    """Keep a record class for ``years`` after ``from_event``; then the disposal job removes its personal data."""

    years: int = Field(ge=1, le=100, description="Years to keep after the starting event.")
    from_event: RetentionEvent = Field(
        description="What starts the period: the case closing, the subject's 18th or 25th birthday, publication of "
        "the report, or (for records with their own date: training, the access log) the record itself."
    )


RECORD_CLASSES = (
    "review_case",
    "agency_submission",
    "evidence_file",
    "training_record",
    "audit_return",
    "access_log",
)

# Defaults. None of these periods is fixed by Working Together 2023, the Care Act 2014 or the DHR statutory
# guidance (DOMAIN.md §9 asks only that they be configurable); each is a common starting point a DPO adjusts.
DEFAULT_RETENTION: dict[str, RetentionRule] = {
    "review_case": RetentionRule(years=15, from_event="case_closed"),
    "agency_submission": RetentionRule(years=6, from_event="case_closed"),
    "evidence_file": RetentionRule(years=6, from_event="case_closed"),
    "training_record": RetentionRule(years=6, from_event="recorded"),
    "audit_return": RetentionRule(years=6, from_event="case_closed"),
    "access_log": RetentionRule(years=6, from_event="recorded"),
}
RETENTION_SOURCES: dict[str, str] = {
    "review_case": "Local-authority retention schedules commonly keep serious case review / CSPR / SAR files about "
    "15 years after closure; a children's partnership may prefer 'subject_25th_birthday'. Not set by statute.",
    "agency_submission": "Six years after the review closes: the Limitation Act 1980 period local authorities "
    "commonly use for working papers once the published report and action plan are kept.",
    "evidence_file": "Six years after the action's case closes, as for agency submissions.",
    "training_record": "Six years from the training date, the usual period for staff training records.",
    "audit_return": "Six years after the audit closes: long enough to compare three two-yearly Section 11 cycles.",
    "access_log": "Six years from the look, so a complaint or a subject access request can still be answered.",
}

DEFAULT_OVERSIGHT_ROLES = [Role.BUSINESS_MANAGER.value, Role.PARTNERSHIP_CHAIR.value]
DEFAULT_REVEAL_CASE_ROLES = [CaseRole.LEAD.value, CaseRole.CHAIR.value, CaseRole.FAMILY_LIAISON.value]


class DataProtectionSettings(BaseModel):
    """Need-to-know and retention choices of one partnership (partnership admin or data protection officer)."""

    oversight_roles: list[Role] = Field(
        default_factory=lambda: [Role(r) for r in DEFAULT_OVERSIGHT_ROLES],
        max_length=len(Role),
        description="Partnership-wide roles that see every case without being a member of it.",
    )
    reveal_case_roles: list[CaseRole] = Field(
        default_factory=lambda: [CaseRole(r) for r in DEFAULT_REVEAL_CASE_ROLES],
        max_length=len(CaseRole),
        description="Roles on a case whose members may reveal the subject's real identifiers (each reveal is logged).",
    )
    retention: dict[str, RetentionRule] = Field(
        default_factory=lambda: dict(DEFAULT_RETENTION),
        description="Retention per record class: " + ", ".join(RECORD_CLASSES) + ".",
    )


def data_protection_for(stored: dict[str, Any] | None) -> DataProtectionSettings:
    """A partnership's policy with defaults filled in (a stored partial retention map keeps the other defaults)."""
    stored = dict(stored or {})
    if "retention" in stored:
        stored["retention"] = {**DEFAULT_RETENTION, **stored["retention"]}
    return DataProtectionSettings.model_validate(stored)


def oversight_roles_of(stored: Mapping[str, Any] | None) -> frozenset[str]:
    """The oversight roles straight from the stored policy (authentication reads this on every request)."""
    roles = (stored or {}).get("oversight_roles")
    return frozenset(roles if isinstance(roles, list) else DEFAULT_OVERSIGHT_ROLES)
