"""The Safeguarding Adults Review lifecycle (bpmn/sar.bpmn) driven over HTTP: every branch to every end event."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import select

from service.db.session import unit_of_work
from service.models import Partnership
from tests.conftest import Api
from tests.helpers import clock, complete, deliver, ended_at, get_case, open_review, open_tasks, second_person_check

AGENCIES = ["police", "health", "asc"]
ALL_MET = {
    "has_care_and_support_needs": True,
    "concern_about_joint_working": True,
    "condition_1_died_abuse_or_neglect": True,
    "condition_2_alive_serious_abuse_or_neglect": False,
}
NOT_MET = {
    "has_care_and_support_needs": True,
    "concern_about_joint_working": False,
    "condition_1_died_abuse_or_neglect": False,
    "condition_2_alive_serious_abuse_or_neglect": False,
}


def variables(api: Api, case: dict[str, Any]) -> dict[str, Any]:
    response = api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}")
    assert response.status_code == 200, response.text
    return response.json()["variables"]  # type: ignore[no-any-return]


def set_settings(db_url: str, **values: Any) -> None:
    """Change the demo partnership's process settings (there is no API for them yet)."""
    with unit_of_work(url=db_url) as session:
        partnership = session.exec(select(Partnership).where(Partnership.key == "northshire")).one()
        partnership.settings = {**(partnership.settings or {}), **values}
        session.add(partnership)


def decide(api: Api, case_id: str, decision: str, decision_at: str, criteria: dict[str, bool]) -> None:
    complete(
        api,
        case_id,
        "Task_DecideOnSar",
        {
            **criteria,
            "decision": decision,
            "decision_at": decision_at,
            "decision_rationale": "self-neglect; agencies did not share concerns",
        },
    )


def handle_escalation(api: Api, case_id: str, element_id: str) -> None:
    escalations = open_tasks(api, case_id, element_id)
    assert len(escalations) == 1, escalations
    assert escalations[0]["role"] == "business_manager" and escalations[0]["stage"] == "Escalation"
    complete(api, case_id, element_id, {"escalation_note": "chased at the SAR subgroup"})


def run_review_to_publication_decision(
    api: Api, case_id: str, *, information_due_by: str, received: str, draft: str, final: str
) -> None:
    complete(
        api,
        case_id,
        "Task_AgreeTermsOfReference",
        {"review_period_from": "2024-09-01", "review_period_to": "2025-08-15", "terms_of_reference": "ToR v1"},
    )
    complete(
        api,
        case_id,
        "Task_AppointReviewer",
        {"reviewer_name": "A. Reviewer", "reviewer_declared_affiliations": "none", "methodology": "scie_systems"},
    )
    complete(
        api,
        case_id,
        "Task_EstablishPanel",
        {
            "panel_established_at": received,
            "panel_members": "ASC, ICB, police",
            "information_requested_at": received,
            "information_due_by": information_due_by,
        },
    )
    for agency in AGENCIES:
        complete(
            api,
            case_id,
            "Task_ProvideSarInformation",
            {"agency_involvement": f"{agency}: contact in 2025", "chronology_summary": "attached"},
            agency=agency,
        )
    complete(api, case_id, "Task_ConfirmInformationReceived", {"information_received_at": received})
    complete(api, case_id, "Task_WriteDraftReport", {"draft_submitted_at": draft})
    complete(api, case_id, "Task_SubmitFinalReport", {"review_completed_at": final, "recommendation_count": 4})


