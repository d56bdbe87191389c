"""Meeting invitations (RFC 5545 iCalendar) for the tasks that hold a meeting; updates and cancellations keep the UID.

The UID is derived from the task, and each new invitation, update or cancellation raises SEQUENCE by one, so
calendar clients replace the earlier version instead of adding another event.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from icalendar import Calendar, Event, vCalAddress
from sqlmodel import Session, select

from service.access.principal import Principal
from service.access.roles import Role
from service.audit.log import record
from service.db.types import utcnow
from service.errors import Conflict, Forbidden, InvalidInput
from service.models import Case, Notification
from service.notifications import recipients
from service.notifications.kinds import MEETING_ELEMENTS, Kind
from service.notifications.produce import notify, task_facts


@dataclass(frozen=True)
class MeetingSent:
    """What an invitation, update or cancellation did."""

    uid: str
    sequence: int
    method: str
    notifications: list[Notification]


def meeting_uid(task_id: uuid.UUID) -> str:
    """The one UID of a task's meeting."""
    return f"meeting-{task_id}@lif-service"


def send_meeting(
    session: Session,
    principal: Principal,
    task_id: uuid.UUID,
    *,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    location: str,
    cancel: bool = False,
) -> MeetingSent:
    """Invite the case's members and involved agencies' leads, or send an update or a cancellation."""
    task = recipients.visible_task(session, principal, task_id)
    if task.element_id not in MEETING_ELEMENTS:
        raise Conflict(f"'{task.name}' does not hold a meeting, so it sends no invitation")
    if not (recipients.may_claim(principal, task) or principal.has_role(Role.BUSINESS_MANAGER)):
        raise Forbidden("only someone who may do the task, or a business manager, sends its meeting invitation")
    earlier = session.exec(
        select(Notification.facts).where(Notification.task_id == task.id, Notification.kind == Kind.MEETING.value)
    ).all()
    last = max(earlier, key=lambda f: int(f["sequence"]), default=None)
    if cancel:
        if last is None or last.get("method") == "CANCEL":
            raise Conflict("there is no meeting to cancel")
        starts_at = dt.datetime.fromisoformat(last["starts_at"])
        ends_at = dt.datetime.fromisoformat(last["ends_at"])
        location = last.get("location") or ""
    elif task.state != "open":
        raise Conflict(f"the task is {task.state}; its meeting can only be cancelled")
    if starts_at is None or ends_at is None or starts_at.tzinfo is None or ends_at <= starts_at:
        raise InvalidInput(
            "give the meeting's start and end", [{"field": "ends_at", "message": "timezone-aware, after starts_at"}]
        )
    case = session.get(Case, task.case_id)
    assert case is not None
    sequence = int(last["sequence"]) + 1 if last else 0
    method = "CANCEL" if cancel else "REQUEST"
    facts = task_facts(
        task,
        case,
        uid=meeting_uid(task.id),
        sequence=sequence,
        method=method,
        method_label="Cancelled" if cancel else ("Meeting updated" if sequence else "Meeting invitation"),
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat(),
        location=location,
    )
    attendees = recipients.meeting_attendees(session, task, case)
    key = f"meeting:{task.id}:{sequence}"
    sent = notify(session, recipients=attendees, kind=Kind.MEETING, key=key, facts=facts, case=case, task=task)
    record(
        session,
        partnership_id=task.partnership_id,
        actor=principal,
        action="meeting.cancelled" if cancel else "meeting.invited",
        object_type="task",
        object_id=str(task.id),
        summary=f"{principal.name} sent {facts['method_label'].lower()} for '{task.name}' to {len(sent)} people",
    )
    return MeetingSent(uid=facts["uid"], sequence=sequence, method=method, notifications=sent)


def calendar(facts: dict[str, Any], *, organiser: str, attendee: str) -> bytes:
    """The .ics of one invitation, update or cancellation."""
    cal = Calendar()
    cal.add("prodid", "-//LIF Service//Meetings//EN")
    cal.add("version", "2.0")
    cal.add("method", facts["method"])
    event = Event()
    event.add("uid", facts["uid"])
    event.add("sequence", int(facts["sequence"]))
    event.add("dtstamp", utcnow())
    event.add("dtstart", dt.datetime.fromisoformat(facts["starts_at"]))
    event.add("dtend", dt.datetime.fromisoformat(facts["ends_at"]))
    event.add("summary", f"{facts['task_name']} ({facts['case_reference']})")
    if facts.get("location"):
        event.add("location", facts["location"])
    event.add("description", f"Case {facts['case_reference']}: {facts.get('link', '')}")
    event.add("status", "CANCELLED" if facts["method"] == "CANCEL" else "CONFIRMED")
    event.add("organizer", vCalAddress(f"mailto:{organiser}"))
    guest = vCalAddress(f"mailto:{attendee}")
    guest.params["ROLE"] = "REQ-PARTICIPANT"
    guest.params["RSVP"] = "TRUE"
    event.add("attendee", guest)
    cal.add_component(event)
    return bytes(cal.to_ical())


__all__ = ["MeetingSent", "calendar", "meeting_uid", "send_meeting"]
