"""The daily digest: everything a person chose to receive as a digest, in one message grouped by case and due date.

From LIF_DIGEST_HOUR (Europe/London) each day, each person with waiting notices gets one digest (its key is the
person and the day); notices arriving later that day wait for the next one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from sqlmodel import Session, col, select

from service.config import get_settings
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.models import Notification, Partnership
from service.notifications import recipients
from service.notifications.kinds import Kind
from service.notifications.policy import settings_for
from service.notifications.produce import notify
from service.notifications.templates import render


def send_digests(session: Session, *, now: dt.datetime | None = None) -> int:
    """Record today's digests (once the digest hour has come); returns how many were recorded."""
    now = now or utcnow()
    local = now.astimezone(LONDON)
    if local.hour < get_settings().digest_hour:
        return 0
    waiting = session.exec(
        select(Notification)
        .where(Notification.status == "digest", col(Notification.created_at) <= now)
        .order_by(col(Notification.created_at))
    ).all()
    by_person: dict[tuple[uuid.UUID, uuid.UUID], list[Notification]] = defaultdict(list)
    for row in waiting:
        by_person[(row.partnership_id, row.recipient_id)].append(row)
    recorded = 0
    for (partnership_id, user_id), rows in by_person.items():
        people = recipients.principals(session, partnership_id, user_ids=[user_id])
        if not people:
            continue  # deactivated: their notices stay unsent
        partnership = session.get(Partnership, partnership_id)
        assert partnership is not None
        wording = settings_for(partnership.notifications).wording
        items = [
            {
                "title": render(Kind(row.kind), row.facts, wording).subject,
                "case_reference": row.facts.get("case_reference"),
                "pseudonym": row.facts.get("pseudonym"),
                "due_date": row.facts.get("due_date"),
                "link": row.facts.get("link"),
            }
            for row in rows
        ]
        made = notify(
            session,
            recipients=people,
            kind=Kind.DIGEST,
            key=f"digest:{local.date().isoformat()}",
            facts={"count": len(items), "items": items},
            now=now,
        )
        if not made:
            continue  # today's digest has gone; these wait for tomorrow's
        (digest,) = made
        for row in rows:
            row.status, row.digest_id = "in_digest", digest.id
            session.add(row)
        recorded += 1
    return recorded
