"""Per-partnership process settings, with defaults from DOMAIN.md; handed to every new case's process."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


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


def settings_for(stored: dict[str, Any]) -> PartnershipSettings:
    """A partnership's settings, defaults filled in."""
    return PartnershipSettings.model_validate(stored or {})
