"""Record notifications in the caller's transaction: no notice without its change, no change without its notice.

Each notice has an idempotency key (what it is about, and who it is for), so producing it twice records it once.
The person's preference decides its status: pending (sent by the worker), digest (kept for the daily digest) or
off (recorded, never sent); mandatory kinds are always sent at once. With no SMTP server configured a notice
that would be sent is recorded as ``not_sent_mail_off``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from email.utils import parseaddr
from typing import Any

from sqlmodel import Session, select

from service.access.principal import Principal
from service.config import get_settings
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.models import Case, HumanTask, Notification, NotificationPreference, Partnership
from service.notifications.kinds import Kind
from service.notifications.policy import settings_for

MAIL_OFF = "not_sent_mail_off"


def mail_on() -> bool:
    """True when an SMTP server is configured."""
    return bool(get_settings().smtp_url)


def message_id(notification_id: uuid.UUID) -> str:
    """A stable RFC 5322 Message-ID: the same on every attempt, so a receiver can tell a repeat."""
    domain = parseaddr(get_settings().mail_from)[1].partition("@")[2] or "lif.invalid"
    return f"<{notification_id.hex}@{domain}>"


def link(*, task_id: uuid.UUID | None, case_id: uuid.UUID | None) -> str:
    """A link into the front end (LIF_FRONTEND_URL), or to the API when none is configured."""
    template = get_settings().frontend_url
    if template:
        return template.replace("{task_id}", str(task_id or "")).replace("{case_id}", str(case_id or ""))
    return f"/api/v1/tasks/{task_id}" if task_id else f"/api/v1/cases/{case_id}"


def london_date(moment: dt.datetime | None) -> str | None:
    """A due moment as the date people read it (Europe/London)."""
    return moment.astimezone(LONDON).date().isoformat() if moment else None


def task_facts(task: HumanTask, case: Case, **extra: Any) -> dict[str, Any]:
    """What a message about a task may say: never form data, the case's title or the subject's name."""
    return {
        "case_reference": case.reference,
        "pseudonym": case.subject_pseudonym,
        "task_name": task.name,
        "agency": task.agency_code,
        "due_date": london_date(task.due_at),
        "link": link(task_id=task.id, case_id=case.id),
        **extra,
    }


def delivery_for(session: Session, user_id: uuid.UUID, kind: Kind, partnership: Partnership) -> str:
    """immediate | digest | off: the person's choice, except for the partnership's mandatory kinds."""
    if kind in (Kind.DIGEST, Kind.MEETING) or kind in settings_for(partnership.notifications).mandatory:
        return "immediate"  # an invitation in a digest would arrive after the meeting was set
    chosen = session.exec(
        select(NotificationPreference.delivery).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind.value
        )
    ).first()
    return chosen or "immediate"


def notify(
    session: Session,
    *,
    recipient: Principal,
    kind: Kind,
    key: str,
    facts: dict[str, Any],
    case: Case | None = None,
    task: HumanTask | None = None,
    now: dt.datetime | None = None,
) -> Notification | None:
    """Record one notice for ``recipient`` unless one with ``key`` exists; returns the new row."""
    key = f"{key}:{recipient.user_id}"
    if session.exec(select(Notification.id).where(Notification.idempotency_key == key)).first() is not None:
        return None
    partnership = session.get(Partnership, recipient.partnership_id)
    assert partnership is not None
    delivery = delivery_for(session, recipient.user_id, kind, partnership)
    status = {"immediate": "pending", "digest": "digest", "off": "off"}[delivery]
    if status == "pending" and not mail_on():
        status = MAIL_OFF
    moment = now or utcnow()
    notification_id = uuid.uuid4()
    row = Notification(
        id=notification_id,
        partnership_id=recipient.partnership_id,
        recipient_id=recipient.user_id,
        kind=kind.value,
        case_id=case.id if case else None,
        task_id=task.id if task else None,
        idempotency_key=key,
        message_id=message_id(notification_id),
        status=status,
        facts=facts,
        next_attempt_at=utcnow() if status == "pending" else None,  # sent at once even when "now" is simulated
        created_at=moment,
    )
    session.add(row)
    return row
