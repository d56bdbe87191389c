"""Process owners deploy edited diagrams, are told exactly what is wrong, and move running cases."""

from __future__ import annotations

import time
from typing import Any

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import complete, get_case, open_case, open_tasks, run_rapid_review
from tests.process_owner import edits


def _deploy(api: Api, xml: bytes, who: str = "process_owner", note: str = "change", **form: str) -> Any:
    return api.as_(who).post(
        "/api/v1/process-definitions",
        files={"file": ("cspr.bpmn", xml, "application/xml")},
        data={"change_note": note, **form},
    )


def _cspr_versions(api: Api) -> list[dict[str, Any]]:
    listed = api.as_("business_manager").get("/api/v1/process-definitions", params={"key": "cspr"}).json()
    assert listed["next_cursor"] is None
    return list(listed["items"])


def _instance(api: Api, case: dict[str, Any]) -> dict[str, Any]:
    return api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}").json()  # type: ignore[no-any-return]


def test_an_edited_diagram_deploys_new_cases_follow_it_running_ones_finish_on_theirs(api: Api) -> None:
    running = open_case(api, aware_at=today())
    edited = edits.add_approval_branch(edits.rename_task(edits.CSPR, "Task_NotifyPanel", "Notify the Panel (CSPR)"))
    response = _deploy(api, edited, note="Chair approves ToR; clearer task name")
    assert response.status_code == 201, response.text
    body = response.json()
    # The partnership's first own variant: v1 of its variants (versions count per owner), beside the shared v1.
    assert body["created"] and body["definition"]["version"] == 1 and not body["definition"]["shared"]
    assert body["change_note"] == "Chair approves ToR; clearer task name"
    again = _deploy(api, edited)
    assert again.status_code == 200 and again.json()["created"] is False and "identical" in again.json()["message"]
    assert [(v["shared"], v["version"]) for v in _cspr_versions(api)] == [(True, 1), (False, 1)]

    new = open_case(api, aware_at=today())
    assert open_tasks(api, new["id"], "Task_NotifyPanel")[0]["name"] == "Notify the Panel (CSPR)"
    assert open_tasks(api, running["id"], "Task_NotifyPanel")[0]["name"] == "Notify the national Panel"
    # Both go through the rapid review; the new one meets the approval branch, the old one does not.
    for case in (running, new):
        run_rapid_review(api, case["id"], decision="local_cspr", notified_at=today(), decided_at=today())
        complete(
            api,
            case["id"],
            "Task_ScopeReview",
            {"review_period_from": "2025-01-01", "review_period_to": today(), "scope_summary": "s"},
        )
        complete(api, case["id"], "Task_AgreeTermsOfReference", {"terms_of_reference": "t", "methodology": "silp"})
    assert open_tasks(api, running["id"], "Task_AppointIndependentReviewer")
    complete(api, new["id"], "Task_ApproveTermsOfReference", {"tor_approved": False})  # sent back
    complete(api, new["id"], "Task_AgreeTermsOfReference", {"terms_of_reference": "t2", "methodology": "silp"})
    complete(api, new["id"], "Task_ApproveTermsOfReference", {"tor_approved": True})
    assert open_tasks(api, new["id"], "Task_AppointIndependentReviewer")
    assert _instance(api, running)["definition_id"] == _cspr_versions(api)[0]["id"]


def test_broken_uploads_are_refused_with_every_problem_named_and_nothing_changes(api: Api) -> None:
    before = _cspr_versions(api)
    cases: list[tuple[bytes, set[str | None]]] = [
        (b"<bpmn:definitions>not closed", {None}),
        (
            edits.CSPR.replace(b'targetRef="Task_ScopeReview"', b'targetRef="Task_Missing"', 1),
            {"Flow_PublicationClockToScope"},
        ),
        (
            edits.CSPR.replace(b'decision == "no_further_review"', b"__import__('os').system('id')"),
            {"Flow_NoFurtherReview"},
        ),
        (edits.without_diagram(edits.CSPR), {None}),
    ]
    for xml, expected_ids in cases:
        response = _deploy(api, xml)
        assert response.status_code == 422, response.text
        body = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        errors = [p for p in body["problems"] if p["severity"] == "error"]
        assert errors, body
        ids = {p["element_id"] for p in errors}
        assert expected_ids & ids or (None in expected_ids and errors), (expected_ids, errors)
    malformed = _deploy(api, b"<bpmn:definitions>not closed").json()["problems"][0]
    assert malformed["message"].startswith("malformed XML") and malformed["line"] == 1
    no_di = _deploy(api, edits.without_diagram(edits.CSPR)).json()["problems"]
    assert any("no diagram" in p["message"] for p in no_di)
    unsafe = _deploy(api, edits.CSPR.replace(b'decision == "no_further_review"', b"__import__('os').system('id')"))
    problem = next(p for p in unsafe.json()["problems"] if p["element_id"] == "Flow_NoFurtherReview")
    assert "__import__" in problem["message"] and problem["line"]
    assert _cspr_versions(api) == before


