"""E-mail notifications end to end: a real SMTP server on loopback, messages parsed with the email package."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import icalendar
import pytest
from sqlmodel import select

from service.config import get_settings
from service.db.session import unit_of_work
from service.engine.functions import LONDON, add_working_days, today
from service.jobs.timers import fire_due_timers
from service.models import AuditEvent, Notification
from service.notifications import sending
from service.notifications.chasing import chase_due
from service.notifications.digest import send_digests
from service.notifications.sending import send_due
from service.tasks import deadlines
from tests.conftest import Api
from tests.helpers import complete, open_tasks
from tests.integration import mailbox as mb

SECRET_NAME = "Jayden Identifiable-Smith"
HEALTH_SECRET = "health-only-chronology-7f3a"
TITLE = "Death of a toddler in Northtown"
POLICE = "safeguarding.lead@police.northshire.example"
HEALTH = "safeguarding.lead@health.northshire.example"
FRONTEND = "https://lif.example.org/tasks/{task_id}"


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[mb.Mailbox]:
    box = mb.Mailbox()
    controller, port = mb.start(box)
    monkeypatch.setenv("LIF_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("LIF_MAIL_FROM", "LIF Northshire <lif@northshire.example>")
    monkeypatch.setenv("LIF_FRONTEND_URL", FRONTEND)
    monkeypatch.setenv("LIF_MAIL_RETRY_SCHEDULE", "[0, 0, 0]")
    monkeypatch.setenv("LIF_DIGEST_HOUR", "0")
    get_settings.cache_clear()
    yield box
    controller.stop()


def deliver(db_url: str) -> None:
    """Run the sending job until nothing is due."""
    for _ in range(20):
        if not send_due(url=db_url):
            return
    pytest.fail("mail kept being due")


def open_cspr(api: Api, agencies: list[str], *, aware_at: str | None = None) -> dict[str, Any]:
    """A CSPR whose subject has a name in its record; the Panel is notified unless ``aware_at`` is given."""
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "case_type": "cspr",
            "title": TITLE,
            "subject_pseudonym": "Child K",
            "involved_agencies": agencies,
            "data": {"aware_at": aware_at or today(), "incident_type": "serious_harm", "subject_name": SECRET_NAME},
            "members": api.review_team(),
        },
    )
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    if aware_at is None:
        complete(api, case["id"], "Task_NotifyPanel", {"notified_at": today(), "child_looked_after": False})
    return case


def police_returns(api: Api, case: dict[str, Any]) -> None:
    answers = {"agency_involvement": "x", "chronology_summary": "y"}
    complete(api, case["id"], "Task_ProvideRapidReviewInformation", answers, agency="police")


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


def test_agency_leads_are_told_of_their_request_with_a_link_and_nothing_from_forms(
    api: Api, mailbox: mb.Mailbox, db_url: str
) -> None:
    case = open_cspr(api, ["police", "health"])
    complete(
        api,
        case["id"],
        "Task_ProvideRapidReviewInformation",
        {"agency_involvement": HEALTH_SECRET, "chronology_summary": HEALTH_SECRET},
        agency="health",
    )
    deliver(db_url)
    (police_task,) = open_tasks(api, case["id"], "Task_ProvideRapidReviewInformation")
    (message,) = [m for m in mailbox.messages_to(POLICE) if case["reference"] in m["Subject"]]
    assert message["Subject"] == f"New task for you to pick up: Provide rapid review information ({case['reference']})"
    assert message["From"] == "LIF Northshire <lif@northshire.example>"
    assert message["Message-ID"].endswith("@northshire.example>") and message["Auto-Submitted"] == "auto-generated"
    link = FRONTEND.format(task_id=police_task["id"])
    text, markup = body(message, "plain"), body(message, "html")
    assert link in text and f'href="{link}"' in markup and "Child K" in text
    assert "<img" not in markup and "<script" not in markup
    # No special-category data: not the subject's name, the case title, or what another agency submitted.
    for raw, _ in mailbox.received:
        for secret in (SECRET_NAME, TITLE, HEALTH_SECRET, "Jayden"):
            assert secret.encode() not in raw
    # Need-to-know: an agency not involved is told nothing; the case's members are told of their own tasks only.
    assert not mailbox.messages_to("safeguarding.lead@education.northshire.example")
    mine = api.as_("agency_safeguarding_lead:police").get("/api/v1/me/notifications").json()["items"]
    assert {(n["kind"], n["status"], n["task_id"]) for n in mine} >= {("task_available", "sent", police_task["id"])}
    history = api.as_("business_manager").get(f"/api/v1/tasks/{police_task['id']}/notifications").json()["items"]
    assert [(n["recipient_name"], n["status"]) for n in history] == [("Safeguarding lead, Northshire Police", "sent")]
    assert (
        api.as_("agency_safeguarding_lead:health").get(f"/api/v1/tasks/{police_task['id']}/notifications").status_code
        == 404
    )


def _noon(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), LONDON).astimezone(dt.UTC)


def _chase(db_url: str, day: str) -> int:
    """The worker's chase scan on ``day`` at noon, then its sending job."""
    with unit_of_work(url=db_url) as session:
        recorded = chase_due(session, now=_noon(day))
    deliver(db_url)
    return recorded


