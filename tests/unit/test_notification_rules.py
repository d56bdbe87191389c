"""Notification rules needing no database: the chasing calendar, how a new task is announced, SMTP URLs, wording."""

from __future__ import annotations

import datetime as dt

import pytest

from service.errors import InvalidInput
from service.models import HumanTask
from service.notifications import smtp
from service.notifications.chasing import occasion
from service.notifications.kinds import Kind
from service.notifications.policy import ChaseSchedule, Wording
from service.notifications.task_notices import created_kind
from service.notifications.templates import render

DUE = dt.date(2027, 3, 10)  # a Wednesday
FACTS = {"case_reference": "CSPR-2027-0001", "pseudonym": "Child K", "task_name": "Provide information", "link": "x"}


def test_the_chasing_calendar_counts_working_days_after_the_due_date() -> None:
    schedule = ChaseSchedule(every_working_days=2, max_repeats=2)
    on = {day: occasion(schedule, dt.date(2027, 3, day), DUE, 2) for day in range(5, 22)}
    assert on[5] is None and on[8] == ("due_soon", "due soon") and on[9] == ("due_soon", "due soon")
    assert on[10] == ("due_date", "due today") and on[11] is None
    assert on[12] == ("overdue_1", "overdue, reminder 1") and on[13] == on[14] == ("overdue_1", "overdue, reminder 1")
    assert on[16] == ("overdue_2", "overdue, reminder 2")  # Fri 12, Mon 15 and Tue 16 are working days 2, 3, 4
    assert on[18] is None  # after the last repeat
    quiet = ChaseSchedule(at_due_soon=False, on_due_date=False, every_working_days=0)
    assert all(occasion(quiet, dt.date(2027, 3, day), DUE, 2) is None for day in range(5, 22))


def _task(element_id: str, stage: str | None = None) -> HumanTask:
    return HumanTask(
        partnership_id=None,
        instance_id=None,
        case_id=None,
        engine_task_id="t",
        element_id=element_id,
        name="n",
        stage=stage,
    )


def test_a_new_task_is_announced_as_its_kind() -> None:
    assert created_kind(_task("Task_EscalateAgencyInformationOverdue", "Escalation")) is Kind.ESCALATION
    assert created_kind(_task("Task_ConfirmCascade")) is Kind.LEARNING_CASCADE
    assert created_kind(_task("Task_ConfirmSustained")) is Kind.ACTION_RECHECK
    assert created_kind(_task("Task_ProvideRapidReviewInformation")) is Kind.TASK_AVAILABLE


def test_smtp_urls() -> None:
    assert smtp.parse("smtp://relay.example.org") == smtp.Server("relay.example.org", 587, False, None, None)
    assert smtp.parse("smtps://lif%40x.org:p%3Ass@mail.example.org") == smtp.Server(
        "mail.example.org", 465, True, "lif@x.org", "p:ss"
    )
    with pytest.raises(InvalidInput):
        smtp.parse("http://mail.example.org")


def test_a_partnership_words_its_own_messages_and_html_is_escaped() -> None:
    own = {Kind.CHASE: Wording(subject="Return overdue: {task_name}", intro="Hello from Northshire <b>")}
    rendered = render(Kind.CHASE, {**FACTS, "occasion": "due today"}, own)
    assert rendered.subject == "Return overdue: Provide information"
    assert rendered.text.startswith("Hello from Northshire <b>") and "Hello from Northshire &lt;b&gt;" in rendered.html
    assert render(Kind.CHASE, {**FACTS, "occasion": "due today"}, {}).subject.startswith("Reminder (due today)")


def test_a_digest_groups_by_case_then_due_date() -> None:
    items = [
        {"title": "B late", "case_reference": "R2", "due_date": "2027-03-02", "link": "l"},
        {"title": "A early", "case_reference": "R2", "due_date": "2027-03-01", "link": "l"},
        {"title": "C", "case_reference": "R1", "due_date": None, "link": "l"},
    ]
    text = render(Kind.DIGEST, {"count": 3, "items": items}, {}).text
    assert text.index("R1") < text.index("R2") < text.index("Due 2027-03-01") < text.index("Due 2027-03-02")
    assert "No due date" in text
