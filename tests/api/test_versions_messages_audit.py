"""Definition versions pinned per instance; messages into waiting processes; the audit trail."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from service.config import Settings
from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import complete, open_case, open_tasks


def test_a_changed_diagram_is_a_new_version_and_running_cases_keep_theirs(
    api: Api, settings: Settings, bpmn_dir: Path, tokens: dict[str, str]
) -> None:
    old_case = open_case(api, aware_at=today())
    path = bpmn_dir / "cspr.bpmn"
    path.write_text(path.read_text().replace('name="Notify the national Panel"', 'name="Notify the Panel (v2)"'))
    with TestClient(create_app(settings)) as restarted:
        new_api = Api(restarted, tokens)
        listed = new_api.as_("business_manager").get("/api/v1/process-definitions", params={"key": "cspr"})
        versions = listed.json()["items"]
        assert [d["version"] for d in versions] == [1, 2] and versions[0]["hash"] != versions[1]["hash"]
        new_case = open_case(new_api, aware_at=today())
        assert open_tasks(new_api, new_case["id"], "Task_NotifyPanel")[0]["name"] == "Notify the Panel (v2)"
        assert open_tasks(new_api, old_case["id"], "Task_NotifyPanel")[0]["name"] == "Notify the national Panel"
        complete(new_api, old_case["id"], "Task_NotifyPanel", {"notified_at": today()})  # old one runs on v1
        assert len(open_tasks(new_api, old_case["id"], "Task_ProvideRapidReviewInformation")) == 3
    # Restarting again with the same files registers nothing new.
    with TestClient(create_app(settings)) as again:
        listed = Api(again, tokens).as_("business_manager").get("/api/v1/process-definitions", params={"limit": 200})
        keys = [d["key"] for d in listed.json()["items"]]
        assert keys.count("cspr") == 2


def test_a_message_reaches_the_waiting_process_with_its_payload(api: Api) -> None:
    bm = api.as_("business_manager")
    case = bm.post(
        "/api/v1/cases", json={"case_type": "message_probe", "title": "m", "subject_pseudonym": "n/a", "data": {}}
    ).json()
    instance = bm.get(f"/api/v1/process-instances/{case['instance_id']}").json()
    assert instance["waiting_messages"] == ["panel_response"]
    response = bm.post(
        f"/api/v1/cases/{case['id']}/messages", json={"name": "panel_response", "payload": {"outcome": "agrees"}}
    )
    assert response.status_code == 202
    instance = bm.get(f"/api/v1/process-instances/{case['instance_id']}").json()
    assert instance["waiting_messages"] == [] and instance["variables"]["panel_response"] == {"outcome": "agrees"}
    assert [t["element_id"] for t in open_tasks(api, case["id"])] == ["Task_Review"]


def test_every_change_is_in_the_audit_log_with_who_and_what(api: Api) -> None:
    case = open_case(api, aware_at=today())
    complete(api, case["id"], "Task_NotifyPanel", {"notified_at": today()})
    admin = api.as_("partnership_admin")
    events = admin.get("/api/v1/audit-events", params={"limit": 200}).json()["items"]
    actions = [e["action"] for e in events]
    assert {"case.opened", "instance.started", "task.completed", "token.created"} <= set(actions)
    completed = next(e for e in events if e["action"] == "task.completed")
    assert completed["actor_label"].startswith("Bea Morgan") and "Notify the national Panel" in completed["summary"]
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)
    assert api.as_("independent_reviewer").get("/api/v1/audit-events").status_code == 403
    others = api.as_("other").get("/api/v1/audit-events", params={"limit": 200}).json()["items"]
    assert others and not {e["object_id"] for e in others} & {e["object_id"] for e in events}
