"""Webhook events reach a partner in causal order per endpoint, through failures, and a dead one stops blocking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import col, select

from service.config import get_settings
from service.db.session import unit_of_work
from service.engine.functions import today
from service.models import WebhookDelivery, WebhookEvent
from tests.conftest import Api
from tests.helpers import complete, open_case
from tests.integration import receiver as rx
from tests.integration.test_webhooks import FAST, _start_workers, _subscribe, _wait

EVERY_CASE_AND_TASK_EVENT = ["case.opened", "case.stage_changed", "task.created", "task.completed"]


@pytest.fixture
def partner(monkeypatch: pytest.MonkeyPatch) -> Iterator[rx.Receiver]:
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    receiver = rx.Receiver()
    server = rx.start(receiver)
    yield receiver
    server.shutdown()


@pytest.fixture
def worker(db_url: str, partner: rx.Receiver) -> Iterator[None]:
    stop = _start_workers(db_url)
    yield
    stop()


def _label(event: dict[str, Any]) -> str:
    data = event["data"]
    if event["type"].startswith("task."):
        return f"{event['type']}:{data['element_id']}:{data['agency'] or '-'}"
    if event["type"] == "case.stage_changed":
        return f"case.stage_changed:{'/'.join(data['stages'])}"
    return str(event["type"])


def _accepted_in_arrival_order(partner: rx.Receiver, path: str) -> list[rx.Received]:
    """Each event's first successful request, in the order the partner received them."""
    seen: dict[str, rx.Received] = {}
    for request in list(partner.requests):
        if request.path == path and request.status == 200:
            seen.setdefault(request.webhook_id, request)
    return list(seen.values())


def _written_order(db_url: str, webhook_ids: list[str]) -> list[str]:
    with unit_of_work(write=False, url=db_url) as session:
        rows = session.exec(
            select(WebhookEvent.webhook_id)
            .where(col(WebhookEvent.webhook_id).in_(webhook_ids))
            .order_by(col(WebhookEvent.seq))
        ).all()
    return list(rows)


def _open_and_start_the_rapid_review(api: Api) -> dict[str, Any]:
    case = open_case(api, aware_at=today(), agencies=["police", "health"])
    complete(api, case["id"], "Task_NotifyPanel", {"notified_at": today()})
    return case


def _assert_causal(labels: list[str]) -> None:
    assert labels[0] == "case.opened", labels
    assert labels[1] == "case.stage_changed:Notification", labels
    assert labels.index("task.created:Task_NotifyPanel:-") < labels.index("task.completed:Task_NotifyPanel:-")
    completed = labels.index("task.completed:Task_NotifyPanel:-")
    rapid_review = labels.index("case.stage_changed:Rapid review")
    assert completed < rapid_review, labels
    for agency in ("police", "health"):
        assert rapid_review < labels.index(f"task.created:Task_ProvideRapidReviewInformation:{agency}"), labels


def test_a_case_opening_with_tasks_arrives_opened_first_in_the_order_written(
    api: Api, partner: rx.Receiver, worker: None, db_url: str
) -> None:
    _subscribe(api, "partnership_admin", partner, "/all", EVERY_CASE_AND_TASK_EVENT)
    case = _open_and_start_the_rapid_review(api)
    expected = 7  # opened, 2 stage changes, notify created and completed, two agencies' information requests
    _wait(lambda: len(partner.accepted("/all")) >= expected, what="every event")
    arrived = _accepted_in_arrival_order(partner, "/all")
    assert {r.event["data"]["case_id"] for r in arrived} == {case["id"]}
    _assert_causal([_label(r.event) for r in arrived])
    ids = [r.webhook_id for r in arrived]
    assert ids == _written_order(db_url, ids)
    # The partner reads the same date-time strings in a payload as in the API.
    for request in arrived:
        if request.event["type"] == "task.created":
            data = request.event["data"]
            task = api.as_("business_manager").get(f"/api/v1/tasks/{data['task_id']}").json()
            assert (data["created_at"], data["due_at"]) == (task["created_at"], task["due_at"])


def test_a_failing_then_recovering_receiver_still_gets_them_in_order(
    api: Api, partner: rx.Receiver, worker: None, db_url: str
) -> None:
    _subscribe(api, "partnership_admin", partner, "/flaky", EVERY_CASE_AND_TASK_EVENT)
    partner.fail_first_path["/flaky"] = 5  # the first events meet an outage, retried with backoff
    first = _open_and_start_the_rapid_review(api)
    second = _open_and_start_the_rapid_review(api)
    _wait(lambda: len(partner.accepted("/flaky")) >= 14, what="every event after the outage")
    assert [r.status for r in partner.requests[:5]] == [503] * 5
    arrived = _accepted_in_arrival_order(partner, "/flaky")
    for case in (first, second):
        _assert_causal([_label(r.event) for r in arrived if r.event["data"]["case_id"] == case["id"]])
    ids = [r.webhook_id for r in arrived]
    assert ids == _written_order(db_url, ids)  # across cases too: one endpoint, one line
    # While the head of the line was failing, nothing behind it was sent.
    failed_ids = {r.webhook_id for r in partner.requests if r.status == 503}
    assert len(failed_ids) == 1


def test_a_delivery_that_fails_for_good_stops_holding_back_the_next(
    api: Api, partner: rx.Receiver, worker: None, db_url: str
) -> None:
    _subscribe(api, "partnership_admin", partner, "/picky", ["case.opened", "task.created"])
    partner.refused_types.add("case.opened")  # this partner rejects one event on every attempt
    case = open_case(api, aware_at=today())
    created = _wait(
        lambda: [r for r in partner.accepted("/picky").values() if r.event["type"] == "task.created"],
        what="the task event behind the dead one",
    )
    assert created[0].event["data"]["case_id"] == case["id"]
    attempts = [r for r in partner.requests if r.event["type"] == "case.opened"]
    assert len(attempts) == len(get_settings().webhook_retry_schedule)  # every attempt, then given up
    assert {r.status for r in attempts} == {500}
    assert partner.requests.index(attempts[-1]) < partner.requests.index(created[0])  # in order, then released

    def statuses() -> dict[str, str]:
        with unit_of_work(write=False, url=db_url) as session:
            rows = session.exec(
                select(WebhookEvent.event_type, WebhookDelivery.status).join(
                    WebhookDelivery, col(WebhookDelivery.event_seq) == col(WebhookEvent.seq)
                )
            ).all()
        return dict(rows)

    # The partner's 200 is recorded once the worker has read it.
    recorded = _wait(lambda: (found := statuses())["task.created"] == "delivered" and found, what="the outcome")
    assert recorded["case.opened"] == "failed"  # dead-lettered: listed as failed, replayable
