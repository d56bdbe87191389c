"""A partnership's notification settings: mandatory kinds, the chasing schedule and its own wording.

Stored in ``partnership.notifications``, only what was set; defaults fill in the rest when read.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from service.access.principal import Principal
from service.access.roles import Role
from service.audit.log import record
from service.errors import Forbidden, InvalidInput
from service.models import Partnership
from service.notifications.kinds import PREFERENCE_KINDS, Kind


class ChaseSchedule(BaseModel):
    """When an open agency task is chased: at due-soon, on the due date, then every N working days."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    at_due_soon: bool = True
    on_due_date: bool = True
    every_working_days: int = Field(default=3, ge=0, le=60, description="After the due date; 0: no repeats.")
    max_repeats: int = Field(default=10, ge=0, le=100, description="Repeats after the due date, at most.")


class Wording(BaseModel):
    """A partnership's own subject line and opening sentence for one kind ({task_name}, {case_reference}...)."""

    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(default=None, max_length=200)
    intro: str | None = Field(default=None, max_length=1000)


class NotificationSettings(BaseModel):
    """Everything a partnership decides about notifications."""

    model_config = ConfigDict(extra="forbid")

    mandatory: list[Kind] = Field(default_factory=lambda: [Kind.ESCALATION, Kind.CHASE])
    chase: ChaseSchedule = Field(default_factory=ChaseSchedule)
    wording: dict[Kind, Wording] = Field(default_factory=dict)


def require_manager(principal: Principal, doing: str) -> None:
    """Partnership admins and business managers manage notifications for the partnership."""
    if principal.machine or not (
        principal.has_role(Role.PARTNERSHIP_ADMIN) or principal.has_role(Role.BUSINESS_MANAGER)
    ):
        raise Forbidden(f"only a partnership admin or business manager can {doing}")


def settings_for(stored: dict[str, Any] | None) -> NotificationSettings:
    """The settings with defaults filled in."""
    return NotificationSettings.model_validate(stored or {})


def read_settings(session: Session, *, principal: Principal) -> NotificationSettings:
    """The caller's partnership's notification settings."""
    return settings_for(_partnership(session, principal).notifications)


def update_settings(session: Session, *, principal: Principal, changes: dict[str, Any]) -> NotificationSettings:
    """Change some settings (partnership admin or business manager); validated and audited."""
    require_manager(principal, "change the notification settings")
    partnership = _partnership(session, principal)
    merged = _merged(partnership.notifications or {}, changes)
    try:
        updated = settings_for(merged)
    except ValidationError as exc:
        raise InvalidInput.from_validation("some notification settings are not valid", exc) from None
    bad = [k for k in updated.mandatory if k not in PREFERENCE_KINDS]
    if bad:
        raise InvalidInput("the digest cannot be mandatory", [{"field": "mandatory", "message": "remove 'digest'"}])
    # Only what was set is stored, so a better default later reaches partnerships that never chose their own.
    partnership.notifications = updated.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    session.add(partnership)
    record(
        session,
        partnership_id=partnership.id,
        actor=principal,
        action="partnership.notifications_changed",
        object_type="partnership",
        object_id=str(partnership.id),
        summary="Notification settings changed: " + ", ".join(sorted(changes)),
    )
    return updated


def _merged(stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Changes laid over what is stored; the schedule field by field, the wording kind by kind."""
    merged = {**stored, **changes}
    for name in ("chase", "wording"):
        if isinstance(stored.get(name), dict) and isinstance(changes.get(name), dict):
            merged[name] = {**stored[name], **changes[name]}
    return merged


def _partnership(session: Session, principal: Principal) -> Partnership:
    partnership = session.get(Partnership, principal.partnership_id)
    assert partnership is not None
    return partnership
