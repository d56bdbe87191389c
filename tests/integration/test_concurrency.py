"""Two people completing the same task at the same moment: one wins, one is told, nothing is lost."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
from sqlmodel import select

from service.db.session import unit_of_work
from service.engine.functions import add_days, today
from service.models import AuditEvent, HumanTask, ProcessInstance


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_simultaneous_completions_give_one_success_and_one_conflict(
    live_server: str, tokens: dict[str, str], db_url: str
) -> None:
    bm = _as(tokens["business_manager"])
    with httpx.Client(base_url=live_server, timeout=30) as client:
        case = client.post(
            "/api/v1/cases",
            headers=bm,
            json={
                "case_type": "cspr",
                "title": "race",
                "subject_pseudonym": "Child R",
                "involved_agencies": ["police", "health"],
                "data": {"aware_at": add_days(today(), -10), "incident_type": "death"},
            },
        ).json()
        task = client.get(
            "/api/v1/tasks", headers=bm, params={"case_id": case["id"], "state": "open", "scope": "all"}
        ).json()["items"][0]
        version_before = client.get(f"/api/v1/process-instances/{case['instance_id']}", headers=bm).json()["version"]

    barrier = threading.Barrier(2)
    results: list[Any] = []

    def attempt(day: str) -> None:
        with httpx.Client(base_url=live_server, timeout=60) as own:
            barrier.wait()
            response = own.post(
                f"/api/v1/tasks/{task['id']}/complete",
                headers={**bm, "If-Match": '"1"'},
                json={"data": {"notified_at": day}},
            )
            results.append((response.status_code, response.json(), day))

    # Two valid answers (after awareness, not in the future), so only the race decides.
    threads = [threading.Thread(target=attempt, args=(day,)) for day in (today(), add_days(today(), -5))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _, _ in results)
    assert statuses[0] == 200 and statuses[1] in (409, 412), results
    loser = next(body for status, body, _ in results if status != 200)
    assert loser["status"] in (409, 412) and loser["detail"]
    winner_day = next(day for status, _, day in results if status == 200)

    with unit_of_work(write=False, url=db_url) as session:
        stored = session.get(HumanTask, uuid.UUID(task["id"]))
        assert stored is not None and stored.state == "completed" and stored.data["notified_at"] == winner_day
        instance = session.get(ProcessInstance, uuid.UUID(case["instance_id"]))
        assert instance is not None and instance.version == version_before + 1
        agency_tasks = session.exec(
            select(HumanTask).where(
                HumanTask.case_id == uuid.UUID(case["id"]),
                HumanTask.element_id == "Task_ProvideRapidReviewInformation",
            )
        ).all()
        assert sorted(t.agency_code or "" for t in agency_tasks) == ["health", "police"]
        completions = session.exec(
            select(AuditEvent).where(AuditEvent.action == "task.completed", AuditEvent.object_id == task["id"])
        ).all()
        assert len(completions) == 1
