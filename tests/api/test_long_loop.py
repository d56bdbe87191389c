"""A looping process goes round 600 times (past where the engine used to give up) and its history stays readable.

The passes go through the service layer in-process, one transaction each as a request would, to keep the test
short; the case is opened and its history read over the API.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import select

from service.db.session import unit_of_work
from service.identity.tokens import authenticate
from service.models import HumanTask
from service.tasks import service as tasks
from tests.conftest import Api

PASSES = 600  # the engine's task tree used to reach its depth limit at about 330-450 passes


def _complete_the_open_task(db_url: str, token: str, instance_id: uuid.UUID, number: int) -> str:
    with unit_of_work(url=db_url) as session:
        principal = authenticate(session, token)
        rows = session.exec(
            select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "open")
        ).all()
        assert len(rows) == 1, (number, [r.element_id for r in rows])
        element_id = rows[0].element_id
        answers = {"note": f"pass {number}"} if element_id == "Task_Step" else {}
        tasks.complete(session, principal, rows[0].id, answers, if_match=None)
        return element_id


def test_a_loop_runs_600_passes_to_the_end_and_the_history_lists_every_completion(
    api: Api, db_url: str, tokens: dict[str, str]
) -> None:
    bm = api.as_("business_manager")
    created = bm.post(
        "/api/v1/cases",
        json={"case_type": "cycle_probe", "title": "loop", "subject_pseudonym": "n/a", "data": {"limit": PASSES}},
    )
    assert created.status_code == 201, created.text
    case = created.json()
    instance_id = uuid.UUID(case["instance_id"])
    done = [_complete_the_open_task(db_url, tokens["business_manager"], instance_id, n) for n in range(PASSES + 1)]
    assert done == ["Task_Step"] * PASSES + ["Task_Finish"]  # no false completion, no early finish

    instance = bm.get(f"/api/v1/process-instances/{instance_id}").json()
    assert instance["status"] == "completed" and instance["error"] is None
    assert (instance["variables"]["count"], instance["variables"]["side"]) == (PASSES, PASSES)
    assert bm.get(f"/api/v1/cases/{case['id']}").json()["status"] == "closed"

    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:  # the history pages, oldest first
        params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        response = bm.get(f"/api/v1/process-instances/{instance_id}/history", params=params)
        assert response.status_code == 200, response.text
        entries.extend(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    completions = [e for e in entries if e["action"] == "task.completed"]
    assert len(completions) == PASSES + 1
    me = bm.get("/api/v1/me").json()
    manager = me["name"]
    assert {e["actor_label"] for e in completions} == {f"{manager} ({me['user_id']})"}
    assert [e["at"] for e in completions] == sorted(e["at"] for e in completions)
    assert [e["summary"] for e in completions].count(f"{manager} completed 'Take a step'") == PASSES
    # Another partnership does not see it at all.
    assert api.as_("other").get(f"/api/v1/process-instances/{instance_id}/history").status_code == 404
