"""The multi-agency case-file audit (MACFA) driven over HTTP: every branch to every end, clocks over holidays."""

from __future__ import annotations

from typing import Any

import pytest

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import clock, complete, deliver, ended_at, get_case, open_tasks

CASE_TYPE = "macfa"
AGENCIES = ["police", "health", "la"]


def _open(api: Api, *, agencies: list[str], planned_meeting_date: str) -> dict[str, Any]:
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "members": api.review_team(),
            "case_type": CASE_TYPE,
            "title": "Neglect of adolescents audit",
            "subject_pseudonym": "Audit sample",
            "involved_agencies": agencies,
            "data": {
                "audit_theme": "Neglect of adolescents",
                "theme_reason": "inspection_recommendation",
                "theme_reason_detail": "JTAI recommendation 3",
                "planned_meeting_date": planned_meeting_date,
            },
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _sample_and_guidance(api: Api, case_id: str, issued_at: str) -> None:
    complete(
        api,
        case_id,
        "Task_AgreeCaseSample",
        {"sample_size": 12, "sample_criteria": "open to two or more agencies, aged 13-17"},
    )
    complete(api, case_id, "Task_IssueGuidance", {"guidance_issued_at": issued_at})


def _agency_audits(api: Api, case_id: str, agencies: list[str]) -> None:
    ratings = {"police": "good", "health": "requires_improvement", "la": "inadequate"}
    for agency in agencies:
        complete(
            api,
            case_id,
            "Task_AuditAgencyCases",
            {
                "cases_audited": 4,
                "practice_rating": ratings.get(agency, "good"),
                "strengths": f"{agency}: timely referrals",
                "areas_for_improvement": f"{agency}: voice of the young person",
                "escalations_made": agency == "la",
            },
            agency=agency,
        )


def _meeting_and_report(api: Api, case_id: str, meeting_date: str, report_date: str) -> None:
    complete(
        api,
        case_id,
        "Task_HoldAuditMeeting",
        {"meeting_date": meeting_date, "attendees_agencies": "police, health, la", "key_findings": "drift"},
    )
    complete(
        api,
        case_id,
        "Task_WriteFindingsReport",
        {"report_completed_at": report_date, "findings_summary": "drift in plans", "recommendation_count": 3},
    )