def test_inconsistent_decisions_go_back_then_a_mandatory_sar_runs_to_its_action_plan(api: Api, db_url: str) -> None:
    case = open_review(api, "sar", referral_date="2025-08-20", agencies=AGENCIES, subject="Adult B")
    case_id = case["id"]
    assert case["reference"].startswith("SAR-")
    assert case["stages"] == ["SAR decision"]
    assert case["clocks"] == []  # nothing decided yet: no SAR clock applies

    # Only the SAR subgroup (case review group member lane) takes the decision.
    task = open_tasks(api, case_id, "Task_DecideOnSar")[0]
    assert task["role"] == "case_review_group_member"
    refused = api.as_("business_manager").post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"data": {**ALL_MET, "decision": "mandatory", "decision_at": "2025-08-31", "decision_rationale": "x"}},
    )
    assert refused.status_code == 403, refused.text

    # Recorded as mandatory while the s44(1)-(3) conditions are not all met: back to the subgroup.
    assert task["messages"] == []
    decide(api, case_id, "mandatory", "2025-08-31", NOT_MET)
    [again] = open_tasks(api, case_id, "Task_DecideOnSar")
    # The re-offered task says why, in the list and on the task a front end opens.
    assert [m["code"] for m in again["messages"]] == ["sar.decision_inconsistent_with_s44"]
    [shown] = api.as_("case_review_group_member").get(f"/api/v1/tasks/{again['id']}").json()["messages"]
    assert shown["level"] == "error" and shown["text"].startswith("Recorded as a mandatory SAR but the s44(1)-(3)")
    case = get_case(api, case_id)
    assert case["stages"] == ["SAR decision"]
    assert "not all met" in variables(api, case)["decision_inconsistency"]
    assert "legal_mandate" not in case["record"]
    # All conditions met but recorded as discretionary: the duty in s44(1) applies, so back again.
    decide(api, case_id, "discretionary", "2025-08-31", ALL_MET)
    assert "the decision is mandatory" in variables(api, get_case(api, case_id))["decision_inconsistency"]
    [again] = open_tasks(api, case_id, "Task_DecideOnSar")
    assert "the decision is mandatory" in again["messages"][0]["text"]
    decide(api, case_id, "mandatory", "2025-08-31", ALL_MET)

    case = get_case(api, case_id)
    assert case["stages"] == ["Terms of reference"]
    assert case["record"]["legal_mandate"] == "Care Act 2014 s44(1)-(3) (mandatory)"
    assert case["record"]["s44_criteria_met"] is True
    assert variables(api, case)["decision_inconsistency"] is None
    # Initiated Sunday 31 August 2025 (the Monday, 25 August, was the summer bank holiday: months ignore it):
    # 6 calendar months ends on 31 February, which does not exist: due Saturday 28 February 2026 (not a leap year).
    assert clock(case, "completion")["due_date"] == "2026-02-28"
    assert clock(case, "completion")["status"] == "overdue"  # long past, not met yet
    assert clock(case, "information")["status"] == "not_started"  # no s45 request yet

    complete(
        api,
        case_id,
        "Task_AgreeTermsOfReference",
        {"review_period_from": "2024-09-01", "review_period_to": "2025-08-15", "terms_of_reference": "ToR v1"},
    )
    complete(
        api,
        case_id,
        "Task_AppointReviewer",
        {"reviewer_name": "A. Reviewer", "reviewer_declared_affiliations": "none", "methodology": "scie_systems"},
    )
    assert get_case(api, case_id)["stages"] == ["Review panel"]
    complete(
        api,
        case_id,
        "Task_EstablishPanel",
        {
            "panel_established_at": "2025-10-01",
            "panel_members": "ASC, ICB, police",
            "information_requested_at": "2025-10-01",
            "information_due_by": "2025-10-24",
        },
    )
    # s45 requests: one task per involved agency, for that agency's safeguarding lead.
    requests = open_tasks(api, case_id, "Task_ProvideSarInformation")
    assert sorted(t["agency"] for t in requests) == sorted(AGENCIES)
    assert {t["role"] for t in requests} == {"agency_safeguarding_lead"}
    assert all(t["due_at"].startswith("2025-10-24T22:59:59") for t in requests)  # end of Friday, BST
    assert get_case(api, case_id)["stages"] == ["Information from agencies"]
    handle_escalation(api, case_id, "Task_EscalateSarInformationOverdue")  # 24 October 2025 has passed
    for agency in AGENCIES:
        complete(
            api,
            case_id,
            "Task_ProvideSarInformation",
            {"agency_involvement": f"{agency}: contact in 2025", "chronology_summary": "attached"},
            agency=agency,
        )
    complete(
        api,
        case_id,
        "Task_ConfirmInformationReceived",
        {"information_received_at": "2025-10-29", "information_gaps": ""},
    )
    case = get_case(api, case_id)
    assert clock(case, "information") == {
        "key": "information",
        "reason": None,
        "name": clock(case, "information")["name"],
        "due_date": "2025-10-24",
        "status": "met_late",
        "met_on": "2025-10-29",
    }

    draft = open_tasks(api, case_id, "Task_WriteDraftReport")
    assert draft[0]["role"] == "independent_reviewer"
    assert draft[0]["due_at"].startswith("2026-02-28T23:59:59")  # end of the day, GMT
    handle_escalation(api, case_id, "Task_EscalateSarCompletionOverdue")
    complete(api, case_id, "Task_WriteDraftReport", {"draft_submitted_at": "2026-01-15"})
    complete(api, case_id, "Task_SubmitFinalReport", {"review_completed_at": "2026-02-27", "recommendation_count": 4})
    assert clock(get_case(api, case_id), "completion")["status"] == "met"  # Friday 27 February: a day to spare
    assert get_case(api, case_id)["stages"] == ["Publication"]
    complete(
        api,
        case_id,
        "Task_DecideOnPublication",
        {"publication_decision": "publish", "publication_decision_rationale": "public interest; family agree"},
    )
    # Nothing is published until a second business manager has checked the redaction.
    assert not open_tasks(api, case_id, "Task_PublishReport")
    redact = ("Task_PrepareRedactedReport", {"redacted_report_reference": "SAR-redacted-v1"})
    second_person_check(api, db_url, case_id, redact, ("Task_CheckRedaction", {"redaction_checked": True}))
    complete(
        api, case_id, "Task_PublishReport", {"published_at": "2026-03-16", "publication_url": "https://example.org/sar"}
    )
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-03-20", "has_actions": True})

    case = get_case(api, case_id)
    assert case["status"] == "open" and case["stages"] == ["Waiting: Action plan closed"]
    deliver(api, case_id, "action_plan_closed")
    ends = ended_at(api, case_id)
    assert sorted(ends) == [
        "EndEvent_ActionPlanCompleted",
        "EndEvent_SarCompletionEscalationHandled",
        "EndEvent_SarInformationEscalationHandled",
    ]
    record = get_case(api, case_id)["record"]
    assert {k: record[k] for k in ALL_MET} == ALL_MET
    assert record["decision"] == "mandatory" and record["decision_at"] == "2025-08-31"
    assert record["decision_rationale"] == "self-neglect; agencies did not share concerns"
    assert record["legal_mandate"] == "Care Act 2014 s44(1)-(3) (mandatory)"
    assert (record["review_period_from"], record["review_period_to"]) == ("2024-09-01", "2025-08-15")
    assert record["methodology"] == "scie_systems" and record["reviewer_name"] == "A. Reviewer"
    assert record["reviewer_declared_affiliations"] == "none"
    assert record["review_completed_at"] == "2026-02-27" and record["recommendation_count"] == 4
    assert record["published_at"] == "2026-03-16" and record["has_actions"] is True
    assert record["redacted_report_reference"] == "SAR-redacted-v1" and record["redaction_checked"] is True


