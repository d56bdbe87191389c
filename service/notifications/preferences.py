"""People's notification choices (immediate | digest | off per kind), read at most once per transaction.

One engine step announces several tasks to the same people, so the choices are remembered for the transaction.
Usually they arrive with the people themselves: ``recipients`` reads the partnership's active people and their
choices in one query and hands them here (``remember``); only a question about someone that query did not cover
reads them separately.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from service.db.session import this_transaction
from service.models import NotificationPreference
from service.notifications.kinds import Kind

_KEY = "lif_notification_preferences"


@dataclass
class _Known:
    """The choices of ``people`` (every kind they set), or of everyone in the partnership when ``everyone``."""

    people: set[uuid.UUID] = field(default_factory=set)
    everyone: bool = False
    chosen: dict[tuple[uuid.UUID, str], str] = field(default_factory=dict)  # (user, kind) → delivery

    def covers(self, user_ids: Iterable[uuid.UUID]) -> bool:
        return self.everyone or self.people.issuperset(user_ids)


def remember(
    session: Session,
    partnership_id: uuid.UUID,
    people: Iterable[uuid.UUID] | None,
    rows: Iterable[tuple[Any, Any, Any]],
) -> None:
    """Record that the choices of ``people`` (None: everyone in the partnership) are exactly ``rows`` of (user id,
    kind, delivery): a kind or a person absent from ``rows`` chose nothing."""
    known = _memo(session).setdefault(partnership_id, _Known())
    if people is None:
        known.everyone = True
    else:
        known.people.update(people)
    for user_id, kind, delivery in rows:
        known.chosen[(user_id, kind)] = delivery


def chosen(session: Session, partnership_id: uuid.UUID, user_ids: list[uuid.UUID], kind: Kind) -> dict[uuid.UUID, str]:
    """Each person's choice for ``kind`` (absent: they chose nothing)."""
    known = _memo(session).get(partnership_id)
    if known is None or not known.covers(user_ids):
        # Everyone's choices in the partnership: nobody asked about later in the transaction needs another read.
        rows = session.exec(
            select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.partnership_id == partnership_id
            )
        ).all()
        remember(session, partnership_id, None, rows)
        known = _memo(session)[partnership_id]
    return {u: known.chosen[(u, kind.value)] for u in user_ids if (u, kind.value) in known.chosen}


def _memo(session: Session) -> dict[uuid.UUID, _Known]:
    memo: dict[uuid.UUID, _Known] = this_transaction(session).setdefault(_KEY, {})
    return memo


@event.listens_for(OrmSession, "before_flush")
def _forget_on_change(session: OrmSession, _context: Any, _instances: Any) -> None:
    # A preference saved in this transaction: read them afresh next time.
    memo = this_transaction(session)
    if _KEY in memo and any(
        isinstance(obj, NotificationPreference) for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        del memo[_KEY]
