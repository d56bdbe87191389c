"""Bad input gets a clear 422/409/412 problem and changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.testclient import TestClient

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import open_case, open_tasks


def _state(api: Api, case: dict[str, Any]) -> tuple[Any, ...]:
    bm = api.as_("business_manager")
    instance = bm.get(f"/api/v1/process-instances/{case['instance_id']}").json()
    tasks = bm.get("/api/v1/tasks", params={"case_id": case["id"], "limit": 200, "scope": "all"}).json()["items"]
    return (
        instance["version"],
        instance["active_element_ids"],
        sorted((t["id"], t["state"], t["version"]) for t in tasks),
    )


def _assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "correlation_id"} <= set(body) and body["status"] == status
    return body


def test_invalid_form_data_is_refused_per_field_and_changes_nothing(api: Api) -> None:
    case = open_case(api, aware_at=today())
    before = _state(api, case)
    task = open_tasks(api, case["id"], "Task_NotifyPanel")[0]
    bm = api.as_("business_manager")
    body = _assert_problem(
        bm.post(
            f"/api/v1/tasks/{task['id']}/complete",
            json={"data": {"notified_at": "2026-02-30", "child_looked_after": "yes", "surname": "Smith"}},
        ),
        422,
    )
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields == {
        "data.notified_at": "must be a date written YYYY-MM-DD",
        "data.child_looked_after": "'yes' is not of type 'boolean'",
        "data.surname": "this form has no such field",
    }
    body = _assert_problem(bm.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}), 422)
    assert body["errors"] == [{"field": "data.notified_at", "message": "this field is required"}]
    assert _state(api, case) == before


def test_dates_out_of_order_or_in_the_future_are_refused_per_field_and_change_nothing(api: Api) -> None:
    aware = dt.date.fromisoformat(today())
    case = open_case(api, aware_at=aware.isoformat())
    before = _state(api, case)
    task = open_tasks(api, case["id"], "Task_NotifyPanel")[0]
    bm = api.as_("business_manager")
    form = bm.get(f"/api/v1/tasks/{task['id']}").json()["form_schema"]["properties"]["notified_at"]
    assert form["x-lif-not-before"] == "aware_at" and form["x-lif-not-future"] is True  # a front end checks first
    for notified, expected in [
        (aware - dt.timedelta(days=1), f"must not be before 'aware at' ({aware.isoformat()})"),
        (aware + dt.timedelta(days=1), f"must not be in the future (today is {aware.isoformat()})"),
    ]:
        body = _assert_problem(
            bm.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"notified_at": notified.isoformat()}}), 422
        )
        [error] = body["errors"]
        assert error["field"] == "data.notified_at" and error["message"].startswith(expected), error
    assert _state(api, case) == before
    # The start form too: an awareness date in the future opens nothing.
    tomorrow = (aware + dt.timedelta(days=1)).isoformat()
    body = _assert_problem(
        bm.post(
            "/api/v1/cases",
            json={
                "case_type": "cspr",
                "title": "t",
                "subject_pseudonym": "Child A",
                "data": {"aware_at": tomorrow, "incident_type": "serious_harm"},
            },
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["data.aware_at"]


def test_malformed_json_and_wrong_types_are_422_problems(api: Api) -> None:
    bm = api.as_("business_manager")
    response = bm.post("/api/v1/cases", content=b"{not json", headers={"Content-Type": "application/json"})
    _assert_problem(response, 422)
    body = _assert_problem(bm.post("/api/v1/cases", json={"case_type": "cspr", "title": ""}), 422)
    assert {e["field"] for e in body["errors"]} == {"title", "subject_pseudonym"}
    _assert_problem(bm.get("/api/v1/cases/not-a-uuid"), 422)
    _assert_problem(bm.get("/api/v1/cases", params={"cursor": "garbage"}), 422)


def test_invalid_case_creation_creates_nothing(api: Api) -> None:
    bm = api.as_("business_manager")
    body = _assert_problem(
        bm.post(
            "/api/v1/cases",
            json={
                "case_type": "cspr",
                "title": "t",
                "subject_pseudonym": "Child A",
                "involved_agencies": ["police", "fire"],
                "data": {"aware_at": today(), "incident_type": "serious_harm"},
            },
        ),
        422,
    )
    assert "unknown agency code 'fire'" in [e["message"] for e in body["errors"]]
    body = _assert_problem(
        bm.post(
            "/api/v1/cases",
            json={
                "case_type": "cspr",
                "title": "t",
                "subject_pseudonym": "Child A",
                "data": {"incident_type": "flood"},
            },
        ),
        422,
    )
    assert {e["field"] for e in body["errors"]} == {"data.aware_at", "data.incident_type"}
    _assert_problem(
        bm.post(
            "/api/v1/cases",
            json={"case_type": "no_such_review", "title": "t", "subject_pseudonym": "A", "data": {}},
        ),
        404,
    )
    assert bm.get("/api/v1/cases").json()["items"] == []
    # The reference counter did not move either: the next case is number 1.
    assert open_case(api, aware_at=today())["reference"].endswith("-0001")


def test_stale_if_match_is_412_and_a_second_completion_is_409(api: Api) -> None:
    case = open_case(api, aware_at=today())
    task = open_tasks(api, case["id"], "Task_NotifyPanel")[0]
    bm = api.as_("business_manager")
    etag = bm.get(f"/api/v1/tasks/{task['id']}").headers["etag"]
    assert re.fullmatch(r'"1-[0-9a-f]{16}"', etag), etag  # the version, then a digest of the body
    claimed = bm.post(f"/api/v1/tasks/{task['id']}/claim", headers={"If-Match": etag})
    assert claimed.status_code == 200 and claimed.headers["etag"].startswith('"2-')
    answers = {"data": {"notified_at": today()}}
    _assert_problem(bm.post(f"/api/v1/tasks/{task['id']}/complete", json=answers, headers={"If-Match": etag}), 412)
    for nonsense in ("soon", '"2-"', '"2-XYZ"', '"-2"'):
        body = _assert_problem(
            bm.post(f"/api/v1/tasks/{task['id']}/complete", json=answers, headers={"If-Match": nonsense}), 412
        )
        assert "If-Match must be the ETag you received" in body["detail"], nonsense
    # Only the version is compared: another body's digest with the current version still guards the state.
    stale_digest = '"2-0000000000000000"'
    claimed_again = bm.post(f"/api/v1/tasks/{task['id']}/claim", headers={"If-Match": stale_digest})
    assert claimed_again.status_code == 200, claimed_again.text
    done = bm.post(f"/api/v1/tasks/{task['id']}/complete", json=answers, headers={"If-Match": '"2"'})
    assert done.status_code == 200 and done.json()["data"]["notified_at"] == today()
    body = _assert_problem(bm.post(f"/api/v1/tasks/{task['id']}/complete", json=answers), 409)
    assert "already completed" in body["detail"]


def test_claims_belong_to_one_person(api: Api) -> None:
    case = open_case(api, aware_at=today())
    bm = api.as_("business_manager")
    complete = bm.post(
        f"/api/v1/tasks/{open_tasks(api, case['id'])[0]['id']}/complete",
        json={"data": {"notified_at": today()}},
    )
    assert complete.status_code == 200
    info = {t["agency"]: t for t in open_tasks(api, case["id"], "Task_ProvideRapidReviewInformation")}
    police = api.as_("agency_safeguarding_lead:police")
    assert police.post(f"/api/v1/tasks/{info['police']['id']}/claim").json()["assignee_id"]
    assert police.post(f"/api/v1/tasks/{info['police']['id']}/unclaim").json()["assignee_id"] is None
    wrong_role = api.as_("independent_reviewer").post(f"/api/v1/tasks/{info['police']['id']}/claim")
    _assert_problem(wrong_role, 403)


def test_idempotency_key_replays_the_same_case(api: Api) -> None:
    bm = api.as_("business_manager")
    body = {
        "case_type": "cspr",
        "title": "t",
        "subject_pseudonym": "Child A",
        "involved_agencies": ["police"],
        "data": {"aware_at": today(), "incident_type": "death"},
    }
    first = bm.post("/api/v1/cases", json=body, headers={"Idempotency-Key": "k-1"})
    again = bm.post("/api/v1/cases", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert len(bm.get("/api/v1/cases").json()["items"]) == 1
    _assert_problem(bm.post("/api/v1/cases", json={**body, "title": "other"}, headers={"Idempotency-Key": "k-1"}), 409)


def test_unknown_routes_and_methods_are_problems(client: TestClient, api: Api) -> None:
    _assert_problem(api.as_("business_manager").get("/api/v1/nowhere"), 404)
    _assert_problem(client.delete("/health/live"), 405)


def test_message_to_a_process_not_waiting_for_it_is_409(api: Api) -> None:
    case = open_case(api, aware_at=today())
    before = _state(api, case)
    body = _assert_problem(
        api.as_("business_manager").post(
            f"/api/v1/cases/{case['id']}/messages", json={"name": "panel_response", "payload": {"a": 1}}
        ),
        409,
    )
    assert "not waiting for the message 'panel_response'" in body["detail"]
    assert _state(api, case) == before


def test_cursor_pagination_walks_every_case_once(api: Api) -> None:
    created = {open_case(api, aware_at=today(), title=f"case {n}")["id"] for n in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.as_("business_manager").get("/api/v1/cases", params=params).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and set(seen) == created


def test_date_filters_take_plain_dates_and_an_unknown_state_is_refused(api: Api) -> None:
    """`due_before=2026-12-01` was a 500 (a moment without an offset); `state=opne` quietly listed nothing."""
    open_case(api, aware_at=today())  # its first tasks are due within days
    client = api.as_("business_manager")
    for value in ("2026-12-01", "2026-12-01T10:00:00", "2026-12-01T10:00:00Z"):
        response = client.get("/api/v1/tasks", params={"due_before": value, "scope": "all"})
        assert response.status_code == 200, (value, response.text[:300])
    far = client.get("/api/v1/tasks", params={"due_before": "2100-01-01", "state": "open", "scope": "all"}).json()[
        "items"
    ]
    near = client.get("/api/v1/tasks", params={"due_before": "2000-01-01", "state": "open", "scope": "all"}).json()[
        "items"
    ]
    assert near == [] and far  # the filter still filters
    response = client.get("/api/v1/access-events", params={"since": "2026-12-01", "until": "2026-12-02T09:00:00"})
    assert response.status_code != 500, response.text[:300]
    wrong = client.get("/api/v1/tasks", params={"state": "opne"})
    assert wrong.status_code == 422 and wrong.headers["content-type"] == "application/problem+json"
    assert "open" in wrong.text and "completed" in wrong.text


def test_a_page_size_outside_its_range_is_refused_not_clamped(api: Api) -> None:
    client = api.as_("business_manager")
    for limit in (0, 201, 10_000):
        response = client.get("/api/v1/cases", params={"limit": limit})
        assert response.status_code == 422, (limit, response.text[:200])
        assert response.json()["errors"][0]["field"] == "query.limit"
    assert client.get("/api/v1/cases", params={"limit": 200}).status_code == 200
