"""The worker's sending job: claim due notifications, send each over SMTP once, record the outcome.

A notification is *claimed* in a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers
never take the same one) and leased for the SMTP timeout plus a margin; the message is built then, from the
facts recorded with it. SMTP happens outside any transaction; the outcome is recorded in another.

Idempotency window: the only way a notification goes out twice is a worker dying (kill -9, power loss) after
the server answered 250 to the message's DATA and before the worker committed "sent", a few milliseconds. The
lease then expires and the message is sent again with the same Message-ID, which receiving systems and mail
clients use to recognise the repeat. A worker killed earlier, while the server is still receiving, leaves no
accepted message (RFC 5321: a message is the server's only after its 250), and the retry delivers it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlmodel import Session, col, select

from service.audit.log import record
from service.config import get_settings
from service.db.session import unit_of_work
from service.db.types import utcnow
from service.models import HumanTask, Notification, Partnership, User
from service.notifications import smtp
from service.notifications.kinds import Kind
from service.notifications.meetings import calendar
from service.notifications.policy import settings_for
from service.notifications.produce import mail_on
from service.notifications.templates import render

log = logging.getLogger(__name__)
LEASE_MARGIN = dt.timedelta(seconds=5)
_told_mail_off = False


@dataclass(frozen=True)
class Claimed:
    """One message ready to go, built while claiming."""

    notification_id: uuid.UUID
    message: EmailMessage


def send_due(*, url: str | None = None, limit: int = 50) -> int:
    """One pass: one message at a time (claim, send, record), on one SMTP connection; returns how many were handled.

    Recording each outcome before the next message keeps the repeat window to one message (see above).
    """
    global _told_mail_off
    if not mail_on():
        if not _told_mail_off:
            log.warning("LIF_SMTP_URL is not set: mail is off; notifications are recorded as not_sent_mail_off")
            _told_mail_off = True
        return 0
    settings = get_settings()
    client: smtplib.SMTP | None = None
    tried = 0
    try:
        while tried < limit:
            with unit_of_work(write=True, url=url) as session:
                claimed, withdrawn = claim(session, limit=1)
            tried += withdrawn
            if not claimed:
                if withdrawn:
                    continue
                break
            (item,) = claimed
            tried += 1
            try:
                client = client or smtp.connect(smtp.parse(settings.smtp_url), settings.smtp_timeout_seconds)
            except Exception as exc:  # the server is down or refuses us: the message waits for its retry
                failure = smtp.Failure(False, f"connecting to the mail server failed: {type(exc).__name__}: {exc}")
                with unit_of_work(write=True, url=url) as session:
                    record_outcome(session, item.notification_id, failure)
                break
            outcome = smtp.send(client, item.message)
            with unit_of_work(write=True, url=url) as session:
                record_outcome(session, item.notification_id, outcome)
            if outcome is not None and not _still_connected(client):
                _quit(client)
                client = None
    finally:
        if client is not None:
            _quit(client)
    return tried


def claim(session: Session, *, limit: int, now: dt.datetime | None = None) -> tuple[list[Claimed], int]:
    """Lease due pending notifications and build their messages; also says how many were withdrawn instead."""
    now = now or utcnow()
    rows = session.exec(
        select(Notification)
        .where(
            Notification.status == "pending",
            col(Notification.next_attempt_at) <= now,
            (col(Notification.lease_until).is_(None)) | (col(Notification.lease_until) <= now),
        )
        .order_by(col(Notification.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    # Long enough to connect and send every message claimed (each SMTP step is bounded by the timeout).
    lease = now + dt.timedelta(seconds=get_settings().smtp_timeout_seconds * (len(rows) + 1)) + LEASE_MARGIN
    claimed, withdrawn = [], 0
    for row in rows:
        recipient = session.get(User, row.recipient_id)
        if (row.kind == Kind.CHASE.value and not _task_open(session, row.task_id)) or not (
            recipient and recipient.active
        ):
            # Done before its reminder went out (chasing stops the moment it is done), or the person has left.
            row.status = "withdrawn"
            session.add(row)
            withdrawn += 1
            continue
        row.lease_until = lease
        row.attempts += 1
        session.add(row)
        claimed.append(Claimed(row.id, build_message(session, row)))
    return claimed, withdrawn


def build_message(session: Session, row: Notification) -> EmailMessage:
    """The e-mail for one notification: plain text, an HTML alternative, and an .ics for a meeting."""
    user = session.get(User, row.recipient_id)
    partnership = session.get(Partnership, row.partnership_id)
    assert user is not None and partnership is not None
    sender = get_settings().mail_from
    kind = Kind(row.kind)
    rendered = render(kind, row.facts, settings_for(partnership.notifications).wording)
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = user.email
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    if kind is Kind.MEETING:
        ics = calendar(row.facts, organiser=parseaddr(sender)[1], attendee=user.email)
        message.add_attachment(
            ics, maintype="text", subtype="calendar", filename="invite.ics", params={"method": row.facts["method"]}
        )
    return message


def record_outcome(
    session: Session, notification_id: uuid.UUID, outcome: smtp.Failure | None, *, now: dt.datetime | None = None
) -> None:
    """Sent, retried later with backoff (4xx and connection trouble), or failed for good (5xx, or retries used up)."""
    now = now or utcnow()
    row = session.exec(select(Notification).where(Notification.id == notification_id).with_for_update()).one()
    row.lease_until = None
    if outcome is None:
        row.status, row.sent_at, row.last_error = "sent", now, None
    else:
        row.last_error = outcome.error[:2000]
        schedule = get_settings().mail_retry_schedule
        if outcome.permanent or row.attempts >= len(schedule):
            row.status = "failed_permanent"
            if not outcome.permanent:
                row.last_error = f"gave up after {row.attempts} temporary failures; last: {row.last_error}"
            record(
                session,
                partnership_id=row.partnership_id,
                actor=None,
                action="notification.failed",
                object_type="notification",
                object_id=str(row.id),
                summary=f"A {row.kind} e-mail could not be delivered: {row.last_error[:300]}",
            )
        else:
            wait = schedule[row.attempts] * random.uniform(0.9, 1.1)
            row.next_attempt_at = now + dt.timedelta(seconds=wait)
    session.add(row)


def _task_open(session: Session, task_id: uuid.UUID | None) -> bool:
    task = session.get(HumanTask, task_id) if task_id else None
    return task is not None and task.state == "open"


def _still_connected(client: smtplib.SMTP) -> bool:
    try:
        return client.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