def test_the_police_lead_is_chased_on_the_configured_days_and_not_after_completing(
    api: Api, mailbox: mb.Mailbox, db_url: str
) -> None:
    changed = api.as_("business_manager").patch(
        "/api/v1/partnership/notifications",
        json={"chase": {"every_working_days": 2}, "wording": {"chase": {"subject": "Chase ({occasion}): {task_name}"}}},
    )
    assert changed.status_code == 200, changed.text
    again = api.as_("business_manager").patch("/api/v1/partnership/notifications", json={"chase": {"max_repeats": 5}})
    assert again.json()["chase"]["every_working_days"] == 2 and again.json()["chase"]["max_repeats"] == 5
    refused = api.as_("business_manager").patch("/api/v1/partnership/notifications", json={"chase": {"every": 1}})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert (
        api.as_("agency_safeguarding_lead:police").patch("/api/v1/partnership/notifications", json={}).status_code
        == 403
    )
    case = open_cspr(api, ["police", "health"])
    tasks = {t["agency"]: t for t in open_tasks(api, case["id"], "Task_ProvideRapidReviewInformation")}
    due = dt.datetime.fromisoformat(tasks["police"]["due_at"]).astimezone(LONDON).date().isoformat()
    days = {
        "before": add_working_days(due, -5),
        "soon": add_working_days(due, -1),
        "due": due,
        "plus1": add_working_days(due, 1),
        "plus2": add_working_days(due, 2),
    }
    counts = {name: _chase(db_url, day) for name, day in days.items()}
    assert _chase(db_url, days["plus2"]) == 0  # a second scan the same day chases nobody again
    assert counts == {"before": 0, "soon": 2, "due": 2, "plus1": 0, "plus2": 2}  # police and health each time
    with unit_of_work(url=db_url) as session:  # reminder 2 is recorded, and the police complete before it goes
        assert chase_due(session, now=_noon(add_working_days(due, 4))) == 2
    police_returns(api, case)
    assert _chase(db_url, add_working_days(due, 6)) == 1  # health only: the police task is done
    subjects = [m["Subject"] for m in mailbox.messages_to(POLICE) if m["Subject"].startswith("Chase")]
    name = "Provide rapid review information"
    assert subjects == [
        f"Chase (due soon): {name}",
        f"Chase (due today): {name}",
        f"Chase (overdue, reminder 1): {name}",
    ]
    assert len([m for m in mailbox.messages_to(HEALTH) if m["Subject"].startswith("Chase")]) == 5
    history = api.as_("business_manager").get(f"/api/v1/tasks/{tasks['police']['id']}/notifications").json()["items"]
    chases = [(n["occasion"], n["status"], n["recipient_name"]) for n in history if n["kind"] == "chase"]
    lead = "Safeguarding lead, Northshire Police"
    assert chases == [
        ("due soon", "sent", lead),
        ("due today", "sent", lead),
        ("overdue, reminder 1", "sent", lead),
        ("overdue, reminder 2", "withdrawn", lead),
    ]


def test_a_digest_user_gets_one_digest_grouped_by_case(api: Api, mailbox: mb.Mailbox, db_url: str) -> None:
    lead = api.as_("agency_safeguarding_lead:police")
    chosen = lead.request(
        "PUT", "/api/v1/me/notification-preferences", json={"task_available": "digest", "chase": "off"}
    )
    assert chosen.status_code == 422  # chasing is mandatory by default: the partnership decides
    chosen = lead.request("PUT", "/api/v1/me/notification-preferences", json={"task_available": "digest"})
    assert chosen.status_code == 200, chosen.text
    prefs = {p["kind"]: p for p in chosen.json()["preferences"]}
    assert prefs["task_available"]["delivery"] == "digest" and prefs["chase"]["mandatory"] is True
    first, second = open_cspr(api, ["police"]), open_cspr(api, ["police"])
    deliver(db_url)
    assert not mailbox.messages_to(POLICE)
    with unit_of_work(url=db_url) as session:
        assert send_digests(session) == 1
    with unit_of_work(url=db_url) as session:
        assert send_digests(session) == 0  # one a day
    deliver(db_url)
    (digest,) = mailbox.messages_to(POLICE)
    text = body(digest, "plain")
    assert digest["Subject"] == "Your daily summary: 2 notifications"
    assert text.index(first["reference"]) < text.index(second["reference"]) and text.count("Due ") == 2
    assert TITLE not in text and SECRET_NAME not in text
    items = lead.get("/api/v1/me/notifications").json()["items"]
    assert sorted(n["status"] for n in items) == ["in_digest", "in_digest", "sent"]


