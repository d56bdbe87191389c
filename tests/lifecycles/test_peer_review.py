"""The peer review lifecycle driven over HTTP: every branch to every end, with the completion clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.helpers import clock, complete, deliver, ended_at, get_case, open_review, open_tasks

CASE_TYPE = "peer_review"
LEGAL_MANDATE = "Non-statutory: partnership learning and improvement framework (peer review)"


def _commission(api: Api, case_id: str, decision: str, decided_at: str) -> None:
    complete(
        api,
        case_id,
        "Task_CommissionPeerReview",
        {
            "decision": decision,
            "decision_at": decided_at,
            "decision_rationale": "neighbouring partnership offered a reciprocal review",
            "review_focus": "front door and early help step-down",
        },
    )


def _peer_team(api: Api, case_id: str) -> None:
    complete(
        api,
        case_id,
        "Task_AppointPeerTeam",
        {
            "reviewer_name": "L. Peer",
            "reviewer_declared_affiliations": "none",
            "peer_team_members": "L. Peer (Elsewhere LSCP), M. Peer (Elsewhere police)",
            "methodology": "case_mapping",
        },
    )


def _self_assessments(api: Api, case_id: str, agencies: list[str]) -> None:
    for agency in agencies:
        complete(
            api,
            case_id,
            "Task_SubmitSelfAssessment",
            {
                "self_assessment_summary": f"{agency}: good at referral, weaker at step-down",
                "evidence_submitted": "audit results, 10 case files",
                "self_assessment_submitted_at": "2026-03-20",
            },
            agency=agency,
        )


def _fieldwork_and_report(api: Api, case_id: str, completed_at: str) -> None:
    complete(
        api,
        case_id,
        "Task_CarryOutFieldwork",
        {"fieldwork_from": "2026-04-13", "fieldwork_to": "2026-04-15", "fieldwork_summary": "12 interviews"},
    )
    complete(
        api,
        case_id,
        "Task_WritePeerReviewReport",
        {
            "key_findings": "step-down decisions undocumented",
            "recommendation_count": 4,
            "review_completed_at": completed_at,
        },
    )


def _completed_elements(api: Api, case: dict[str, Any]) -> list[str]:
    instance = api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}")
    assert instance.status_code == 200, instance.text
    return instance.json()["completed_element_ids"]  # type: ignore[no-any-return]


def test_peer_review_to_action_plan_completed(api: Api) -> None:
    agencies = ["police", "health", "la", "education"]
    case = open_review(api, CASE_TYPE, referral_date="2026-02-16", agencies=agencies)
    case_id = case["id"]
    assert case["reference"].startswith("PEER-2026-")
    assert case["stages"] == ["Commissioning"]

    # A case review group decision: the independent reviewer may not take it.
    [commission] = open_tasks(api, case_id)
    refused = api.as_("independent_reviewer").post(
        f"/api/v1/tasks/{commission['id']}/complete",
        json={"data": {"decision": "hold_review", "decision_at": "2026-02-27", "decision_rationale": "x"}},
    )
    assert refused.status_code == 403, refused.text

    # Friday 27 February 2026 + 3 months = Wednesday 27 May 2026 (calendar months: bank holidays do not count).
    _commission(api, case_id, "hold_review", "2026-02-27")
    case = get_case(api, case_id)
    assert case["stages"] == ["Peer team"]
    assert clock(case, "completion")["due_date"] == "2026-05-27"
    assert case["record"]["legal_mandate"] == LEGAL_MANDATE

    _peer_team(api, case_id)
    assert get_case(api, case_id)["stages"] == ["Self-assessment"]
    tasks = open_tasks(api, case_id, "Task_SubmitSelfAssessment")
    assert sorted(t["agency"] for t in tasks) == sorted(agencies)  # one per involved agency's lead
    assert {t["role"] for t in tasks} == {"agency_safeguarding_lead"}
    _self_assessments(api, case_id, agencies)
    assert get_case(api, case_id)["stages"] == ["Fieldwork"]

    # Thursday 28 May: a day after the due date.
    _fieldwork_and_report(api, case_id, "2026-05-28")
    case = get_case(api, case_id)
    assert case["stages"] == ["Group response"]
    assert clock(case, "completion")["status"] == "met_late"
    complete(
        api,
        case_id,
        "Task_RespondToPeerReview",
        {"group_response": "accepted_in_part", "group_response_at": "2026-06-03", "group_response_summary": "ok"},
    )
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-06-17", "has_actions": True})
    assert get_case(api, case_id)["stages"] == ["Waiting: Action plan closed"]
    deliver(api, case_id, "action_plan_closed")

    assert ended_at(api, case_id) == ["EndEvent_ActionPlanCompleted"]
    record = get_case(api, case_id)["record"]
    assert record["decision"] == "hold_review" and record["decision_at"] == "2026-02-27"
    assert record["decision_rationale"] and record["review_focus"] == "front door and early help step-down"
    assert record["reviewer_name"] == "L. Peer" and record["reviewer_declared_affiliations"] == "none"
    assert record["methodology"] == "case_mapping"
    assert record["fieldwork_from"] == "2026-04-13" and record["fieldwork_to"] == "2026-04-15"
    assert record["review_completed_at"] == "2026-05-28" and record["recommendation_count"] == 4
    assert record["group_response"] == "accepted_in_part" and record["has_actions"] is True


def test_no_review_closes_the_case(api: Api) -> None:
    case_id = open_review(api, CASE_TYPE, referral_date="2026-03-02")["id"]
    _commission(api, case_id, "no_review", "2026-03-04")
    assert ended_at(api, case_id) == ["EndEvent_NoReview"]
    case = get_case(api, case_id)
    assert case["clocks"] == []  # the completion clock only runs for a commissioned review
    assert case["record"]["decision"] == "no_review"
    assert "Task_AppointPeerTeam" not in _completed_elements(api, case)


@pytest.mark.usefixtures("recorded_dates_may_be_ahead")
def test_month_end_clamped_clock_and_no_actions(api: Api) -> None:
    agencies = ["probation", "asc"]
    case_id = open_review(api, CASE_TYPE, referral_date="2026-11-23", agencies=agencies)["id"]
    # Monday 30 November 2026 + 3 months: no 30 February, so Sunday 28 February 2027.
    _commission(api, case_id, "hold_review", "2026-11-30")
    assert clock(get_case(api, case_id), "completion")["due_date"] == "2027-02-28"
    _peer_team(api, case_id)
    _self_assessments(api, case_id, agencies)
    _fieldwork_and_report(api, case_id, "2027-02-26")  # Friday before the (Sunday) due date
    assert clock(get_case(api, case_id), "completion")["status"] == "met"
    complete(
        api,
        case_id,
        "Task_RespondToPeerReview",
        {"group_response": "accepted", "group_response_at": "2027-03-03", "group_response_summary": "agreed"},
    )
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2027-03-03", "has_actions": False})
    assert ended_at(api, case_id) == ["EndEvent_NoActions"]
    assert "Event_ActionPlanClosed" not in _completed_elements(api, get_case(api, case_id))