def test_a_second_person_check_of_an_unknown_task_is_refused_at_validation_and_at_deploy(api: Api) -> None:
    edited = edits.set_task_property(edits.CSPR, "Task_CheckRedaction", "checksWorkOf", "Task_Nope")
    expected = {
        "severity": "error",
        "element_id": "Task_CheckRedaction",
        "element_name": "Check the redaction (second person)",
        "message": "checksWorkOf names 'Task_Nope', which is not a user task of this diagram; "
        "name the task whose completer must not do this check",
    }
    report = (
        api.as_("process_owner")
        .post("/api/v1/process-definitions/validate", files={"file": ("cspr.bpmn", edited, "application/xml")})
        .json()
    )
    assert report["valid"] is False
    found = [p for p in report["problems"] if p["element_id"] == "Task_CheckRedaction"]
    assert [{k: v for k, v in p.items() if k != "line"} for p in found] == [expected] and found[0]["line"]
    refused = _deploy(api, edited)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert [p for p in refused.json()["problems"] if p["element_id"] == "Task_CheckRedaction"] == found
    assert [v["version"] for v in _cspr_versions(api)] == [1]


def test_a_clock_met_by_a_field_that_is_not_a_date_is_a_warning_naming_the_task(api: Api) -> None:
    edited = edits.CSPR.replace(
        b'id="notified_at" label="Date the national Panel was notified" type="date"',
        b'id="notified_at" label="Date the national Panel was notified" type="string"',
    )
    # Its date rules go with it (on a text field they would be errors, not this warning).
    rules = (
        b'<camunda:constraint name="not_future"/>\n'
        b'              <camunda:constraint name="not_before" config="aware_at"/>'
    )
    assert rules in edited
    edited = edited.replace(rules, b"", 1)
    assert edited != edits.CSPR
    report = (
        api.as_("process_owner")
        .post("/api/v1/process-definitions/validate", files={"file": ("cspr.bpmn", edited, "application/xml")})
        .json()
    )
    assert report["valid"] is True  # reads cope with any stored value; the modeller is told
    (warning,) = [p for p in report["problems"] if "clock 'notification'" in p["message"]]
    assert warning["severity"] == "warning" and warning["element_id"] == "Task_NotifyPanel"
    assert "not a date" in warning["message"]


def test_validation_is_a_dry_run_with_warnings(api: Api) -> None:
    edited = edits.CSPR.replace(b'name="Scope the review"', b'name=""')
    report = (
        api.as_("process_owner")
        .post("/api/v1/process-definitions/validate", files={"file": ("cspr.bpmn", edited, "application/xml")})
        .json()
    )
    assert report["valid"] is True and report["process_key"] == "cspr"
    assert any(p["element_id"] == "Task_ScopeReview" and p["severity"] == "warning" for p in report["problems"])
    assert [v["version"] for v in _cspr_versions(api)] == [1]


def test_who_may_deploy(api: Api) -> None:
    edited = edits.rename_task(edits.CSPR, "Task_NotifyPanel", "x")
    assert _deploy(api, edited, who="business_manager").status_code == 403
    assert _deploy(api, edited, shared="true").status_code == 403  # process owners deploy variants, not shared


def test_a_compatible_change_migrates_and_completes_on_the_new_version(api: Api) -> None:
    case = open_case(api, aware_at=today())
    v2 = _deploy(api, edits.rename_task(edits.CSPR, "Task_NotifyPanel", "Notify the Panel now")).json()["definition"]
    owner = api.as_("process_owner")
    plan = owner.post(
        f"/api/v1/process-instances/{case['instance_id']}/migration-plan", json={"target_definition_id": v2["id"]}
    ).json()
    assert plan["safe"] and plan["changed"] == {"Task_NotifyPanel": ["bpmn_name"]} and not plan["migrated"]
    moved = owner.post(
        f"/api/v1/process-instances/{case['instance_id']}/migrate", json={"target_definition_id": v2["id"]}
    )
    assert moved.status_code == 200 and moved.json()["migrated"]
    assert _instance(api, case)["definition_id"] == v2["id"]
    assert open_tasks(api, case["id"], "Task_NotifyPanel")[0]["name"] == "Notify the Panel now"
    run_rapid_review(api, case["id"], decision="no_further_review", notified_at=today(), decided_at=today())
    assert get_case(api, case["id"])["status"] == "closed"
    # Managing the lifecycle does not open the case's history to the process owner; its oversight roles read it.
    assert api.as_("process_owner").get(f"/api/v1/process-instances/{case['instance_id']}/history").status_code == 404
    history = (
        api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}/history").json()["items"]
    )
    assert "instance.migrated" in [h["action"] for h in history]


