"""A crash in the middle of an engine step leaves the previous state exactly as it was."""

from __future__ import annotations

from typing import Any

import pytest

from service.engine.functions import today
from service.workflow import stepper
from tests.conftest import Api
from tests.helpers import open_case, open_tasks


def test_a_crash_mid_step_is_a_500_without_internals_and_changes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = open_case(api, aware_at=today())
    bm = api.as_("business_manager")
    before = bm.get(f"/api/v1/process-instances/{case['instance_id']}").json()
    task = open_tasks(api, case["id"], "Task_NotifyPanel")[0]

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire: /var/secret/path")

    # The new state has been written by the time timers are projected; then the process dies.
    monkeypatch.setattr(stepper, "_project_timers", crash)
    response = bm.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"notified_at": today()}})
    assert response.status_code == 500
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["correlation_id"] and "disk" not in response.text and "secret" not in response.text
    monkeypatch.undo()

    after = bm.get(f"/api/v1/process-instances/{case['instance_id']}").json()
    assert after == before
    assert bm.get(f"/api/v1/tasks/{task['id']}").json()["state"] == "open"
    assert not open_tasks(api, case["id"], "Task_ProvideRapidReviewInformation")
    # And the task can still be completed normally afterwards.
    done = bm.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"notified_at": today()}})
    assert done.status_code == 200
