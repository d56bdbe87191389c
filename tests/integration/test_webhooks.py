"""Partner webhooks end to end: a real receiver on loopback verifying Standard Webhooks signatures."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from service.config import get_settings
from service.db.types import utcnow
from service.engine.functions import today
from service.jobs.worker import run
from tests.conftest import Api
from tests.helpers import complete, open_case
from tests.integration import receiver as rx

FAST = {
    "LIF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
    "LIF_WEBHOOK_RETRY_SCHEDULE": "[0, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]",
    "LIF_WEBHOOK_TIMEOUT_SECONDS": "3",
}


@pytest.fixture
def fast_webhooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def receiver() -> Iterator[rx.Receiver]:
    partner = rx.Receiver()
    server = rx.start(partner)
    yield partner
    server.shutdown()


def _start_workers(db_url: str, count: int = 1) -> Callable[[], None]:
    stops = []
    threads = []
    for _ in range(count):
        stop = threading.Event()
        thread = threading.Thread(target=run, args=(stop,), kwargs={"url": db_url, "poll_seconds": 0.05}, daemon=True)
        thread.start()
        stops.append(stop)
        threads.append(thread)

    def stop_all() -> None:
        for stop in stops:
            stop.set()
        for thread in threads:
            thread.join(timeout=10)

    return stop_all


@pytest.fixture
def worker(db_url: str, fast_webhooks: None) -> Iterator[None]:
    stop = _start_workers(db_url)
    yield
    stop()


def _wait(predicate: Callable[[], Any], timeout: float = 15, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _subscribe(api: Api, who: str, partner: rx.Receiver, path: str, events: list[str], **extra: Any) -> dict[str, Any]:
    response = api.as_(who).post(
        "/api/v1/webhooks/subscriptions", json={"url": partner.url + path, "event_types": events, **extra}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["secret"].startswith("whsec_")
    partner.secrets[path] = [body["secret"]]
    return body


def _machine_token(api: Api, agency: str) -> str:
    response = api.as_("partnership_admin").post(
        f"/api/v1/agencies/{agency}/machine-tokens", json={"name": f"{agency} case system"}
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    api.tokens[f"machine:{agency}"] = token
    return token


AGENCIES = ["police", "health", "la"]


def test_each_agency_hears_of_its_own_information_request_through_failures(
    api: Api, receiver: rx.Receiver, worker: None
) -> None:
    subscriptions = {}
    for agency in AGENCIES:
        _machine_token(api, agency)
        subscriptions[agency] = _subscribe(
            api, f"machine:{agency}", receiver, f"/{agency}", ["task.created", "task.completed"]
        )
        assert subscriptions[agency]["subscription"]["agency"] == agency  # forced to its own agency
    receiver.fail_first_path["/police"] = 3
    case = open_case(api, aware_at=today(), agencies=AGENCIES, title="Death of a toddler in Northtown")
    complete(api, case["id"], "Task_NotifyPanel", {"notified_at": today()})

    for agency in AGENCIES:
        accepted = _wait(lambda a=agency: receiver.accepted(f"/{a}"), what=f"{agency}'s event")
        (event,) = [r.event for r in accepted.values()]
        assert event["type"] == "task.created"
        data = event["data"]
        assert data["agency"] == agency and data["element_id"] == "Task_ProvideRapidReviewInformation"
        assert (
            data["case_reference"] == case["reference"] and data["links"]["task"] == f"/api/v1/tasks/{data['task_id']}"
        )
        # Minimal payload: nothing about the child or the case's title.
        assert "Child K" not in json.dumps(event) and case["title"] not in json.dumps(event)
        assert all(r.verified_with for r in accepted.values())

    (police_id,) = receiver.accepted("/police")
    attempts = receiver.attempts(police_id)
    assert [a.status for a in attempts] == [503, 503, 503, 200]  # same webhook-id every time
    deliveries_url = f"/api/v1/webhooks/subscriptions/{subscriptions['police']['subscription']['id']}/deliveries"

    def police_delivery() -> dict[str, Any]:
        log = api.as_("machine:police").get(deliveries_url).json()["items"]
        (found,) = [d for d in log if d["webhook_id"] == police_id]
        return found  # type: ignore[no-any-return]

    # The partner's 200 is recorded once the worker has read it: wait for that, not only for the request.
    delivery = _wait(
        lambda: (found := police_delivery())["status"] == "delivered" and found, what="the recorded delivery"
    )
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 503, 503, 200]
    assert all(a["latency_ms"] >= 0 for a in delivery["attempts"])

    # The police system acts back with its machine token: its own task only, and nothing else.
    police = api.as_("machine:police")
    task_id = receiver.accepted("/police")[police_id].event["data"]["task_id"]
    health_task = next(iter(receiver.accepted("/health").values())).event["data"]["task_id"]
    answers = {"data": {"agency_involvement": "two visits", "chronology_summary": "attached"}}
    assert police.post(f"/api/v1/tasks/{health_task}/complete", json=answers).status_code == 404
    assert police.post(f"/api/v1/tasks/{task_id}/complete", json=answers).status_code == 200
    assert police.get("/api/v1/cases").status_code == 403
    assert police.get(f"/api/v1/cases/{case['id']}").status_code == 403
    assert police.post("/api/v1/cases", json={}).status_code == 403
    assert police.get("/api/v1/me").json()["machine"] is True
    completed = _wait(
        lambda: [r for r in receiver.accepted("/police").values() if r.event["type"] == "task.completed"],
        what="task.completed",
    )
    assert completed[0].event["data"]["task_id"] == task_id
    assert not [r for r in receiver.accepted("/health").values() if r.event["type"] == "task.completed"]


def test_a_worker_killed_mid_delivery_loses_nothing(
    api: Api, receiver: rx.Receiver, db_url: str, fast_webhooks: None
) -> None:
    _subscribe(api, "partnership_admin", receiver, "/all", ["task.created"])
    receiver.delay_path["/all"] = 30.0  # the first request hangs
    case = open_case(api, aware_at=today())
    env = {**os.environ, **FAST, "LIF_DATABASE_URL": db_url, "LIF_WORKER_POLL_SECONDS": "0.05"}

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    first = start_worker()
    try:
        _wait(lambda: receiver.started, what="the first delivery to start")
        first.send_signal(signal.SIGKILL)  # killed while the partner is still answering
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert not receiver.accepted("/all")
    second = start_worker()
    try:
        accepted = _wait(lambda: receiver.accepted("/all"), timeout=30, what="redelivery after the lease expired")
    finally:
        second.terminate()
        second.wait(timeout=10)
    (webhook_id,) = accepted
    assert accepted[webhook_id].event["data"]["case_id"] == case["id"]
    assert len(receiver.attempts(webhook_id)) == 1  # the hung request never answered; the retry did
    assert webhook_id in receiver.started


@pytest.fixture
def two_second_overlap(fast_webhooks: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Set before the worker starts (see disable_after_a_second).
    monkeypatch.setenv("LIF_WEBHOOK_SECRET_OVERLAP_HOURS", str(2 / 3600))  # two seconds
    get_settings.cache_clear()


def test_rotation_signs_with_both_secrets_during_the_overlap_then_only_the_new(
    api: Api, receiver: rx.Receiver, two_second_overlap: None, worker: None
) -> None:
    created = _subscribe(api, "partnership_admin", receiver, "/rot", ["case.opened"])
    old = created["secret"]
    rotated = (
        api.as_("partnership_admin")
        .post(f"/api/v1/webhooks/subscriptions/{created['subscription']['id']}/rotate-secret")
        .json()
    )
    new = rotated["secret"]
    assert new != old and rotated["subscription"]["previous_secret_expires_at"]
    receiver.secrets["/rot"] = [old, new]
    first = open_case(api, aware_at=today())
    during = _wait(lambda: [r for r in receiver.accepted("/rot").values() if r.event["data"]["case_id"] == first["id"]])
    assert during[0].verified_with == [old, new]
    time.sleep(2.2)
    second = open_case(api, aware_at=today())
    after = _wait(lambda: [r for r in receiver.accepted("/rot").values() if r.event["data"]["case_id"] == second["id"]])
    assert after[0].verified_with == [new]


@pytest.fixture
def disable_after_a_second(fast_webhooks: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Set before the worker starts: a worker thread reading settings while a test changes them can cache stale ones.
    monkeypatch.setenv("LIF_WEBHOOK_DISABLE_AFTER_SECONDS", "1")
    get_settings.cache_clear()


def test_an_always_failing_endpoint_is_disabled_the_admin_is_told_and_replay_delivers_the_backlog(
    api: Api, receiver: rx.Receiver, disable_after_a_second: None, worker: None
) -> None:
    since = utcnow() - dt.timedelta(seconds=1)
    created = _subscribe(api, "partnership_admin", receiver, "/down", ["task.created"])
    sub_url = f"/api/v1/webhooks/subscriptions/{created['subscription']['id']}"
    receiver.always_fail.add("/down")
    cases = [open_case(api, aware_at=today()) for _ in range(2)]
    admin = api.as_("partnership_admin")
    disabled = _wait(lambda: admin.get(sub_url).json()["status"] == "disabled", what="the endpoint to be disabled")
    assert disabled and "failing" in admin.get(sub_url).json()["disabled_reason"]
    review = _wait(
        lambda: [
            t
            for t in admin.get(
                "/api/v1/tasks", params={"state": "open", "role": "partnership_admin", "scope": "all"}
            ).json()["items"]
            if t["element_id"] == "Task_ReviewEndpoint"
        ],
        what="the admin's task",
    )
    assert len(review) == 1
    assert not receiver.accepted("/down")

    receiver.always_fail.clear()
    assert admin.patch(sub_url, json={"status": "active"}).json()["status"] == "active"
    queued = admin.post(f"{sub_url}/replay", json={"since": since.isoformat()}).json()["queued"]
    assert queued == 2
    accepted = _wait(lambda: len(receiver.accepted("/down")) == 2 and receiver.accepted("/down"), what="backlog")
    assert sorted(r.event["data"]["case_id"] for r in accepted.values()) == sorted(c["id"] for c in cases)
    # Events reach the endpoint in the order they happened.
    order = [r.event["data"]["case_id"] for r in receiver.requests if r.path == "/down" and r.status == 200]
    assert order == [c["id"] for c in cases]
    done = admin.post(
        f"/api/v1/tasks/{review[0]['id']}/complete",
        json={"data": {"resolution": "re_enabled", "resolution_note": "partner fixed their server"}},
    )
    assert done.status_code == 200


def test_410_gone_unsubscribes(api: Api, receiver: rx.Receiver, worker: None) -> None:
    created = _subscribe(api, "partnership_admin", receiver, "/gone", ["case.opened"])
    receiver.gone.add("/gone")
    open_case(api, aware_at=today())
    sub_url = f"/api/v1/webhooks/subscriptions/{created['subscription']['id']}"
    _wait(lambda: api.as_("partnership_admin").get(sub_url).json()["status"] == "disabled", what="unsubscribe")
    assert "410" in api.as_("partnership_admin").get(sub_url).json()["disabled_reason"]
    assert len([r for r in receiver.requests if r.path == "/gone"]) == 1


def test_ping_and_two_workers_never_send_one_delivery_twice_at_once(
    api: Api, receiver: rx.Receiver, db_url: str, fast_webhooks: None
) -> None:
    subscriptions = {
        a: _subscribe(api, "partnership_admin", receiver, f"/{a}", ["task.created"], agency=a) for a in AGENCIES
    }
    stop = _start_workers(db_url, count=2)
    try:
        for _ in range(3):
            case = open_case(api, aware_at=today(), agencies=AGENCIES)
            complete(api, case["id"], "Task_NotifyPanel", {"notified_at": today()})
        ping = api.as_("partnership_admin").post(
            f"/api/v1/webhooks/subscriptions/{subscriptions['la']['subscription']['id']}/ping"
        )
        assert ping.status_code == 202
        _wait(
            lambda: all(len(receiver.accepted(f"/{a}")) == (4 if a == "la" else 3) for a in AGENCIES),
            what="every event",
        )
    finally:
        stop()
    assert max(receiver.max_in_flight.values()) == 1
    for agency in AGENCIES:
        accepted = receiver.accepted(f"/{agency}")
        assert all(len(receiver.attempts(webhook_id)) == 1 for webhook_id in accepted)
        assert {r.event["data"].get("agency", agency) for r in accepted.values()} == {agency}
    assert ping.json()["webhook_id"] in receiver.accepted("/la")


def test_unsafe_endpoints_are_refused(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = api.as_("partnership_admin")
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["task.created"]}
    response = admin.post("/api/v1/webhooks/subscriptions", json=body)
    assert response.status_code == 422 and "loopback" in response.json()["errors"][0]["message"]
    response = admin.post("/api/v1/webhooks/subscriptions", json={**body, "url": "http://169.254.169.254/"})
    assert response.status_code == 422
    response = admin.post("/api/v1/webhooks/subscriptions", json={**body, "event_types": ["task.exploded"]})
    assert response.status_code == 422
    monkeypatch.setenv("LIF_ENVIRONMENT", "production")
    monkeypatch.setenv("LIF_SECRET_KEY", "x" * 40)
    get_settings.cache_clear()
    try:
        response = admin.post("/api/v1/webhooks/subscriptions", json={**body, "url": "http://partner.example/hook"})
        assert response.status_code == 422 and response.json()["errors"][0]["message"] == "must use https"
    finally:
        get_settings.cache_clear()
    assert admin.get("/api/v1/webhooks/subscriptions").json()["items"] == []
    # Other roles cannot manage webhooks; agency leads only for their own agency.
    assert api.as_("independent_reviewer").get("/api/v1/webhooks/subscriptions").status_code == 403
    lead = api.as_("agency_safeguarding_lead:police")
    response = lead.post("/api/v1/webhooks/subscriptions", json={**body, "agency": "health"})
    assert response.status_code == 403


def test_a_delivery_connects_to_the_address_it_checked_not_to_a_rebound_name(
    receiver: rx.Receiver, fast_webhooks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers the check with one address and the connection with another.

    The resolver is the only thing faked (a name on loopback, as a hostile DNS server would answer); the HTTP
    request goes over a real socket to the real receiver, and only because the delivery connects to the
    address it checked. Connecting to a fresh answer would reach 127.0.0.2, where nothing listens.
    """
    import socket
    import uuid

    from service.webhooks.delivery import Claimed, send

    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            return real_getaddrinfo(next(answers, "127.0.0.2"), port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = receiver.url.rsplit(":", 1)[1]
    event = json.dumps({"type": "ping", "timestamp": "2026-12-01T00:00:00+00:00", "data": {}})
    outcome = send(Claimed(uuid.uuid4(), f"http://rebind.test:{port}/pinned", ["whsec_" + "A" * 32], "msg_1", event, 1))
    assert outcome.status_code == 200, outcome
    assert [r.path for r in receiver.requests] == ["/pinned"]
