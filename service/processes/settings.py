"""Per-partnership process settings, with defaults from DOMAIN.md; handed to every new case's process."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from service.access.principal import Principal
from service.access.roles import Role
from service.audit.log import record
from service.errors import Forbidden, InvalidInput
from service.models import Partnership


class PartnershipSettings(BaseModel):
    """Local procedure choices. Statutory defaults marked [S]/[U] in DOMAIN.md are configurable here."""

    rapid_review_clock_start: Literal["awareness", "notification"] = Field(
        default="awareness",
        description="Whether the 15-working-day rapid review clock starts when the partnership became aware "
        "of the incident or when the Panel was notified (local procedure).",
    )
    rapid_review_information_days: int = Field(
        default=10, ge=1, le=15, description="Working days agencies have to return rapid review information."
    )

    # Review clocks beyond the CSPR (DOMAIN.md §4). Marked [S]/[U] there, so configurable per partnership.
    sar_completion_months: int = Field(
        default=6, ge=1, le=36, description="Months from initiating a Safeguarding Adults Review to completing it."
    )
    dhr_decision_months: int = Field(
        default=1,
        ge=1,
        le=6,
        description="Months from the police notification to the Community Safety "
        "Partnership's decision whether to hold a Domestic Homicide Review.",
    )
    dhr_completion_months: int = Field(
        default=6,
        ge=1,
        le=36,
        description="Months from the decision to hold a DHR to the overview report, "
        "executive summary and action plan being ready for the Home Office.",
    )
    mappa_completion_months: int = Field(
        default=6,
        ge=1,
        le=36,
        description="Months from the Strategic Management Board's decision to the "
        "MAPPA serious case review report (local procedure).",
    )
    cdr_ncmd_notification_days: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Days from a child's death to the National Child Mortality Database notification (48 hours).",
    )
    learning_review_completion_months: int = Field(
        default=3,
        ge=1,
        le=12,
        description="Months from commissioning a multi-agency, peer, practice or "
        "critical incident review to its report.",
    )
    # Audits and training (DOMAIN.md §7, §8).
    section11_cycle_months: int = Field(default=24, ge=1, le=60, description="Months between Section 11 audits.")
    s175_cycle_months: int = Field(default=12, ge=1, le=60, description="Months between s175/157 schools returns.")
    adult_self_assessment_cycle_months: int = Field(
        default=24, ge=1, le=60, description="Months between adult safeguarding self-assessments."
    )
    tna_cycle_months: int = Field(default=12, ge=1, le=36, description="Months between training needs analyses.")
    audit_return_working_days: int = Field(
        default=20, ge=1, le=120, description="Working days agencies have to return an audit or self-assessment."
    )
    training_follow_up_months: int = Field(
        default=3, ge=1, le=24, description="Months after a training event before the behaviour follow-up."
    )
    refresher_years_dsl: int = Field(
        default=2, ge=1, le=10, description="Years before a designated safeguarding lead's training needs a refresher."
    )
    refresher_years_default: int = Field(
        default=3, ge=1, le=10, description="Years before other staff's safeguarding training needs a refresher."
    )
    training_max_agency_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Largest share of an event's places one agency may take (inter-agency mix).",
    )
    # Action plans (DOMAIN.md §5).
    action_recheck_months: list[int] = Field(
        default=[6, 12],
        min_length=0,
        max_length=6,
        description="Sustainability re-checks after an action "
        "completes, in months after its completion (each must be later than the one before).",
    )
    recurring_theme_window_years: int = Field(
        default=3,
        ge=1,
        le=20,
        description="How far back a completed action on the same theme makes a new recommendation's theme 'recurring'.",
    )


def settings_for(stored: dict[str, Any]) -> PartnershipSettings:
    """A partnership's settings, defaults filled in."""
    return PartnershipSettings.model_validate(stored or {})


def read_settings(session: Session, principal: Principal) -> PartnershipSettings:
    """The caller's partnership's settings, defaults filled in."""
    partnership = session.get(Partnership, principal.partnership_id)
    assert partnership is not None
    return settings_for(partnership.settings)


def update_settings(session: Session, principal: Principal, changes: dict[str, Any]) -> PartnershipSettings:
    """Change some settings (partnership admin). New cases use them; running cases keep the values they started with."""
    if principal.machine or not principal.has_role(Role.PARTNERSHIP_ADMIN):
        raise Forbidden("changing the partnership's settings needs the partnership admin role")
    partnership = session.get(Partnership, principal.partnership_id)
    assert partnership is not None
    unknown = sorted(set(changes) - set(PartnershipSettings.model_fields))
    if unknown:
        raise InvalidInput(
            "some settings do not exist",
            [{"field": name, "message": "unknown setting; see GET /api/v1/partnership/settings"} for name in unknown],
        )
    merged = {**(partnership.settings or {}), **changes}
    try:
        updated = PartnershipSettings.model_validate(merged)
    except ValidationError as exc:
        raise InvalidInput.from_validation("some settings are not valid", exc) from None
    if updated.action_recheck_months != sorted(set(updated.action_recheck_months)):
        raise InvalidInput(
            "re-check months must increase",
            [{"field": "action_recheck_months", "message": "give increasing month counts, e.g. [6, 12]"}],
        )
    partnership.settings = updated.model_dump(mode="json", include=set(merged))
    session.add(partnership)
    record(
        session,
        partnership_id=partnership.id,
        actor=principal,
        action="partnership.settings_changed",
        object_type="partnership",
        object_id=str(partnership.id),
        summary="Process settings changed: " + ", ".join(sorted(changes)),
        detail={name: updated.model_dump(mode="json")[name] for name in sorted(changes)},
    )
    return updated
