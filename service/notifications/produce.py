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
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.config import get_settings
from service.db.rows import new_row
from service.db.session import keep, this_transaction
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.models import Case, HumanTask, Notification, Partnership
from service.notifications import preferences
from service.notifications.kinds import Kind
from service.notifications.policy import NotificationSettings, settings_for

MAIL_OFF = "not_sent_mail_off"


def mail_on() -> bool:
    """True when an SMTP server is configured."""
    return bool(get_settings().smtp_url)


def message_id(notification_id: uuid.UUID) -> str:
    """A stable RFC 5322 Message-ID: the same on every attempt, so a receiver can tell a repeat."""
    return f"<{notification_id.hex}@{_domain_of(get_settings().mail_from)}>"


@lru_cache(maxsize=8)
def _domain_of(mail_from: str) -> str:
    # Parsed once per address: every notice recorded asks (a CSPR completion records three).
    return parseaddr(mail_from)[1].partition("@")[2] or "lif.invalid"


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


def deliveries(
    session: Session, user_ids: list[uuid.UUID], kind: Kind, partnership_id: uuid.UUID
) -> dict[uuid.UUID, str]:
    """immediate | digest | off for each person: their choice, except for the partnership's mandatory kinds."""
    if kind in (Kind.DIGEST, Kind.MEETING) or kind in partnership_settings(session, partnership_id).mandatory:
        return dict.fromkeys(user_ids, "immediate")  # an invitation in a digest would arrive after the meeting was set
    chosen = preferences.chosen(session, partnership_id, user_ids, kind)
    return {user_id: chosen.get(user_id, "immediate") for user_id in user_ids}


def notify(
    session: Session,
    *,
    recipients: list[Principal],
    kind: Kind,
    key: str,
    facts: dict[str, Any],
    case: Case | None = None,
    task: HumanTask | None = None,
    now: dt.datetime | None = None,
    new_task: bool = False,
) -> list[Notification]:
    """Record the notice for each recipient who has not had the one with ``key``; returns the new rows.

    ``new_task``: the key names a task created in this transaction, so no earlier notice can exist (the unique
    key still guards it); the look-up is skipped. Its row and these notices are then written by one flush, the
    task first (the relationship declared in service/models orders them).
    """
    if not recipients:
        return []
    keys = {f"{key}:{person.user_id}": person for person in recipients}
    done: set[str] = set()
    if not new_task:
        done = set(
            session.exec(select(Notification.idempotency_key).where(col(Notification.idempotency_key).in_(keys)))
        )
    chosen = deliveries(session, [p.user_id for p in recipients], kind, recipients[0].partnership_id)
    moment, sending = now or utcnow(), mail_on()
    rows = []
    for person_key, person in keys.items():
        if person_key in done:
            continue
        status = {"immediate": "pending", "digest": "digest", "off": "off"}[chosen[person.user_id]]
        if status == "pending" and not sending:
            status = MAIL_OFF
        notification_id = uuid.uuid4()
        row = new_row(
            Notification,
            id=notification_id,
            partnership_id=person.partnership_id,
            recipient_id=person.user_id,
            kind=kind.value,
            case_id=case.id if case else None,
            task_id=task.id if task else None,
            idempotency_key=person_key,
            message_id=message_id(notification_id),
            status=status,
            facts=facts,
            next_attempt_at=utcnow() if status == "pending" else None,  # sent at once even when "now" is simulated
            created_at=moment,
        )
        session.add(row)
        rows.append(row)
    return rows


_SETTINGS_KEY = "lif_notification_settings"


def partnership_settings(session: Session, partnership_id: uuid.UUID) -> NotificationSettings:
    """The partnership's notification settings, read and parsed once per transaction."""
    cache: dict[uuid.UUID, NotificationSettings] = this_transaction(session).setdefault(_SETTINGS_KEY, {})
    if partnership_id not in cache:
        partnership = session.get(Partnership, partnership_id)
        assert partnership is not None
        cache[partnership_id] = settings_for(keep(session, partnership).notifications)
    return cache[partnership_id]