def test_a_temporary_failure_is_retried_and_delivered_once_and_a_permanent_one_recorded(
    api: Api, mailbox: mb.Mailbox, db_url: str
) -> None:
    mailbox.temporary_failures = 2
    mailbox.refuse.add(HEALTH)
    open_cspr(api, ["police", "health"])
    deliver(db_url)
    assert len([m for m in mailbox.messages_to(POLICE)]) == 1
    with unit_of_work(url=db_url) as session:
        rows = session.exec(select(Notification)).all()
        by_status = {(r.status, r.facts.get("agency")) for r in rows if r.facts.get("agency")}
        ids = [r.message_id for r in rows if r.status == "sent"]
        failures = session.exec(select(AuditEvent).where(AuditEvent.action == "notification.failed")).all()
    assert by_status == {("sent", "police"), ("failed_permanent", "health")}
    assert sorted(m["Message-ID"] for _, m in mailbox.received) == sorted(ids)  # each once
    assert len(failures) == 1
    shown = api.as_("partnership_admin").get("/api/v1/notifications", params={"status": "failed_permanent"}).json()
    (failed,) = shown["items"]
    assert failed["last_error"].startswith("550") and failed["attempts"] == 1
    assert failed["case_reference"] is None  # the admin does not see the case: what the notice was about is withheld
    (seen,) = (
        api.as_("business_manager").get("/api/v1/notifications", params={"status": "failed_permanent"}).json()["items"]
    )
    assert seen["case_reference"] is not None and seen["id"] == failed["id"]
    health = api.user_id("agency_safeguarding_lead:health")
    theirs = api.as_("business_manager").get("/api/v1/notifications", params={"recipient_id": health}).json()["items"]
    assert theirs and {n["recipient_id"] for n in theirs} == {health}
    assert api.as_("agency_safeguarding_lead:police").get("/api/v1/notifications").status_code == 403


def _ics(message: EmailMessage) -> icalendar.Event:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == part.get_param("method")
    return event


def test_a_meeting_invitation_then_update_and_cancellation_keep_the_uid(
    api: Api, mailbox: mb.Mailbox, db_url: str
) -> None:
    case = open_cspr(api, ["police"])
    police_returns(api, case)
    (meeting,) = open_tasks(api, case["id"], "Task_HoldRapidReviewMeeting")
    manager = api.as_("business_manager")
    start = dt.datetime(2027, 1, 12, 10, tzinfo=dt.UTC)
    when = {
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "location": "Room 4",
    }
    sent = manager.request("PUT", f"/api/v1/tasks/{meeting['id']}/meeting", json=when)
    assert sent.status_code == 200, sent.text
    assert sent.json()["sequence"] == 0 and len(sent.json()["notifications"]) == 4  # three members, the police lead
    moved = {
        **when,
        "starts_at": (start + dt.timedelta(days=1)).isoformat(),
        "ends_at": (start + dt.timedelta(days=1, hours=1)).isoformat(),
    }
    assert manager.request("PUT", f"/api/v1/tasks/{meeting['id']}/meeting", json=moved).json()["sequence"] == 1
    assert manager.delete(f"/api/v1/tasks/{meeting['id']}/meeting").json()["method"] == "CANCEL"
    assert manager.delete(f"/api/v1/tasks/{meeting['id']}/meeting").status_code == 409
    deliver(db_url)
    events = [_ics(m) for m in mailbox.messages_to(POLICE) if m.get_content_type() == "multipart/mixed"]
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1, 2]
    assert {str(e["UID"]) for e in events} == {f"meeting-{meeting['id']}@lif-service"}
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert events[1].decoded("DTSTART") == start + dt.timedelta(days=1) and str(events[0]["LOCATION"]) == "Room 4"
    assert str(events[0]["ATTENDEE"]) == f"mailto:{POLICE}"
    done = api.as_("business_manager").get(
        "/api/v1/tasks", params={"case_id": case["id"], "state": "completed", "scope": "all"}
    )
    info = next(t for t in done.json()["items"] if t["element_id"] == "Task_ProvideRapidReviewInformation")
    assert manager.request("PUT", f"/api/v1/tasks/{info['id']}/meeting", json=when).status_code == 409
    refused = api.as_("agency_safeguarding_lead:police").request(
        "PUT", f"/api/v1/tasks/{uuid.uuid4()}/meeting", json=when
    )
    assert refused.status_code == 404


