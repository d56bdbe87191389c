"""A partnership's data-protection settings: read with every default and where it comes from; change some of them.

Stored in ``partnership.data_protection``, only what was set (``data_protection_for`` fills in the defaults), so a
better default later reaches every partnership that never chose its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from pydantic import ValidationError
from sqlmodel import Session

from service.access.policy import (
    DEFAULT_RETENTION,
    RECORD_CLASSES,
    RETENTION_SOURCES,
    DataProtectionSettings,
    RetentionEvent,
    RetentionRule,
    data_protection_for,
)
from service.access.principal import Principal
from service.audit.log import record
from service.dataprotection.guard import require_data_protection_role
from service.errors import Forbidden, InvalidInput
from service.models import Partnership

# Records that are not a case have only their own date to count from.
_OWN_DATE_ONLY = {"training_record": ("recorded",), "access_log": ("recorded",)}


@dataclass(frozen=True)
class RuleView:
    """One record class's retention rule, whether it is the default, and where the default comes from."""

    record_class: str
    years: int
    from_event: str
    default: bool
    source: str


@dataclass(frozen=True)
class DataProtectionView:
    """The partnership's settings, defaults filled in, with every retention rule explained."""

    settings: DataProtectionSettings
    retention: list[RuleView]


def read_data_protection(session: Session, *, principal: Principal) -> DataProtectionView:
    """The caller's partnership's data-protection settings (any person of the partnership may read them)."""
    if principal.machine:
        raise Forbidden("a machine token cannot read the data-protection settings")
    return _view(data_protection_for(_partnership(session, principal).data_protection))


def update_data_protection(session: Session, *, principal: Principal, changes: dict[str, Any]) -> DataProtectionView:
    """Change some settings (partnership admin or data protection officer); validated and audited."""
    require_data_protection_role(principal, "changing data-protection settings")
    partnership = _partnership(session, principal)
    unknown = sorted(set(changes) - set(DataProtectionSettings.model_fields))
    if unknown:
        raise InvalidInput(
            "some data-protection settings do not exist",
            [{"field": n, "message": "unknown setting; see GET /api/v1/partnership/data-protection"} for n in unknown],
        )
    stored = dict(partnership.data_protection or {})
    merged = {**stored, **changes}
    if "retention" in changes:
        merged["retention"] = _merged_retention(stored.get("retention") or {}, changes["retention"])
    try:
        updated = data_protection_for(merged)
    except ValidationError as exc:
        raise InvalidInput.from_validation("some data-protection settings are not valid", exc) from None
    kept = updated.model_dump(mode="json", include=set(merged) - {"retention"})
    if "retention" in merged:
        kept["retention"] = {name: updated.retention[name].model_dump(mode="json") for name in merged["retention"]}
    partnership.data_protection = kept
    session.add(partnership)
    shown = updated.model_dump(mode="json")
    record(
        session,
        partnership_id=partnership.id,
        actor=principal,
        action="partnership.data_protection_changed",
        object_type="partnership",
        object_id=str(partnership.id),
        summary="Data-protection settings changed: " + ", ".join(sorted(changes)),
        detail={
            name: {k: shown["retention"][k] for k in changes["retention"]} if name == "retention" else shown[name]
            for name in sorted(changes)
        },
    )
    return _view(updated)


def _merged_retention(stored: dict[str, Any], given: Any) -> dict[str, Any]:
    """Stored rules with the given ones laid over (a rule may change only its years or only its event)."""
    if not isinstance(given, dict):
        raise InvalidInput(
            "retention must map record classes to rules",
            [{"field": "retention", "message": 'e.g. {"review_case": {"years": 20, "from_event": "case_closed"}}'}],
        )
    errors: list[dict[str, str]] = []
    merged = dict(stored)
    for name, rule in given.items():
        where = f"retention.{name}"
        if name not in RECORD_CLASSES:
            errors.append({"field": where, "message": "unknown record class; use one of: " + ", ".join(RECORD_CLASSES)})
            continue
        if not isinstance(rule, dict):
            errors.append({"field": where, "message": "give a rule: years and from_event"})
            continue
        errors.extend(
            {"field": f"{where}.{key}", "message": "unknown field; a rule has years and from_event"}
            for key in sorted(set(rule) - set(RetentionRule.model_fields))
        )
        events = _OWN_DATE_ONLY.get(name, get_args(RetentionEvent))
        if "from_event" in rule and rule["from_event"] in get_args(RetentionEvent) and rule["from_event"] not in events:
            errors.append({"field": f"{where}.from_event", "message": f"{name} counts only from: {', '.join(events)}"})
        current = stored.get(name) or DEFAULT_RETENTION[name].model_dump(mode="json")
        merged[name] = {**current, **rule}
    if errors:
        raise InvalidInput("some retention rules are not valid", errors)
    return merged


def _view(settings: DataProtectionSettings) -> DataProtectionView:
    return DataProtectionView(
        settings=settings,
        retention=[
            RuleView(
                record_class=name,
                years=settings.retention[name].years,
                from_event=settings.retention[name].from_event,
                default=settings.retention[name] == DEFAULT_RETENTION[name],
                source=RETENTION_SOURCES[name],
            )
            for name in RECORD_CLASSES
        ],
    )


def _partnership(session: Session, principal: Principal) -> Partnership:
    partnership = session.get(Partnership, principal.partnership_id)
    assert partnership is not None
    return partnership
