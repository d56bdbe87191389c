"""The multi-agency learning review lifecycle driven over HTTP: every branch to every end, clocks over holidays."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.helpers import clock, complete, deliver, ended_at, get_case, open_review, open_tasks

CASE_TYPE = "multi_agency_learning_review"
AGENCIES = ["police", "health", "la"]


def _decide(api: Api, case_id: str, decision: str, decided_at: str) -> None:
    complete(
        api,
        case_id,
        "Task_DecideWhetherToHoldReview",
        {
            "review_trigger": "cluster_of_similar_episodes",
            "decision": decision,
            "decision_at": decided_at,
            "decision_rationale": "three similar episodes of missed escalation in six months",
        },
    )


def _terms_and_chair(api: Api, case_id: str, agreed_at: str) -> None:
    complete(
        api,
        case_id,
        "Task_AgreeTermsOfReference",
        {
            "review_period_from": "2025-06-01",
            "review_period_to": "2025-12-31",
            "terms_of_reference": "How agencies escalated concerns about neglect",
            "methodology": "action_learning",
            "terms_agreed_at": agreed_at,
            "agency_summary_working_days": 10,
        },
    )
    complete(
        api,
        case_id,
        "Task_AppointIndependentChair",
        {"reviewer_name": "P. Chair", "reviewer_declared_affiliations": "none", "reviewer_appointed_at": agreed_at},
    )


def _agencies_prepare(api: Api, case_id: str, agencies: list[str]) -> None:
    for agency in agencies:
        complete(
            api,
            case_id,
            "Task_PrepareAgencySummary",
            {"agency_summary": f"{agency}: two contacts, no escalation", "managers_attending": f"{agency} manager"},
            agency=agency,
        )


def _write_report(api: Api, case_id: str, completed_at: str, recommendations: int = 3) -> None:
    complete(
        api,
        case_id,
        "Task_WriteSummaryReport",
        {
            "learning_summary": "escalation routes were unclear",
            "recommendation_count": recommendations,
            "review_completed_at": completed_at,
        },
    )


def _handle_escalations(api: Api, case_id: str) -> int:
    escalations = open_tasks(api, case_id, "Task_EscalateAgencySummaryOverdue")
    for task in escalations:
        assert task["role"] == "business_manager" and task["stage"] == "Escalation"
        complete(api, case_id, "Task_EscalateAgencySummaryOverdue", {"escalation_note": "chased at the subgroup"})
    return len(escalations)


def _completed_elements(api: Api, case: dict[str, Any]) -> list[str]:
    instance = api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}")
    assert instance.status_code == 200, instance.text
    return instance.json()["completed_element_ids"]  # type: ignore[no-any-return]


def test_hold_review_with_return_for_changes_escalation_over_easter_and_action_plan(api: Api) -> None:
    case = open_review(api, CASE_TYPE, referral_date="2026-02-20", agencies=AGENCIES)
    case_id = case["id"]
    assert case["reference"].startswith("MALR-2026-")
    assert case["stages"] == ["Decision"]
    assert [c["key"] for c in case["clocks"]] == []  # no clock until the group decides to hold the review

    # Friday 27 February 2026 + 3 calendar months = Wednesday 27 May 2026 (the spring bank holiday,
    # Monday 25 May, does not move a calendar-month clock).
    _decide(api, case_id, "hold_review", "2026-02-27")
    case = get_case(api, case_id)
    assert case["stages"] == ["Terms of reference"]
    assert clock(case, "completion")["due_date"] == "2026-05-27"
    assert case["record"]["legal_mandate"] == "Non-statutory: partnership learning and improvement framework"

    # Terms agreed Thursday 2 April 2026; 10 working days skip Good Friday (3 April) and Easter Monday (6 April):
    # Tue 7, Wed 8, Thu 9, Fri 10, Mon 13, Tue 14, Wed 15, Thu 16, Fri 17, Mon 20 April.
    _terms_and_chair(api, case_id, "2026-04-02")
    case = get_case(api, case_id)
    assert case["stages"] == ["Agency preparation"]
    prepare = open_tasks(api, case_id, "Task_PrepareAgencySummary")
    assert sorted(t["agency"] for t in prepare) == sorted(AGENCIES)  # one task per involved agency's lead
    assert {t["role"] for t in prepare} == {"agency_safeguarding_lead"}
    assert all(t["due_at"].startswith("2026-04-20T22:59:59") for t in prepare)  # end of day, London (BST)
    # That deadline is long past, so the escalation is already with the business manager.
    assert len(open_tasks(api, case_id, "Task_EscalateAgencySummaryOverdue")) == 1

    # Only the agency's own lead may do its task: the business manager holds another role.
    la_task = next(t for t in prepare if t["agency"] == "la")
    refused = api.as_("business_manager").post(
        f"/api/v1/tasks/{la_task['id']}/complete",
        json={"data": {"agency_summary": "x", "managers_attending": "y"}},
    )
    assert refused.status_code == 403, refused.text

    _agencies_prepare(api, case_id, AGENCIES)
    assert get_case(api, case_id)["stages"] == ["Learning meeting"]
    complete(
        api,
        case_id,
        "Task_HoldLearningMeeting",
        {"meeting_date": "2026-04-28", "managers_attended": 5, "meeting_notes": "open discussion"},
    )

    _write_report(api, case_id, "2026-05-20")
    # A case review group task: an independent reviewer may not answer for the group.
    consider = open_tasks(api, case_id, "Task_ConsiderReport")[0]
    refused = api.as_("independent_reviewer").post(
        f"/api/v1/tasks/{consider['id']}/complete",
        json={"data": {"report_response": "accepted", "report_response_at": "2026-05-21"}},
    )
    assert refused.status_code == 403, refused.text
    complete(
        api,
        case_id,
        "Task_ConsiderReport",
        {"report_response": "return_for_changes", "report_response_at": "2026-05-21", "report_comments": "tighten"},
    )
    assert len(open_tasks(api, case_id, "Task_WriteSummaryReport")) == 1  # back to the chair
    assert get_case(api, case_id)["stages"] == ["Report"]
    # The final report on the due date itself is on time.
    _write_report(api, case_id, "2026-05-27", recommendations=2)
    complete(api, case_id, "Task_ConsiderReport", {"report_response": "accepted", "report_response_at": "2026-05-29"})

    case = get_case(api, case_id)
    assert case["stages"] == ["Action plan"]
    assert clock(case, "completion")["status"] == "met"
    assert clock(case, "completion")["met_on"] == "2026-05-27"
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-06-10", "has_actions": True})
    assert _handle_escalations(api, case_id) == 0  # the summaries are in: the escalation closed by itself
    case = get_case(api, case_id)
    assert case["status"] == "open" and case["stages"] == ["Waiting: Action plan closed"]
    assert not open_tasks(api, case_id)

    deliver(api, case_id, "action_plan_closed")
    assert ended_at(api, case_id) == ["EndEvent_ActionPlanCompleted"]
    case = get_case(api, case_id)
    assert case["stages"] == ["Closed"]
    record = case["record"]
    assert record["decision"] == "hold_review" and record["decision_at"] == "2026-02-27"
    assert record["decision_rationale"].startswith("three similar episodes")
    assert record["review_period_from"] == "2025-06-01" and record["review_period_to"] == "2025-12-31"
    assert record["methodology"] == "action_learning"
    assert record["reviewer_name"] == "P. Chair" and record["reviewer_declared_affiliations"] == "none"
    assert record["review_completed_at"] == "2026-05-27" and record["recommendation_count"] == 2
    assert record["report_response"] == "accepted" and record["has_actions"] is True
    assert record["meeting_date"] == "2026-04-28"
    assert "agency_summary" not in record  # per-agency answers are not part of the record


def test_no_review_closes_the_case(api: Api) -> None:
    case_id = open_review(api, CASE_TYPE, referral_date="2026-03-02")["id"]
    _decide(api, case_id, "no_review", "2026-03-05")
    assert ended_at(api, case_id) == ["EndEvent_NoReview"]
    case = get_case(api, case_id)
    assert case["stages"] == ["Closed"]
    assert "completion" not in [c["key"] for c in case["clocks"]]  # no review, no completion clock
    assert case["record"]["decision"] == "no_review"
    assert case["record"]["legal_mandate"] == "Non-statutory: partnership learning and improvement framework"
    assert "Task_AgreeTermsOfReference" not in _completed_elements(api, case)


@pytest.mark.usefixtures("recorded_dates_may_be_ahead")
def test_month_end_clock_christmas_deadline_and_no_actions(api: Api) -> None:
    agencies = ["education", "probation"]
    case_id = open_review(api, CASE_TYPE, referral_date="2026-11-20", agencies=agencies)["id"]
    # Monday 30 November 2026 + 3 months: there is no 30 February, so the clock clamps to Sunday 28 February 2027.
    _decide(api, case_id, "hold_review", "2026-11-30")
    assert clock(get_case(api, case_id), "completion")["due_date"] == "2027-02-28"

    # Terms agreed Friday 18 December 2026; 10 working days skip Christmas Day (Fri 25 Dec), the substitute
    # Boxing Day (Mon 28 Dec) and New Year's Day (Fri 1 Jan 2027): Mon 21, Tue 22, Wed 23, Thu 24, Tue 29,
    # Wed 30, Thu 31 Dec, Mon 4, Tue 5, Wed 6 January 2027.
    _terms_and_chair(api, case_id, "2026-12-18")
    prepare = open_tasks(api, case_id, "Task_PrepareAgencySummary")
    assert sorted(t["agency"] for t in prepare) == agencies
    assert all(t["due_at"].startswith("2027-01-06T23:59:59") for t in prepare)  # GMT in winter
    _agencies_prepare(api, case_id, agencies)
    complete(api, case_id, "Task_HoldLearningMeeting", {"meeting_date": "2027-01-20", "managers_attended": 3})
    _write_report(api, case_id, "2027-03-01", recommendations=0)  # the day after the clamped due date
    complete(api, case_id, "Task_ConsiderReport", {"report_response": "accepted", "report_response_at": "2027-03-03"})
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2027-03-03", "has_actions": False})
    # Whether or not 6 January 2027 has passed, the summaries are in: no escalation is left open.
    assert _handle_escalations(api, case_id) == 0
    assert ended_at(api, case_id) == ["EndEvent_NoActions"]
    case = get_case(api, case_id)
    assert clock(case, "completion")["status"] == "met_late"
    assert case["record"]["has_actions"] is False
    assert "Event_ActionPlanClosed" not in _completed_elements(api, case)