def test_without_smtp_mail_is_off_said_once_and_notifications_are_still_recorded(
    api: Api, db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sending, "_told_mail_off", False)
    open_cspr(api, ["police"])
    with caplog.at_level(logging.WARNING, logger=sending.__name__):
        assert send_due(url=db_url) == 0 and send_due(url=db_url) == 0
    assert [r.message for r in caplog.records].count(
        "LIF_SMTP_URL is not set: mail is off; notifications are recorded as not_sent_mail_off"
    ) == 1
    mine = api.as_("agency_safeguarding_lead:police").get("/api/v1/me/notifications").json()["items"]
    assert mine and {n["status"] for n in mine} == {"not_sent_mail_off"}


def test_the_business_manager_is_told_of_an_escalation_and_an_overdue_task(
    api: Api, mailbox: mb.Mailbox, db_url: str
) -> None:
    late = add_working_days(today(), -10)  # the Panel should have been notified five working days after this
    reference = open_cspr(api, ["police"], aware_at=late)["reference"]
    fire_due_timers(url=db_url)
    with unit_of_work(url=db_url) as session:
        deadlines.scan(session)
    deliver(db_url)
    subjects = {m["Subject"] for m in mailbox.messages_to("business.manager@northshire.example")}
    assert f"Escalation: Escalate: Panel notification overdue ({reference})" in subjects
    assert f"Overdue: Notify the national Panel ({reference})" in subjects


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a loopback server, on purpose
def test_credentials_in_the_smtp_url_log_in_and_wrong_ones_are_retried_not_lost(
    api: Api, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = mb.Mailbox()
    controller, port = mb.start(box, login=("lif@northshire.example", "s3cret:pass"))
    try:
        monkeypatch.setenv("LIF_SMTP_URL", f"smtp://lif%40northshire.example:wrong@127.0.0.1:{port}")
        monkeypatch.setenv("LIF_MAIL_RETRY_SCHEDULE", "[0, 0, 0, 0]")
        get_settings.cache_clear()
        open_cspr(api, ["police"])
        send_due(url=db_url)
        with unit_of_work(url=db_url) as session:
            waiting = session.exec(select(Notification).where(Notification.status == "pending")).all()
        (tried,) = [n for n in waiting if n.attempts]  # the pass stops at the first refused login
        assert tried.last_error is not None and "535" in tried.last_error and len(waiting) > 1
        assert not box.received
        monkeypatch.setenv("LIF_SMTP_URL", f"smtp://lif%40northshire.example:s3cret%3Apass@127.0.0.1:{port}")
        get_settings.cache_clear()
        deliver(db_url)
    finally:
        controller.stop()
    assert POLICE in [m["To"] for _, m in box.received] and len(box.received) == len(waiting)


def test_an_agency_lead_is_asked_to_cascade_learning(api: Api, mailbox: mb.Mailbox, db_url: str) -> None:
    created = api.as_("business_manager").post(
        "/api/v1/learning-items",
        json={
            "title": "Ask who else lives in the home",
            "summary": "s",
            "kind": "lesson",
            "source_type": "multi_agency_audit",
            "themes": ["professional_curiosity"],
            "audience_agencies": ["police", "health"],
        },
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    plan = {"dissemination_plan": "briefing", "cascade_to_agencies": True}
    complete(api, case_id, "Task_PlanDissemination", plan)
    activity = {
        "channel": "briefing",
        "activity_date": today(),
        "audience": "all",
        "reach": 10,
        "more_activities": False,
    }
    complete(api, case_id, "Task_RecordDissemination", activity)
    deliver(db_url)
    reference = api.as_("business_manager").get(f"/api/v1/cases/{case_id}").json()["reference"]
    for lead in (POLICE, HEALTH):
        (asked,) = [m for m in mailbox.messages_to(lead) if m["Subject"].startswith("Please cascade")]
        assert asked["Subject"] == f"Please cascade learning in your agency ({reference})"
        assert "Confirm the cascade inside your agency" in body(asked, "plain")
    assert not mailbox.messages_to("safeguarding.lead@education.northshire.example")