def test_not_a_sar_informs_the_referrer_and_closes(api: Api) -> None:
    case_id = open_review(api, "sar", referral_date="2026-01-31", agencies=AGENCIES)["id"]
    decide(api, case_id, "not_a_sar", "2026-02-10", NOT_MET)
    case = get_case(api, case_id)
    assert case["stages"] == ["SAR decision"]
    assert case["clocks"] == []  # not a SAR: no completion or s45 clock
    assert case["record"]["legal_mandate"] == "Not a SAR: criteria not met"
    inform = open_tasks(api, case_id, "Task_InformReferrer")
    assert len(inform) == 1 and inform[0]["role"] == "business_manager"
    complete(
        api,
        case_id,
        "Task_InformReferrer",
        {"referrer_informed_at": "2026-02-12", "alternative_response": "single-agency learning review by ASC"},
    )
    assert ended_at(api, case_id) == ["EndEvent_NotASar"]
    record = get_case(api, case_id)["record"]
    assert record["decision"] == "not_a_sar" and record["referrer_informed_at"] == "2026-02-12"
    assert record["s44_criteria_met"] is False


@pytest.mark.usefixtures("recorded_dates_may_be_ahead")
def test_discretionary_sar_not_published_with_no_actions_closes_without_escalations(api: Api) -> None:
    # Dated today: nothing is due yet, so no escalation fires on the way.
    today = dt.date.today()
    later = (today + dt.timedelta(days=40)).isoformat()
    case_id = open_review(api, "sar", referral_date=today.isoformat(), agencies=AGENCIES)["id"]
    criteria = {**NOT_MET, "concern_about_joint_working": True}  # no death, no serious abuse: s44(4)
    decide(api, case_id, "discretionary", today.isoformat(), criteria)
    case = get_case(api, case_id)
    assert case["record"]["legal_mandate"] == "Care Act 2014 s44(4) (discretionary)"
    assert clock(case, "completion")["status"] in ("on_time", "due_soon")
    assert clock(case, "completion")["due_date"] > (today + dt.timedelta(days=150)).isoformat()
    run_review_to_publication_decision(
        api, case_id, information_due_by=later, received=today.isoformat(), draft=later, final=later
    )
    assert not [t for t in open_tasks(api, case_id) if t["stage"] == "Escalation"]
    complete(
        api,
        case_id,
        "Task_DecideOnPublication",
        {"publication_decision": "do_not_publish", "publication_decision_rationale": "the family object; summary only"},
    )
    assert not open_tasks(api, case_id, "Task_PublishReport")  # straight on to the action plan
    assert get_case(api, case_id)["stages"] == ["Action plan"]
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": later, "has_actions": False})
    assert ended_at(api, case_id) == ["EndEvent_NoActions"]
    case = get_case(api, case_id)
    assert clock(case, "completion")["status"] == "met" and clock(case, "information")["status"] == "met"
    assert "published_at" not in case["record"]
    assert case["record"]["publication_decision_rationale"] == "the family object; summary only"


