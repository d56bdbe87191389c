"""Read notifications (mine, a task's chase and notice history, the partnership's failures) and set preferences."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.principal import Principal
from service.audit.access import AccessKind, record_access
from service.db.types import utcnow
from service.errors import InvalidInput
from service.models import Case, Notification, NotificationPreference, Partnership, User
from service.notifications import recipients
from service.notifications.kinds import DELIVERIES, PREFERENCE_KINDS, Kind
from service.notifications.policy import require_manager, settings_for
from service.pagination import Page, paginate


@dataclass(frozen=True)
class Preference:
    """One kind: how it is delivered, and whether the partnership made it mandatory."""

    kind: str
    delivery: str
    mandatory: bool


def mine(
    session: Session, principal: Principal, *, status: str | None, cursor: str | None, limit: int
) -> Page[Notification]:
    """The caller's notifications, newest first."""
    query = select(Notification).where(
        Notification.partnership_id == principal.partnership_id, Notification.recipient_id == principal.user_id
    )
    return _page(session, query, status=status, cursor=cursor, limit=limit)


def of_task(
    session: Session, principal: Principal, task_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Page[tuple[Notification, str]]:
    """The notices about a task the caller may see (its chase history), oldest first, with each recipient's name."""
    task = recipients.visible_task(session, principal, task_id)
    record_access(session, principal, kind=AccessKind.TASK, object_type="task", object_id=task.id, case_id=task.case_id)
    page = paginate(
        session,
        select(Notification).where(Notification.task_id == task.id),
        created_col=col(Notification.created_at),
        id_col=col(Notification.id),
        cursor=cursor,
        limit=limit,
        newest_first=False,
    )
    ids = {row.recipient_id for row in page.items}
    names = dict(session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all()) if ids else {}
    return Page(items=[(row, names.get(row.recipient_id, "")) for row in page.items], next_cursor=page.next_cursor)


def of_partnership(
    session: Session,
    principal: Principal,
    *,
    status: str | None,
    recipient_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[Page[Notification], set[uuid.UUID]]:
    """The partnership's notifications, or one person's (admins, business managers: e.g. ``status=failed_permanent``).

    Also returns the ids of the cases the caller may see: what a notice says about any other case is withheld
    (need-to-know), while its recipient, status and error still show, so an admin can fix a delivery problem.
    """
    require_manager(principal, "see everyone's notifications")
    query = select(Notification).where(Notification.partnership_id == principal.partnership_id)
    if recipient_id is not None:
        query = query.where(Notification.recipient_id == recipient_id)
    page = _page(session, query, status=status, cursor=cursor, limit=limit)
    case_ids = {row.case_id for row in page.items if row.case_id is not None}
    visible = set(
        session.exec(
            select(Case.id).where(col(Case.id).in_(case_ids), need_to_know.case_clause(principal, Case.id))
        ).all()
    )
    return page, visible


def preferences(session: Session, principal: Principal) -> list[Preference]:
    """Every kind with the caller's delivery choice (immediate unless chosen otherwise)."""
    mandatory = _mandatory(session, principal)
    chosen = dict(
        session.exec(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == principal.user_id
            )
        ).all()
    )
    return [
        Preference(
            kind.value, "immediate" if kind in mandatory else chosen.get(kind.value, "immediate"), kind in mandatory
        )
        for kind in PREFERENCE_KINDS
    ]


def set_preferences(session: Session, principal: Principal, choices: dict[str, str]) -> list[Preference]:
    """Replace the caller's choices for the kinds given; mandatory kinds can only be immediate."""
    mandatory = _mandatory(session, principal)
    errors = []
    for kind, delivery in choices.items():
        if kind not in {k.value for k in PREFERENCE_KINDS}:
            errors.append({"field": kind, "message": "unknown kind; use one of: " + ", ".join(PREFERENCE_KINDS)})
        elif delivery not in DELIVERIES:
            errors.append({"field": kind, "message": "use immediate, digest or off"})
        elif Kind(kind) in mandatory and delivery != "immediate":
            errors.append({"field": kind, "message": "the partnership made this kind mandatory: it is always sent"})
    if errors:
        raise InvalidInput("some preferences are not valid", errors)
    existing = {
        p.kind: p
        for p in session.exec(select(NotificationPreference).where(NotificationPreference.user_id == principal.user_id))
    }
    for kind, delivery in choices.items():
        row = existing.get(kind) or NotificationPreference(
            partnership_id=principal.partnership_id, user_id=principal.user_id, kind=kind, delivery=delivery
        )
        row.delivery, row.updated_at = delivery, utcnow()
        session.add(row)
    session.flush()
    return preferences(session, principal)


def _mandatory(session: Session, principal: Principal) -> set[Kind]:
    partnership = session.get(Partnership, principal.partnership_id)
    assert partnership is not None
    return set(settings_for(partnership.notifications).mandatory)


def _page(session: Session, query: object, *, status: str | None, cursor: str | None, limit: int) -> Page[Notification]:
    if status:
        query = query.where(Notification.status == status)  # type: ignore[attr-defined]
    return paginate(
        session,
        query,  # type: ignore[arg-type]
        created_col=col(Notification.created_at),
        id_col=col(Notification.id),
        cursor=cursor,
        limit=limit,
        newest_first=True,
    )
