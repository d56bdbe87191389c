"""A worker killed with SIGKILL in the middle of sending mail, then restarted: every notification arrives once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from service.config import get_settings
from service.db.session import unit_of_work
from service.engine.functions import today
from service.models import Notification
from tests.conftest import Api
from tests.helpers import complete, open_case
from tests.integration import mailbox as mb


def _wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _statuses(db_url: str) -> Counter[str]:
    with unit_of_work(write=False, url=db_url) as session:
        return Counter(session.exec(select(Notification.status)).all())


def test_a_worker_killed_mid_send_then_restarted_delivers_each_notification_once(api: Api, db_url: str) -> None:
    box = mb.Mailbox(hold=2)  # the first message is accepted; the server sits on the second one's DATA
    controller, port = mb.start(box)
    env = {
        **os.environ,
        "LIF_DATABASE_URL": db_url,
        "LIF_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "LIF_SMTP_TIMEOUT_SECONDS": "2",
        "LIF_WORKER_POLL_SECONDS": "0.05",
    }
    try:
        with pytest.MonkeyPatch.context() as patch:  # the notices are produced with mail on, so they wait to be sent
            patch.setenv("LIF_SMTP_URL", env["LIF_SMTP_URL"])
            get_settings.cache_clear()
            case = open_case(api, aware_at=today(), agencies=["police", "health", "la"])
            complete(api, case["id"], "Task_NotifyPanel", {"notified_at": today(), "child_looked_after": False})
            get_settings.cache_clear()
        pending = _statuses(db_url)["pending"]
        assert pending >= 4

        def start_worker() -> subprocess.Popen[bytes]:
            command = [sys.executable, "-m", "service.cli", "worker"]
            return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        first = start_worker()
        try:
            _wait(box.held.is_set, 30, "the second message to be on the wire")
            first.send_signal(signal.SIGKILL)  # between DATA and the server's answer: nothing accepted yet
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        assert len(box.received) == 1
        second = start_worker()
        try:
            _wait(lambda: _statuses(db_url)["sent"] == pending, 40, "every notification sent after the lease expired")
        finally:
            second.terminate()
            second.wait(timeout=10)
    finally:
        controller.stop()
    ids = Counter(str(message["Message-ID"]) for _, message in box.received)
    assert len(ids) == pending and set(ids.values()) == {1}  # each delivered once, the first one not again
    with unit_of_work(write=False, url=db_url) as session:
        stored = set(session.exec(select(Notification.message_id).where(Notification.status == "sent")).all())
    assert stored == set(ids)
