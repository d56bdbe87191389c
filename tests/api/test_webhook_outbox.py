"""The outbox: events are written with the change, scoped by agency; deadlines; audit; replay of one event."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from service.config import get_settings
from service.db.session import unit_of_work
from service.engine.functions import add_working_days, today
from service.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from service.tasks import deadlines
from tests.conftest import Api
from tests.helpers import open_case


@pytest.fixture(autouse=True)
def _allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    get_settings.cache_clear()  # conftest clears it again after the test


def _subscribe(api: Api, events: list[str], agency: str | None = None) -> str:
    body = {"url": "http://127.0.0.1:9/hook", "event_types": events, **({"agency": agency} if agency else {})}
    response = api.as_("partnership_admin").post("/api/v1/webhooks/subscriptions", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["subscription"]["id"])


def _events(db_url: str, event_type: str) -> list[WebhookEvent]:
    with unit_of_work(write=False, url=db_url) as session:
        return list(
            session.exec(
                select(WebhookEvent).where(WebhookEvent.event_type == event_type).order_by(col(WebhookEvent.seq))
            ).all()
        )


def test_no_subscription_means_no_outbox_rows_and_a_failed_change_writes_no_event(api: Api, db_url: str) -> None:
    open_case(api, aware_at=today())
    assert _events(db_url, "case.opened") == []
    _subscribe(api, ["case.opened"])
    bad = api.as_("business_manager").post(
        "/api/v1/cases",
        json={"case_type": "cspr", "title": "t", "subject_pseudonym": "A", "data": {"aware_at": "not a date"}},
    )
    assert bad.status_code == 422
    assert _events(db_url, "case.opened") == []  # no change, no event
    open_case(api, aware_at=today())
    assert len(_events(db_url, "case.opened")) == 1


def test_task_deadlines_emit_due_soon_and_overdue_once(api: Api, db_url: str) -> None:
    _subscribe(api, ["task.due_soon", "task.overdue"])
    open_case(api, aware_at=add_working_days(today(), -4))  # notification due in one working day
    open_case(api, aware_at="2026-01-05")  # long overdue
    for _ in range(2):
        with unit_of_work(url=db_url) as session:
            deadlines.scan(session)
    due_soon = _events(db_url, "task.due_soon")
    overdue = _events(db_url, "task.overdue")
    assert [e.body.count("Task_NotifyPanel") for e in due_soon] == [1]
    assert len(overdue) >= 1 and all('"state":"open"' in e.body for e in overdue)
    assert len({e.body for e in overdue}) == len(overdue)  # each task once, even after two scans


def test_subscription_changes_are_audited_and_one_event_can_be_replayed(api: Api, db_url: str) -> None:
    sub_id = _subscribe(api, ["case.opened"])
    open_case(api, aware_at=today())
    admin = api.as_("partnership_admin")
    assert (
        admin.patch(
            f"/api/v1/webhooks/subscriptions/{sub_id}", json={"event_types": ["case.opened", "case.closed"]}
        ).status_code
        == 200
    )
    with unit_of_work(url=db_url) as session:  # pretend it was delivered
        delivery = session.exec(select(WebhookDelivery)).one()
        delivery.status = "delivered"
        session.add(delivery)
    (event,) = _events(db_url, "case.opened")
    replayed = admin.post(f"/api/v1/webhooks/subscriptions/{sub_id}/replay", json={"webhook_id": event.webhook_id})
    assert replayed.status_code == 202 and replayed.json()["queued"] == 1
    with unit_of_work(write=False, url=db_url) as session:
        assert session.exec(select(WebhookDelivery)).one().status == "pending"
        secret = session.exec(select(WebhookSubscription)).one().secret_encrypted
    assert not secret.startswith("whsec_")  # stored encrypted
    assert (
        admin.post(f"/api/v1/webhooks/subscriptions/{sub_id}/replay", json={"webhook_id": "msg_nope"}).status_code
        == 404
    )
    assert admin.delete(f"/api/v1/webhooks/subscriptions/{sub_id}").status_code == 204
    actions = [e["action"] for e in admin.get("/api/v1/audit-events", params={"object_id": sub_id}).json()["items"]]
    assert actions == ["webhook.deleted", "webhook.replayed", "webhook.changed", "webhook.subscribed"]


def test_an_agency_scoped_subscription_gets_only_its_agency(api: Api, db_url: str) -> None:
    _subscribe(api, ["task.created"], agency="health")
    case = open_case(api, aware_at=today())
    notify = (
        api.as_("business_manager")
        .get("/api/v1/tasks", params={"case_id": case["id"], "scope": "all"})
        .json()["items"][0]
    )
    api.as_("business_manager").post(f"/api/v1/tasks/{notify['id']}/complete", json={"data": {"notified_at": today()}})
    bodies = [e.body for e in _events(db_url, "task.created")]
    assert len(bodies) == 1 and '"agency":"health"' in bodies[0]


def test_a_subscription_for_an_agency_the_partnership_lacks_is_refused(api: Api) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["task.created"], "agency": "nosuch"}
    response = api.as_("partnership_admin").post("/api/v1/webhooks/subscriptions", json=body)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["field"] == "agency" and "police" in error["message"]
    assert "nosuch" in response.json()["detail"]
    # Another partnership's agency code does not count either: "police" exists there, "health" only here.
    response = api.as_("other").post("/api/v1/webhooks/subscriptions", json={**body, "agency": "health"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "agency"
    assert api.as_("partnership_admin").get("/api/v1/webhooks/subscriptions").json()["items"] == []
