"""The single-agency learning review lifecycle driven over HTTP: the owner agency's tasks, both loops and ends."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.helpers import clock, complete, deliver, ended_at, get_case, open_review, open_tasks

CASE_TYPE = "single_agency_learning_review"
LEGAL_MANDATE = "Single-agency review under the agency's serious incident framework"


def _commission(api: Api, case_id: str, agency: str, *, target: str | None) -> None:
    answers: dict[str, Any] = {
        "decision_at": "2026-03-02",
        "decision_rationale": "serious incident with safeguarding significance",
        "serious_incident_reference": "SI-26-014",
        "methodology": "root_cause_analysis",
        "reviewer_name": "Head of Quality",
        "reviewer_declared_affiliations": "employed by the agency, not by the team reviewed",
        "review_period_from": "2025-09-01",
        "review_period_to": "2026-02-28",
    }
    if target is not None:
        answers["agency_target_date"] = target
    complete(api, case_id, "Task_CommissionAgencyReview", answers, agency=agency)


def _complete_review(api: Api, case_id: str, agency: str, *, completed_at: str, implications: bool) -> None:
    answers: dict[str, Any] = {
        "review_completed_at": completed_at,
        "learning_summary": "discharge planning missed the safeguarding flag",
        "inter_agency_implications": implications,
    }
    if implications:
        answers["inter_agency_implications_summary"] = "GPs and adult social care rely on the discharge letter"
    complete(api, case_id, "Task_CompleteAgencyReview", answers, agency=agency)
    complete(
        api,
        case_id,
        "Task_ShareWithCaseReviewGroup",
        {"shared_with_group_at": completed_at, "action_plan_summary": "flag check added to discharge"},
        agency=agency,
    )


def _completed_elements(api: Api, case: dict[str, Any]) -> list[str]:
    instance = api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}")
    assert instance.status_code == 200, instance.text
    return instance.json()["completed_element_ids"]  # type: ignore[no-any-return]


def test_owner_agency_review_with_further_information_and_inter_agency_implications(api: Api) -> None:
    case = open_review(
        api, CASE_TYPE, referral_date="2026-02-26", agencies=["health", "police"], data={"owner_agency": "health"}
    )
    case_id = case["id"]
    assert case["reference"].startswith("SALR-2026-")
    assert case["stages"] == ["Agency review"]
    [task] = open_tasks(api, case_id)
    # Not multi-instance: one task, for the owner agency's safeguarding lead only.
    assert task["element_id"] == "Task_CommissionAgencyReview"
    assert task["agency"] == "health" and task["role"] == "agency_safeguarding_lead"
    # Another agency's lead does not even see it; the business manager lacks the lane role.
    answers = {"decision_at": "2026-03-02"}
    police = api.as_("agency_safeguarding_lead:police").post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": answers}
    )
    assert police.status_code == 404, police.text
    manager = api.as_("business_manager").post(f"/api/v1/tasks/{task['id']}/complete", json={"data": answers})
    assert manager.status_code == 403, manager.text

    # The agency's own target: Monday 25 May 2026, the spring bank holiday; a date clock is due that very day.
    _commission(api, case_id, "health", target="2026-05-25")
    case = get_case(api, case_id)
    assert case["record"]["legal_mandate"] == LEGAL_MANDATE
    assert clock(case, "agency_target")["due_date"] == "2026-05-25"
    assert clock(case, "agency_target")["status"] == "overdue"  # long past and not met yet

    _complete_review(api, case_id, "health", completed_at="2026-05-22", implications=True)
    case = get_case(api, case_id)
    assert case["stages"] == ["Case review group"]
    assert clock(case, "agency_target")["status"] == "met"  # Friday 22 May, before the target
    complete(
        api,
        case_id,
        "Task_ConsiderAgencyReview",
        {
            "group_response": "further_information_requested",
            "group_response_at": "2026-05-26",
            "further_information_requested_detail": "what did the ward know?",
        },
    )
    # Back to the owner agency to complete the review again.
    [again] = open_tasks(api, case_id)
    assert again["element_id"] == "Task_CompleteAgencyReview" and again["agency"] == "health"
    assert get_case(api, case_id)["stages"] == ["Agency review"]
    _complete_review(api, case_id, "health", completed_at="2026-06-05", implications=True)
    complete(
        api, case_id, "Task_ConsiderAgencyReview", {"group_response": "accepted", "group_response_at": "2026-06-10"}
    )

    case = get_case(api, case_id)
    assert case["stages"] == ["Sharing implications"]
    assert clock(case, "agency_target")["status"] == "met_late"  # the final completion was after the target
    [share] = open_tasks(api, case_id)
    assert share["element_id"] == "Task_ShareImplicationsWithPartners" and share["role"] == "business_manager"
    complete(
        api,
        case_id,
        "Task_ShareImplicationsWithPartners",
        {"implications_shared_at": "2026-06-12", "partner_agencies_informed": "police, la, GP federation"},
    )
    assert get_case(api, case_id)["stages"] == ["Action plan"]
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-06-15", "has_actions": True})
    assert get_case(api, case_id)["stages"] == ["Waiting: Action plan closed"]
    deliver(api, case_id, "action_plan_closed")

    assert ended_at(api, case_id) == ["EndEvent_ActionPlanCompleted"]
    record = get_case(api, case_id)["record"]
    assert record["owner_agency"] == "health" and record["legal_mandate"] == LEGAL_MANDATE
    assert record["decision_at"] == "2026-03-02" and record["methodology"] == "root_cause_analysis"
    assert record["reviewer_name"] == "Head of Quality"
    assert record["review_period_from"] == "2025-09-01" and record["review_period_to"] == "2026-02-28"
    assert record["review_completed_at"] == "2026-06-05" and record["shared_with_group_at"] == "2026-06-05"
    assert record["inter_agency_implications"] is True and record["implications_shared_at"] == "2026-06-12"
    assert record["group_response"] == "accepted" and record["agency_target_date"] == "2026-05-25"


def test_no_inter_agency_implications_no_target_and_no_actions(api: Api) -> None:
    case_id = open_review(
        api, CASE_TYPE, referral_date="2026-03-01", agencies=["education"], data={"owner_agency": "education"}
    )["id"]
    _commission(api, case_id, "education", target=None)
    assert "agency_target" not in [c["key"] for c in get_case(api, case_id)["clocks"]]  # no target, no clock
    _complete_review(api, case_id, "education", completed_at="2026-04-30", implications=False)
    complete(
        api, case_id, "Task_ConsiderAgencyReview", {"group_response": "accepted", "group_response_at": "2026-05-05"}
    )
    # No implications for other agencies: straight to the action plan.
    assert [t["element_id"] for t in open_tasks(api, case_id)] == ["Task_AgreeActionPlan"]
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-05-05", "has_actions": False})

    assert ended_at(api, case_id) == ["EndEvent_NoActions"]
    case = get_case(api, case_id)
    assert case["stages"] == ["Closed"]
    assert case["record"]["inter_agency_implications"] is False
    assert "implications_shared_at" not in case["record"]
    assert "Task_ShareImplicationsWithPartners" not in _completed_elements(api, case)


def test_owner_agency_is_required(api: Api) -> None:
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "case_type": CASE_TYPE,
            "title": "Review",
            "subject_pseudonym": "Adult B",
            "involved_agencies": ["health"],
            "data": {"referral_date": "2026-03-10", "referral_source": "agency_referral", "referral_summary": "x"},
        },
    )
    assert response.status_code == 422, response.text
    assert "owner_agency" in response.text


def test_owner_agency_must_be_one_of_the_partnerships_agencies(api: Api) -> None:
    start = {"referral_date": "2026-03-10", "referral_source": "agency_referral", "referral_summary": "x"}
    body = {"case_type": CASE_TYPE, "title": "Review", "subject_pseudonym": "Adult B", "involved_agencies": ["health"]}
    response = api.as_("business_manager").post(
        "/api/v1/cases", json={**body, "data": {**start, "owner_agency": "fire"}}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0] == {"field": "data.owner_agency", "message": "unknown agency code 'fire'"}
    cases = api.as_("business_manager").get("/api/v1/cases", params={"case_type": CASE_TYPE}).json()["items"]
    assert cases == []