def test_an_incompatible_change_is_refused_with_the_reason(api: Api) -> None:
    case = open_case(api, aware_at=today())
    v2 = _deploy(api, edits.remove_element(edits.CSPR, "Task_NotifyPanel")).json()
    assert v2.get("definition"), v2
    owner = api.as_("process_owner")
    target = {"target_definition_id": v2["definition"]["id"]}
    plan = owner.post(f"/api/v1/process-instances/{case['instance_id']}/migration-plan", json=target).json()
    assert plan["safe"] is False and "Task_NotifyPanel" in plan["reasons"][0]
    refused = owner.post(f"/api/v1/process-instances/{case['instance_id']}/migrate", json=target)
    assert refused.status_code == 409 and refused.json()["reasons"] == plan["reasons"]
    assert _instance(api, case)["definition_id"] != v2["definition"]["id"]
    batch = owner.post(
        "/api/v1/process-instances/migrate",
        json={"from_definition_id": _instance(api, case)["definition_id"], **target, "dry_run": False},
    ).json()
    assert batch["dry_run"] is False
    assert [(b["instance_id"], b["safe"], b["migrated"]) for b in batch["results"]] == [
        (case["instance_id"], False, False)
    ]


def test_suspend_resume_terminate_are_audited(api: Api) -> None:
    case = open_case(api, aware_at=today())
    owner = api.as_("process_owner")
    url = f"/api/v1/process-instances/{case['instance_id']}"
    assert owner.post(f"{url}/suspend", json={"reason": "court order"}).json()["status"] == "suspended"
    task = open_tasks(api, case["id"], "Task_NotifyPanel")[0]
    blocked = api.as_("business_manager").post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": {"notified_at": today()}}
    )
    assert blocked.status_code == 409 and "suspended" in blocked.json()["detail"]
    assert owner.post(f"{url}/resume", json={"reason": "order lifted"}).json()["status"] == "running"
    assert owner.post(f"{url}/terminate", json={"reason": "opened in error"}).json()["status"] == "terminated"
    assert not open_tasks(api, case["id"])
    assert get_case(api, case["id"])["status"] == "closed"
    summaries = [h["summary"] for h in api.as_("business_manager").get(f"{url}/history").json()["items"]]
    assert {"Suspended: court order", "Resumed: order lifted", "Terminated: opened in error"} <= set(summaries)
    assert api.as_("independent_reviewer").post(f"{url}/suspend", json={"reason": "x"}).status_code == 403


def test_a_timer_beyond_the_bounds_is_refused_at_validation_and_at_deploy_at_once(api: Api) -> None:
    timer = b'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">add_working_days(aware_at, 5)</bpmn:timeDate>'
    for replacement in (
        b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P99999999Y</bpmn:timeDuration>',
        b'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">0001-01-01T00:00:00Z</bpmn:timeDate>',
    ):
        assert timer in edits.CSPR
        edited = edits.CSPR.replace(timer, replacement)
        started = time.process_time()  # processor time: other test workers share the cores
        report = (
            api.as_("process_owner")
            .post("/api/v1/process-definitions/validate", files={"file": ("cspr.bpmn", edited, "application/xml")})
            .json()
        )
        refused = _deploy(api, edited)
        assert time.process_time() - started < 2
        assert report["valid"] is False
        assert [p["element_id"] for p in report["problems"] if p["severity"] == "error"] == [
            "Timer_PanelNotificationDue"
        ]
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert [v["version"] for v in _cspr_versions(api)] == [1]


def test_version_numbers_count_per_owner(api: Api, db_url: str) -> None:
    """A partnership's first variant is v1 whatever another partnership has deployed; shared versions count apart."""
    from sqlmodel import select

    from service.db.session import unit_of_work
    from service.identity import directory
    from service.identity.tokens import create_token
    from service.models import Partnership

    with unit_of_work(url=db_url) as session:
        elsewhere = session.exec(select(Partnership).where(Partnership.key == "elsewhere")).one()
        owner = directory.add_user(
            session, partnership_id=elsewhere.id, name="Other PO", email="po@elsewhere.example", roles=["process_owner"]
        )
        api.tokens["other_owner"] = create_token(session, user_id=owner.id, name="test")
    shared = [d["version"] for d in _cspr_versions(api) if d["shared"]]
    ours = [_deploy(api, edits.rename_task(edits.CSPR, "Task_ScopeReview", f"Scope it ({n})")) for n in (1, 2)]
    assert [r.json()["definition"]["version"] for r in ours] == [1, 2], ours[0].text
    theirs = _deploy(api, edits.rename_task(edits.CSPR, "Task_ScopeReview", "Scope it elsewhere"), who="other_owner")
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["definition"]["version"] == 1
    listed = [(d["shared"], d["version"]) for d in _cspr_versions(api)]
    assert listed == [(True, v) for v in shared] + [(False, 1), (False, 2)]
