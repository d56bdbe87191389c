"""The practice review / best practice panel lifecycle driven over HTTP: both branches, every end, the clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.helpers import clock, complete, deliver, ended_at, get_case, open_review, open_tasks

CASE_TYPE = "practice_review"
LEGAL_MANDATE = "Non-statutory: partnership learning and improvement framework (learning from good practice)"


def _commission(api: Api, case_id: str, decision: str, decided_at: str) -> None:
    complete(
        api,
        case_id,
        "Task_CommissionPracticeReview",
        {
            "decision": decision,
            "decision_at": decided_at,
            "decision_rationale": "family and practitioners praised the joint working",
            "practice_focus": "joint visits by health visitor and social worker",
        },
    )


def _summarise_and_decide(api: Api, case_id: str, completed_at: str, *, share: bool) -> None:
    complete(
        api,
        case_id,
        "Task_SummariseGoodPractice",
        {"good_practice_summary": "joint visits kept the baby visible", "review_completed_at": completed_at},
    )
    answers: dict[str, Any] = {"share_good_practice": share}
    if share:
        answers["dissemination_plan"] = "7-minute briefing and a practice week session"
    complete(api, case_id, "Task_DecideOnRecognition", answers)


def _completed_elements(api: Api, case: dict[str, Any]) -> list[str]:
    instance = api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}")
    assert instance.status_code == 200, instance.text
    return instance.json()["completed_element_ids"]  # type: ignore[no-any-return]


def test_appreciative_review_to_action_plan_completed(api: Api) -> None:
    agencies = ["health", "la", "education"]
    case = open_review(api, CASE_TYPE, referral_date="2026-02-18", agencies=agencies)
    case_id = case["id"]
    assert case["reference"].startswith("PRAC-2026-")
    assert case["stages"] == ["Commissioning"]

    # Friday 27 February 2026 + 3 months = Wednesday 27 May 2026.
    _commission(api, case_id, "appreciative_review", "2026-02-27")
    case = get_case(api, case_id)
    assert case["stages"] == ["Appreciative review"]
    assert clock(case, "completion")["due_date"] == "2026-05-27"
    assert case["record"]["legal_mandate"] == LEGAL_MANDATE

    # The facilitator is appointed by the business manager; a case review group member may not.
    [appoint] = open_tasks(api, case_id)
    assert appoint["element_id"] == "Task_AppointFacilitator" and appoint["role"] == "business_manager"
    refused = api.as_("case_review_group_member").post(
        f"/api/v1/tasks/{appoint['id']}/complete",
        json={"data": {"reviewer_name": "x", "reviewer_declared_affiliations": "none"}},
    )
    assert refused.status_code == 403, refused.text
    complete(
        api,
        case_id,
        "Task_AppointFacilitator",
        {"reviewer_name": "A. Facilitator", "reviewer_declared_affiliations": "none"},
    )

    case = get_case(api, case_id)
    assert case["stages"] == ["Practitioners' accounts"]
    assert case["record"]["methodology"] == "appreciative_inquiry"  # set by the lifecycle, not chosen
    accounts = open_tasks(api, case_id, "Task_GivePractitionersAccounts")
    assert sorted(t["agency"] for t in accounts) == sorted(agencies)
    assert {t["role"] for t in accounts} == {"agency_safeguarding_lead"}
    for agency in agencies:
        complete(
            api,
            case_id,
            "Task_GivePractitionersAccounts",
            {"practitioners_account": f"{agency}: we planned visits together", "practitioners_involved": 2},
            agency=agency,
        )
    complete(
        api,
        case_id,
        "Task_FacilitateAppreciativeInquiry",
        {"session_date": "2026-04-14", "session_participants": 7},
    )
    complete(api, case_id, "Task_WriteGoodPracticeReport", {"good_practice_report": "report v1"})
    assert get_case(api, case_id)["stages"] == ["Good practice"]
    _summarise_and_decide(api, case_id, "2026-05-27", share=True)  # on the due date itself
    case = get_case(api, case_id)
    assert case["stages"] == ["Action plan"]
    assert clock(case, "completion")["status"] == "met"

    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-06-02", "has_actions": True})
    assert get_case(api, case_id)["stages"] == ["Waiting: Action plan closed"]
    deliver(api, case_id, "action_plan_closed")

    assert ended_at(api, case_id) == ["EndEvent_ActionPlanCompleted"]
    case = get_case(api, case_id)
    record = case["record"]
    assert record["decision"] == "appreciative_review" and record["decision_at"] == "2026-02-27"
    assert record["decision_rationale"] and record["methodology"] == "appreciative_inquiry"
    assert record["reviewer_name"] == "A. Facilitator" and record["reviewer_declared_affiliations"] == "none"
    assert record["session_date"] == "2026-04-14" and record["good_practice_report"] == "report v1"
    assert record["review_completed_at"] == "2026-05-27" and record["share_good_practice"] is True
    assert record["good_practice_summary"] == "joint visits kept the baby visible"
    assert "Task_ConveneBestPracticePanel" not in _completed_elements(api, case)


@pytest.mark.usefixtures("recorded_dates_may_be_ahead")
def test_best_practice_panel_month_end_clock_and_no_actions(api: Api) -> None:
    case_id = open_review(api, CASE_TYPE, referral_date="2026-11-16", agencies=["police", "asc"])["id"]
    # Monday 30 November 2026 + 3 months: no 30 February, so Sunday 28 February 2027.
    _commission(api, case_id, "best_practice_panel", "2026-11-30")
    case = get_case(api, case_id)
    assert case["stages"] == ["Best practice panel"]
    assert clock(case, "completion")["due_date"] == "2027-02-28"
    [convene] = open_tasks(api, case_id)
    assert convene["element_id"] == "Task_ConveneBestPracticePanel" and convene["role"] == "business_manager"
    complete(
        api,
        case_id,
        "Task_ConveneBestPracticePanel",
        {
            "panel_date": "2027-01-12",
            "nominated_practice": "police and adult social care joint welfare checks",
            "reviewer_name": "Board chair",
            "reviewer_declared_affiliations": "none",
        },
    )
    [record_task] = open_tasks(api, case_id)
    assert record_task["element_id"] == "Task_RecordPanelGoodPractice"
    assert record_task["role"] == "case_review_group_member"
    complete(api, case_id, "Task_RecordPanelGoodPractice", {"good_practice_identified": "shared risk tool"})
    _summarise_and_decide(api, case_id, "2027-03-01", share=False)  # Monday 1 March: a day late
    assert clock(get_case(api, case_id), "completion")["status"] == "met_late"
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2027-03-02", "has_actions": False})

    assert ended_at(api, case_id) == ["EndEvent_NoActions"]
    case = get_case(api, case_id)
    record = case["record"]
    assert record["decision"] == "best_practice_panel" and record["panel_date"] == "2027-01-12"
    assert record["good_practice_identified"] == "shared risk tool" and record["share_good_practice"] is False
    assert "methodology" not in record  # appreciative inquiry belongs to the other branch
    completed = _completed_elements(api, case)
    assert "Task_GivePractitionersAccounts" not in completed and "Task_AppointFacilitator" not in completed


def test_no_review_closes_the_case(api: Api) -> None:
    case_id = open_review(api, CASE_TYPE, referral_date="2026-03-02")["id"]
    _commission(api, case_id, "no_review", "2026-03-03")
    assert ended_at(api, case_id) == ["EndEvent_NoReview"]
    case = get_case(api, case_id)
    assert case["clocks"] == [] and case["stages"] == ["Closed"]
    assert case["record"]["decision"] == "no_review" and case["record"]["legal_mandate"] == LEGAL_MANDATE
