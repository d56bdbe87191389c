"""Two `lif serve` processes, workers on, one fresh PostgreSQL database: nothing lost, nothing done twice.

Both processes start together on an empty database (so they also race to migrate it and to register the
diagrams), cases are opened through both, and each case's two-second timer must fire exactly once while every
webhook event reaches the partner's receiver exactly once, in order per case.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from service.db.engine import get_engine
from service.db.session import unit_of_work
from service.demo import seed
from service.models import AuditEvent, HumanTask, Timer, WebhookDelivery
from tests.conftest import BACKEND, POSTGRES_ADMIN_URL, _admin_dsn
from tests.integration import receiver as rx
from tests.integration.conftest import free_port

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="several API processes need PostgreSQL")

CASES = 24


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty PostgreSQL database (not migrated: the servers do that)."""
    name = f"lif_two_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_dsn(POSTGRES_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    get_engine(url).dispose()
    with psycopg.connect(_admin_dsn(POSTGRES_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _start(db_url: str, bpmn_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "LIF_DATABASE_URL": db_url,
        "LIF_BPMN_DIR": str(bpmn_dir),
        "LIF_EVIDENCE_DIR": str(log.parent / "evidence"),
        "LIF_LOG_LEVEL": "WARNING",
        "LIF_WORKER_POLL_SECONDS": "0.1",
        "LIF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        "LIF_WEBHOOK_TIMEOUT_SECONDS": "5",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    return process, f"http://127.0.0.1:{port}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _all_recorded(db_url: str, expected: int) -> bool:
    with unit_of_work(write=False, url=db_url) as session:
        statuses = session.exec(select(WebhookDelivery.status)).all()
    return len(statuses) == expected and set(statuses) == {"delivered"}


def test_two_api_processes_fire_every_timer_once_and_deliver_every_event_once(
    fresh_database: str, bpmn_dir: Path, tmp_path: Path
) -> None:
    partner = rx.Receiver()
    server = rx.start(partner)
    logs = [tmp_path / "serve-a.log", tmp_path / "serve-b.log"]
    with ExitStack() as stack:
        stack.callback(server.shutdown)
        urls = []
        processes = []
        for log in logs:  # started together: both migrate and register diagrams at once
            process, url = _start(fresh_database, bpmn_dir, log)
            stack.callback(_stop, process)
            processes.append(process)
            urls.append(url)
        deadline = time.monotonic() + 60
        while not all(_ready(url) for url in urls):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                pytest.fail("a server did not become ready:\n" + "\n".join(log.read_text() for log in logs))
            time.sleep(0.2)

        with unit_of_work(url=fresh_database) as session:
            tokens = seed(session)
        admin = {"Authorization": f"Bearer {tokens['partnership_admin']}"}
        manager = {"Authorization": f"Bearer {tokens['business_manager']}"}
        subscribed = httpx.post(
            f"{urls[0]}/api/v1/webhooks/subscriptions",
            headers=admin,
            json={"url": partner.url + "/all", "event_types": ["case.opened", "task.created"]},
        )
        assert subscribed.status_code == 201, subscribed.text
        partner.secrets["/all"] = [subscribed.json()["secret"]]

        def open_probe(number: int) -> str:
            response = httpx.post(
                f"{urls[number % 2]}/api/v1/cases",
                headers=manager,
                json={"case_type": "timer_probe", "title": f"timer {number}", "subject_pseudonym": "n/a", "data": {}},
                timeout=30,
            )
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        with ThreadPoolExecutor(max_workers=4) as pool:
            case_ids = list(pool.map(open_probe, range(CASES)))

        expected = 3 * CASES  # per case: case.opened, the watch task, and the escalation its timer creates
        deadline = time.monotonic() + 90
        while len(partner.accepted("/all")) < expected:
            if time.monotonic() > deadline:
                pytest.fail(f"{len(partner.accepted('/all'))} of {expected} events arrived")
            time.sleep(0.2)
        while not _all_recorded(fresh_database, expected):  # a 200 is recorded once the worker has read it
            if time.monotonic() > deadline:
                pytest.fail("the deliveries' outcomes were not recorded")
            time.sleep(0.2)
        time.sleep(1.5)  # a late duplicate (a timer fired twice, a delivery sent twice) has time to show
        assert all(p.poll() is None for p in processes), "a server died:\n" + "\n".join(log.read_text() for log in logs)

    # Every event exactly once: one request per webhook-id, each verified and answered 200.
    requests = [r for r in partner.requests if r.path == "/all"]
    assert len(requests) == expected
    assert len({r.webhook_id for r in requests}) == expected
    assert all(r.status == 200 and r.verified_with for r in requests)
    by_case: dict[str, list[str]] = {}
    for r in requests:
        data = r.event["data"]
        by_case.setdefault(data["case_id"], []).append(data.get("element_id", r.event["type"]))
    assert sorted(by_case) == sorted(case_ids)
    for events in by_case.values():
        assert events == ["case.opened", "Task_Watch", "Task_Escalate"]  # in causal order per case

    with unit_of_work(write=False, url=fresh_database) as session:
        timers = session.exec(select(Timer)).all()
        fired = Counter(
            e.object_id for e in session.exec(select(AuditEvent).where(AuditEvent.action == "timer.fired")).all()
        )
        escalations = Counter(
            str(t.instance_id)
            for t in session.exec(select(HumanTask).where(HumanTask.element_id == "Task_Escalate")).all()
        )
        deliveries = session.exec(select(WebhookDelivery)).all()
    # Every timer fired, each exactly once.
    assert len(timers) == CASES and {t.status for t in timers} == {"fired"}
    assert sorted(fired) == sorted(str(t.instance_id) for t in timers) and set(fired.values()) == {1}
    assert set(escalations.values()) == {1} and len(escalations) == CASES
    assert len(deliveries) == expected
    assert {(d.status, d.attempt_count) for d in deliveries} == {("delivered", 1)}
