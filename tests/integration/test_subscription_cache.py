"""The outbox's process-wide cache of active subscriptions: used only at the version the request authenticated with.

The request tests first make a write request that emits (which fills the cache), then change subscriptions and
check that the next change is fanned out by the new set: with the version check broken, each would use the old one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, col, select

from service.config import get_settings
from service.db.session import unit_of_work
from service.demo import DEMO_KEY
from service.engine.functions import today
from service.models import Partnership, WebhookDelivery, WebhookEvent, WebhookSubscription
from service.outbox.subscriptions import active_subscriptions, forget_subscriptions, note_subscriptions_version
from service.webhooks import delivery as webhook_delivery
from service.webhooks import secrets
from tests.conftest import Api
from tests.helpers import open_case, open_tasks, sql_statements, subscription_reads


@pytest.fixture(autouse=True)
def _allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    get_settings.cache_clear()  # conftest clears it again after the test


def _subscribe(api: Api, events: list[str]) -> str:
    body = {"url": "http://127.0.0.1:9/hook", "event_types": events}
    response = api.as_("partnership_admin").post("/api/v1/webhooks/subscriptions", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["subscription"]["id"])


def _change(api: Api, sub_id: str, **body: Any) -> None:
    response = api.as_("partnership_admin").patch(f"/api/v1/webhooks/subscriptions/{sub_id}", json=body)
    assert response.status_code == 200, response.text


def _delivered_types(db_url: str, sub_id: str) -> list[str]:
    """The event types queued for one subscription, oldest first."""
    with unit_of_work(write=False, url=db_url) as session:
        return list(
            session.exec(
                select(WebhookEvent.event_type)
                .join(WebhookDelivery, col(WebhookDelivery.event_seq) == col(WebhookEvent.seq))
                .where(WebhookDelivery.subscription_id == uuid.UUID(sub_id))
                .order_by(col(WebhookEvent.seq))
            ).all()
        )


def _partnership(session: Session) -> Partnership:
    return session.exec(select(Partnership).where(Partnership.key == DEMO_KEY)).one()


def _version(db_url: str) -> int:
    with unit_of_work(write=False, url=db_url) as session:
        return _partnership(session).subscriptions_version


def test_a_new_subscription_is_seen_by_the_next_request(api: Api, db_url: str) -> None:
    open_case(api, aware_at=today())  # the cache now holds "no subscriptions"
    sub_id = _subscribe(api, ["case.opened"])
    open_case(api, aware_at=today())
    assert _delivered_types(db_url, sub_id) == ["case.opened"]


def test_a_paused_subscription_gets_nothing_until_it_is_resumed(api: Api, db_url: str) -> None:
    sub_id = _subscribe(api, ["case.opened"])
    open_case(api, aware_at=today())  # the cache now holds the active subscription
    assert _delivered_types(db_url, sub_id) == ["case.opened"]
    _change(api, sub_id, status="disabled")
    open_case(api, aware_at=today())
    assert _delivered_types(db_url, sub_id) == ["case.opened"]
    _change(api, sub_id, status="active")
    open_case(api, aware_at=today())
    assert _delivered_types(db_url, sub_id) == ["case.opened", "case.opened"]


def test_a_deleted_subscription_gets_nothing(api: Api, db_url: str) -> None:
    sub_id = _subscribe(api, ["case.opened"])
    open_case(api, aware_at=today())
    assert api.as_("partnership_admin").delete(f"/api/v1/webhooks/subscriptions/{sub_id}").status_code == 204
    open_case(api, aware_at=today())
    assert _delivered_types(db_url, sub_id) == ["case.opened"]


def test_deliveries_follow_changed_event_types(api: Api, db_url: str) -> None:
    sub_id = _subscribe(api, ["case.opened"])
    open_case(api, aware_at=today(), agencies=[])
    assert _delivered_types(db_url, sub_id) == ["case.opened"]
    _change(api, sub_id, event_types=["task.created"])
    open_case(api, aware_at=today(), agencies=[])
    assert _delivered_types(db_url, sub_id) == ["case.opened", "task.created"]


def test_a_job_transaction_reads_the_current_subscriptions(api: Api, db_url: str) -> None:
    sub_id = uuid.UUID(_subscribe(api, ["case.opened"]))
    open_case(api, aware_at=today())  # cached by a request
    with unit_of_work(url=db_url) as session:  # no principal: no version noted, so it must ask the database
        with sql_statements(db_url) as statements:
            assert [s.id for s in active_subscriptions(session, _partnership(session).id)] == [sub_id]
        assert len(subscription_reads(statements)) == 1  # the version and the set in one statement
    _change(api, str(sub_id), status="disabled")
    with unit_of_work(url=db_url) as session:
        assert active_subscriptions(session, _partnership(session).id) == ()


def test_the_workers_disable_bumps_the_version_and_stops_fan_out(api: Api, db_url: str) -> None:
    sub_id = _subscribe(api, ["case.opened"])
    open_case(api, aware_at=today())
    before = _version(db_url)
    with unit_of_work(url=db_url) as session:
        subscription = session.exec(
            select(WebhookSubscription).where(WebhookSubscription.id == uuid.UUID(sub_id))
        ).one()
        webhook_delivery._disable(session, subscription, "the endpoint answered 410 Gone (unsubscribed)")
    assert _version(db_url) == before + 1
    open_case(api, aware_at=today())
    assert _delivered_types(db_url, sub_id) == ["case.opened"]


def test_every_change_emit_decides_by_bumps_and_others_do_not(db_url: str, tokens: dict[str, str]) -> None:
    def bumps(change: Callable[[Session, WebhookSubscription | None], object]) -> bool:
        before = _version(db_url)
        with unit_of_work(url=db_url) as session:
            change(session, session.exec(select(WebhookSubscription)).first())
        return _version(db_url) == before + 1

    def add(session: Session, _sub: WebhookSubscription | None) -> None:
        session.add(
            WebhookSubscription(
                partnership_id=_partnership(session).id,
                url="http://127.0.0.1:9/hook",
                event_types=["case.opened"],
                secret_encrypted=secrets.encrypt(secrets.new_secret()),
            )
        )

    def setting(name: str, value: object) -> Callable[[Session, WebhookSubscription | None], object]:
        return lambda session, sub: (setattr(sub, name, value), session.add(sub))

    assert bumps(add)
    assert bumps(setting("event_types", ["case.opened", "case.closed"]))
    assert bumps(setting("agency_code", "health"))
    assert bumps(setting("status", "disabled"))
    assert not bumps(setting("url", "http://127.0.0.1:9/elsewhere"))
    assert not bumps(setting("description", "renamed"))
    assert bumps(lambda session, sub: session.delete(sub))


def test_a_rolled_back_change_never_reaches_the_cache(api: Api, db_url: str) -> None:
    open_case(api, aware_at=today())
    with pytest.raises(RuntimeError), unit_of_work(url=db_url) as session:
        partnership_id = _partnership(session).id
        session.add(
            WebhookSubscription(
                partnership_id=partnership_id,
                url="http://127.0.0.1:9/never",
                event_types=["case.opened"],
                secret_encrypted=secrets.encrypt(secrets.new_secret()),
            )
        )
        # Read inside the changing transaction: it sees its own new subscription (at a version nobody commits).
        assert len(active_subscriptions(session, partnership_id)) == 1
        raise RuntimeError("the job fails")
    sub_id = _subscribe(api, ["case.opened"])  # commits the version the failed transaction had read
    open_case(api, aware_at=today())
    assert _delivered_types(db_url, sub_id) == ["case.opened"]


def test_a_transaction_that_changes_subscriptions_sees_its_own_change(api: Api, db_url: str) -> None:
    sub_id = uuid.UUID(_subscribe(api, ["case.opened"]))
    open_case(api, aware_at=today())  # cached at the current version
    with unit_of_work(url=db_url) as session:
        partnership = _partnership(session)
        # As a request's authentication would: the version is current, so the cache would answer.
        note_subscriptions_version(session, partnership.id, partnership.subscriptions_version)
        subscription = session.exec(select(WebhookSubscription).where(WebhookSubscription.id == sub_id)).one()
        subscription.status = "disabled"  # not flushed yet
        session.add(subscription)
        assert active_subscriptions(session, partnership.id) == ()
        subscription.status = "active"
        session.add(subscription)
        forget_subscriptions(session)  # what the webhook use cases do after a change
        assert [s.id for s in active_subscriptions(session, partnership.id)] == [sub_id]


def test_a_warm_task_completion_reads_no_subscriptions(api: Api, db_url: str) -> None:
    sub_id = _subscribe(api, ["task.completed", "task.created"])
    case = open_case(api, aware_at=today())  # the cache now holds the subscription
    (task,) = open_tasks(api, case["id"], "Task_NotifyPanel")
    with sql_statements(db_url) as statements:
        done = api.as_("business_manager").post(
            f"/api/v1/tasks/{task['id']}/complete", json={"data": {"notified_at": today()}}
        )
    assert done.status_code == 200, done.text
    assert subscription_reads(statements) == []
    assert "task.completed" in _delivered_types(db_url, sub_id)  # the cached set still fanned the event out
