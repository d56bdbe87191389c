"""Single-agency audit reporting driven over HTTP: every branch to every end."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.helpers import complete, deliver, ended_at, get_case, open_tasks

CASE_TYPE = "single_agency_audit"


def _open(api: Api, owner: str) -> dict[str, Any]:
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "members": api.review_team(),
            "case_type": CASE_TYPE,
            "title": f"{owner} audit of strategy discussions",
            "subject_pseudonym": "Audit sample",
            "involved_agencies": [owner],
            "data": {
                "owner_agency": owner,
                "audit_topic": "Strategy discussions",
                "audit_period_from": "2025-10-01",
                "audit_period_to": "2026-03-31",
            },
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _report(api: Api, case_id: str, owner: str, findings: str = "thresholds applied inconsistently") -> None:
    complete(
        api,
        case_id,
        "Task_ReportAudit",
        {
            "sample_size": 20,
            "audit_completed_at": "2026-04-02",
            "findings": findings,
            "good_practice": "strategy discussions held within a day",
            "areas_for_improvement": "recording of the rationale",
            "agency_actions": "team briefings in May",
        },
        agency=owner,
    )


def _consider(api: Api, case_id: str, response: str, actions_needed: bool) -> None:
    complete(
        api,
        case_id,
        "Task_ConsiderAudit",
        {
            "qa_response": response,
            "qa_response_at": "2026-04-14",
            "qa_comment": "thank you",
            "partnership_actions_needed": actions_needed,
        },
    )


def test_further_information_then_partnership_action_plan(api: Api) -> None:
    case = _open(api, "la")
    case_id = case["id"]
    assert case["reference"].startswith("SAA-2026-")
    assert case["stages"] == ["Agency audit"]
    tasks = open_tasks(api, case_id, "Task_ReportAudit")
    assert [(t["agency"], t["role"]) for t in tasks] == [("la", "agency_safeguarding_lead")]  # the owner's lead

    # A case review group member may not report for the agency.
    refused = api.as_("case_review_group_member").post(
        f"/api/v1/tasks/{tasks[0]['id']}/complete",
        json={"data": {"sample_size": 1, "audit_completed_at": "2026-04-02", "findings": "x"}},
    )
    assert refused.status_code == 403, refused.text

    _report(api, case_id, "la")
    assert get_case(api, case_id)["stages"] == ["Quality assurance"]
    _consider(api, case_id, "further_information_requested", actions_needed=False)
    assert len(open_tasks(api, case_id, "Task_ReportAudit")) == 1  # back to the agency
    assert get_case(api, case_id)["stages"] == ["Agency audit"]
    _report(api, case_id, "la", findings="thresholds applied inconsistently in two of five teams")
    _consider(api, case_id, "accepted", actions_needed=True)
    assert get_case(api, case_id)["stages"] == ["Action plan"]
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-04-20", "has_actions": True})
    assert get_case(api, case_id)["stages"] == ["Waiting: Action plan closed"]
    deliver(api, case_id, "action_plan_closed")
    assert ended_at(api, case_id) == ["EndEvent_ActionPlanCompleted"]
    record = get_case(api, case_id)["record"]
    assert record["owner_agency"] == "la" and record["audit_topic"] == "Strategy discussions"
    assert record["findings"] == "thresholds applied inconsistently in two of five teams"
    assert record["qa_response"] == "accepted" and record["partnership_actions_needed"] is True
    assert record["legal_mandate"].startswith("Working Together")


def test_accepted_without_partnership_actions_is_noted(api: Api) -> None:
    case_id = _open(api, "police")["id"]
    _report(api, case_id, "police")
    _consider(api, case_id, "accepted", actions_needed=False)
    assert ended_at(api, case_id) == ["EndEvent_Noted"]
    case = get_case(api, case_id)
    assert case["stages"] == ["Closed"]
    assert case["record"]["qa_response_at"] == "2026-04-14"


def test_partnership_actions_agreed_but_none_needed_closes(api: Api) -> None:
    case_id = _open(api, "health")["id"]
    _report(api, case_id, "health")
    _consider(api, case_id, "accepted", actions_needed=True)
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-04-20", "has_actions": False})
    assert ended_at(api, case_id) == ["EndEvent_ClosedNoActions"]
    assert get_case(api, case_id)["record"]["has_actions"] is False
