"""Every endpoint authenticates; no partnership ever sees another's data (404, not 403)."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import open_case, open_tasks


def _protected_routes(client: TestClient) -> list[tuple[str, str]]:
    routes = []
    for path, operations in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        if path.startswith("/api/"):
            for method in operations:
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)))
    return routes


def test_every_api_endpoint_requires_a_token(client: TestClient) -> None:
    routes = _protected_routes(client)
    assert len(routes) >= 12
    # Hundreds of wrong tokens from one client would soon be 429s (tests/integration/test_sign_in_abuse.py).
    client.app.state.auth_limiter.limit = 10**6  # type: ignore[attr-defined]
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer lif_not-a-real-token"}):
            response = client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"] == "Bearer"


def test_another_partnership_sees_nothing_and_gets_404s(api: Api) -> None:
    case = open_case(api, aware_at=today())
    task = open_tasks(api, case["id"])[0]
    other = api.as_("other")
    for path in (
        f"/api/v1/cases/{case['id']}",
        f"/api/v1/tasks/{task['id']}",
        f"/api/v1/process-instances/{case['instance_id']}",
    ):
        response = other.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    for action in ("claim", "unclaim", "complete"):
        response = other.post(f"/api/v1/tasks/{task['id']}/{action}", json={"data": {"notified_at": today()}})
        assert response.status_code == 404, action
    assert other.post(f"/api/v1/cases/{case['id']}/messages", json={"name": "x"}).status_code == 404
    assert other.get("/api/v1/cases").json()["items"] == []
    assert other.get("/api/v1/tasks").json()["items"] == []
    # And the task is untouched.
    assert api.as_("business_manager").get(f"/api/v1/tasks/{task['id']}").json()["state"] == "open"


def test_agency_staff_see_and_do_only_their_agency_tasks(api: Api) -> None:
    case = open_case(api, aware_at=today())
    api_bm = api.as_("business_manager")
    notify = open_tasks(api, case["id"], "Task_NotifyPanel")[0]
    assert (
        api_bm.post(f"/api/v1/tasks/{notify['id']}/complete", json={"data": {"notified_at": today()}}).status_code
        == 200
    )
    tasks = {t["agency"]: t for t in open_tasks(api, case["id"], "Task_ProvideRapidReviewInformation")}
    police = api.as_("agency_safeguarding_lead:police")
    listed = police.get("/api/v1/tasks", params={"state": "open", "scope": "all"}).json()["items"]
    assert {t["agency"] for t in listed} == {"police"}
    assert police.get(f"/api/v1/tasks/{tasks['health']['id']}").status_code == 404
    answers = {"data": {"agency_involvement": "x", "chronology_summary": "y"}}
    assert police.post(f"/api/v1/tasks/{tasks['health']['id']}/complete", json=answers).status_code == 404
    assert police.post(f"/api/v1/tasks/{tasks['police']['id']}/complete", json=answers).status_code == 200
    # The business manager can see agency tasks but may not do them (wrong role).
    response = api_bm.post(f"/api/v1/tasks/{tasks['la']['id']}/complete", json=answers)
    assert response.status_code == 403 and "agency_safeguarding_lead" in response.json()["detail"]


@pytest.mark.parametrize("role", ["independent_reviewer", "agency_safeguarding_lead:police", "process_owner"])
def test_only_case_managers_open_cases(api: Api, role: str) -> None:
    response = api.as_(role).post(
        "/api/v1/cases", json={"case_type": "cspr", "title": "t", "subject_pseudonym": "Child A", "data": {}}
    )
    assert response.status_code == 403


def test_me_reports_roles_and_agency(api: Api) -> None:
    me = api.as_("agency_safeguarding_lead:health").get("/api/v1/me").json()
    assert me["roles"] == ["agency_safeguarding_lead"] and me["agency"] == "health"