def test_completion_clock_follows_the_partnership_setting(api: Api, db_url: str) -> None:
    set_settings(db_url, sar_completion_months=9)
    case_id = open_review(api, "sar", referral_date="2025-05-20", agencies=AGENCIES)["id"]
    decide(api, case_id, "mandatory", "2025-05-31", ALL_MET)
    # Saturday 31 May 2025 + 9 months = 31 February 2026 → clamped to 28 February 2026.
    assert clock(get_case(api, case_id), "completion")["due_date"] == "2026-02-28"
    # The draft's escalation timer uses the same setting: end of 28 February 2026, GMT.
    run_review_to_publication_decision(
        api, case_id, information_due_by="2025-07-01", received="2025-07-01", draft="2025-09-01", final="2026-03-02"
    )
    case = get_case(api, case_id)
    assert clock(case, "completion")["status"] == "met_late"  # Monday 2 March 2026 is after the 28th
    # Both deadlines were missed, but the information came in and the report was finished: both escalations
    # closed by themselves, each saying why, and none is left open.
    assert [t for t in open_tasks(api, case_id) if t["stage"] == "Escalation"] == []
    listed = api.as_("business_manager").get(
        "/api/v1/tasks", params={"case_id": case_id, "state": "cancelled", "scope": "all"}
    )
    closed = {t["element_id"]: t["messages"] for t in listed.json()["items"] if t["stage"] == "Escalation"}
    assert sorted(closed) == ["Task_EscalateSarCompletionOverdue", "Task_EscalateSarInformationOverdue"]
    assert all([m["code"] for m in messages] == ["escalation.resolved"] for messages in closed.values())