def test_three_agencies_audit_over_easter_with_returned_report_and_action_plan(api: Api) -> None:
    case = _open(api, agencies=AGENCIES, planned_meeting_date="2026-05-20")
    case_id = case["id"]
    assert case["reference"].startswith("MACFA-2026-")
    assert case["stages"] == ["Case sample"]
    assert clock(case, "agency_returns")["status"] == "not_started"  # no guidance issued yet

    # Guidance issued Thursday 2 April 2026. 20 working days skip Good Friday (3 April), Easter Monday (6 April)
    # and the early May bank holiday (Monday 4 May): Tue 7 - Fri 10 (4), 13-17 (9), 20-24 (14), 27 April - Fri 1 May
    # (19), Tuesday 5 May (20).
    _sample_and_guidance(api, case_id, "2026-04-02")
    case = get_case(api, case_id)
    assert case["stages"] == ["Agency audits"]
    assert clock(case, "agency_returns")["due_date"] == "2026-05-05"
    audits = open_tasks(api, case_id, "Task_AuditAgencyCases")
    assert sorted(t["agency"] for t in audits) == sorted(AGENCIES)  # one audit per participating agency's lead
    assert {t["role"] for t in audits} == {"agency_safeguarding_lead"}
    assert all(t["due_at"].startswith("2026-05-05T22:59:59") for t in audits)  # end of day, London (BST)
    # The return date is long past, so the escalation is already with the business manager.
    escalations = open_tasks(api, case_id, "Task_EscalateAgencyAuditsOverdue")
    assert len(escalations) == 1 and escalations[0]["role"] == "business_manager"

    # Only the agency's own lead may do its audit: the business manager (another role) is refused, and another
    # agency's lead does not even see the task.
    health_task = next(t for t in audits if t["agency"] == "health")
    answers = {
        "cases_audited": 1,
        "practice_rating": "good",
        "strengths": "x",
        "areas_for_improvement": "y",
        "escalations_made": False,
    }
    for token, status in (("business_manager", 403), ("agency_safeguarding_lead:police", 404)):
        refused = api.as_(token).post(f"/api/v1/tasks/{health_task['id']}/complete", json={"data": answers})
        assert refused.status_code == status, refused.text

    _agency_audits(api, case_id, AGENCIES)
    assert get_case(api, case_id)["stages"] == ["Agency audits"]  # the collation follows
    complete(api, case_id, "Task_CollateAgencyAudits", {"returns_complete_at": "2026-05-06"})
    case = get_case(api, case_id)
    assert clock(case, "agency_returns")["status"] == "met_late"  # a day after Tuesday 5 May
    assert case["stages"] == ["Audit meeting"]

    _meeting_and_report(api, case_id, "2026-05-20", "2026-05-29")
    assert get_case(api, case_id)["stages"] == ["Findings report"]
    complete(
        api,
        case_id,
        "Task_AcceptFindingsReport",
        {"report_response": "return_for_changes", "report_comments": "add the health data"},
    )
    assert len(open_tasks(api, case_id, "Task_WriteFindingsReport")) == 1  # back to the business unit
    complete(
        api,
        case_id,
        "Task_WriteFindingsReport",
        {"report_completed_at": "2026-06-05", "findings_summary": "drift; health data", "recommendation_count": 4},
    )
    complete(api, case_id, "Task_AcceptFindingsReport", {"report_response": "accept"})
    assert get_case(api, case_id)["stages"] == ["Action plan"]
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-06-10", "has_actions": True})
    case = get_case(api, case_id)
    assert "Waiting: Action plan closed" in case["stages"]

    # The audits are all in: their escalation closed by itself, and nothing waits on it.
    assert open_tasks(api, case_id, "Task_EscalateAgencyAuditsOverdue") == []
    deliver(api, case_id, "action_plan_closed")
    assert ended_at(api, case_id) == ["EndEvent_ActionPlanCompleted"]

    record = get_case(api, case_id)["record"]
    assert record["audit_theme"] == "Neglect of adolescents"
    assert record["theme_reason"] == "inspection_recommendation"
    assert record["sample_size"] == 12
    assert record["return_by"] == "2026-05-05"
    assert record["returns_complete_at"] == "2026-05-06"
    assert record["recommendation_count"] == 4 and record["report_completed_at"] == "2026-06-05"
    assert record["review_completed_at"] == "2026-06-05"
    assert record["legal_mandate"].startswith("Working Together")
    assert record["has_actions"] is True


def test_audit_without_actions_closes_on_time(api: Api) -> None:
    now = today()
    case_id = _open(api, agencies=["police", "education"], planned_meeting_date=now)["id"]
    _sample_and_guidance(api, case_id, now)
    assert not open_tasks(api, case_id, "Task_EscalateAgencyAuditsOverdue")  # not due yet
    assert clock(get_case(api, case_id), "agency_returns")["status"] in ("on_time", "due_soon")
    _agency_audits(api, case_id, ["police", "education"])
    complete(api, case_id, "Task_CollateAgencyAudits", {"returns_complete_at": now})
    assert clock(get_case(api, case_id), "agency_returns")["status"] == "met"
    _meeting_and_report(api, case_id, now, now)
    complete(api, case_id, "Task_AcceptFindingsReport", {"report_response": "accept"})
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": now, "has_actions": False})
    assert ended_at(api, case_id) == ["EndEvent_ClosedNoActions"]
    case = get_case(api, case_id)
    assert case["stages"] == ["Closed"]
    assert case["record"]["has_actions"] is False


@pytest.mark.usefixtures("recorded_dates_may_be_ahead")
def test_christmas_guidance_return_date(api: Api) -> None:
    # Guidance issued Wednesday 23 December 2026: Christmas Day (Fri 25) and the substitute Boxing Day (Mon 28)
    # and New Year's Day (Fri 1 January 2027) are not working days. Thu 24 (1), Tue 29 - Thu 31 (4),
    # Mon 4 - Fri 8 January (9), 11-15 (14), 18-22 (19), Monday 25 January 2027 (20).
    case_id = _open(api, agencies=["police"], planned_meeting_date="2027-02-01")["id"]
    _sample_and_guidance(api, case_id, "2026-12-23")
    case = get_case(api, case_id)
    assert clock(case, "agency_returns")["due_date"] == "2027-01-25"
    task = open_tasks(api, case_id, "Task_AuditAgencyCases")[0]
    assert task["due_at"].startswith("2027-01-25T23:59:59")  # end of day, London (GMT)
