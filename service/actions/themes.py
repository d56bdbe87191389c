"""The partnership's managed theme taxonomy."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.actions.access import require_manager
from service.audit.log import record
from service.errors import Conflict, InvalidInput, NotFound
from service.models import Theme

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


def list_themes(session: Session, principal: Principal, *, include_inactive: bool) -> list[Theme]:
    """The partnership's themes, alphabetically by label."""
    query = select(Theme).where(Theme.partnership_id == principal.partnership_id)
    if not include_inactive:
        query = query.where(col(Theme.active).is_(True))
    return list(session.exec(query.order_by(col(Theme.label))).all())


def create_theme(session: Session, principal: Principal, *, code: str, label: str, description: str) -> Theme:
    """Add a theme to the taxonomy."""
    require_manager(principal, "managing themes")
    if not _CODE.match(code):
        raise InvalidInput(
            "the theme code is not valid",
            [{"field": "code", "message": "2-60 characters: lower-case letters, digits and _, starting with a letter"}],
        )
    if _find(session, principal, code) is not None:
        raise Conflict(f"the theme '{code}' already exists; change it with PATCH /themes/{code}")
    theme = Theme(partnership_id=principal.partnership_id, code=code, label=label, description=description)
    session.add(theme)
    session.flush()
    _audit(session, principal, theme, "theme.created", f"Theme '{label}' added")
    return theme


def update_theme(
    session: Session,
    principal: Principal,
    code: str,
    *,
    label: str | None,
    description: str | None,
    active: bool | None,
) -> Theme:
    """Rename, describe, retire or restore a theme (retired themes stay on past recommendations)."""
    require_manager(principal, "managing themes")
    theme = get_theme(session, principal, code)
    if label is not None:
        theme.label = label
    if description is not None:
        theme.description = description
    if active is not None:
        theme.active = active
    session.add(theme)
    _audit(session, principal, theme, "theme.updated", f"Theme '{theme.label}' changed")
    return theme


def get_theme(session: Session, principal: Principal, code: str) -> Theme:
    """One theme by code."""
    theme = _find(session, principal, code)
    if theme is None:
        raise NotFound(f"there is no theme '{code}'")
    return theme


def resolve_codes(session: Session, principal: Principal, codes: list[str], field: str) -> list[Theme]:
    """Themes for ``codes``, refusing unknown or retired ones with every bad code listed."""
    wanted = list(dict.fromkeys(codes))
    found = {
        t.code: t
        for t in session.exec(
            select(Theme).where(Theme.partnership_id == principal.partnership_id, col(Theme.code).in_(wanted))
        ).all()
    }
    errors = [
        {"field": field, "message": f"unknown theme '{c}'; see GET /api/v1/themes"} for c in wanted if c not in found
    ] + [
        {"field": field, "message": f"the theme '{c}' is retired"} for c in wanted if c in found and not found[c].active
    ]
    if errors:
        raise InvalidInput("some themes are not in the partnership's taxonomy", errors)
    return [found[c] for c in wanted]


def _find(session: Session, principal: Principal, code: str) -> Theme | None:
    return session.exec(
        select(Theme).where(Theme.partnership_id == principal.partnership_id, Theme.code == code)
    ).first()


def _audit(session: Session, principal: Principal, theme: Theme, action: str, summary: str) -> None:
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action=action,
        object_type="theme",
        object_id=theme.code,
        summary=summary,
        detail={"label": theme.label, "active": theme.active},
    )
