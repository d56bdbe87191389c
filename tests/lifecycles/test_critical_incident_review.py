"""The critical incident review lifecycle over HTTP: every branch to every end, working-day clocks over holidays."""

from __future__ import annotations

from typing import Any

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import clock, complete, deliver, ended_at, get_case, open_review, open_tasks

CASE_TYPE = "critical_incident_review"
AGENCIES = ["police", "health", "education"]
MANDATE = "Non-statutory: critical incident review under the partnership's learning and improvement framework"


def commission(api: Api, case_id: str, *, decision: str, decided_at: str) -> None:
    complete(
        api,
        case_id,
        "Task_CommissionReview",
        {"decision": decision, "decision_at": decided_at, "decision_rationale": "learning for three agencies"},
    )


def give_accounts(api: Api, case_id: str, agencies: list[str]) -> None:
    for agency in agencies:
        complete(
            api,
            case_id,
            "Task_ProvideImmediateAccount",
            {"immediate_account": f"{agency}: what we knew and did", "agency_immediate_actions": "staff debriefed"},
            agency=agency,
        )


def workshop(api: Api, case_id: str, *, on: str) -> None:
    complete(
        api,
        case_id,
        "Task_HoldRootCauseAnalysisWorkshop",
        {
            "workshop_date": on,
            "methodology": "root_cause_analysis",
            "reviewer_name": "P. Patel",
            "reviewer_declared_affiliations": "none",
            "review_period_from": "2025-10-01",
            "review_period_to": "2026-03-31",
            "root_causes": "no shared risk assessment; hand-over gap at weekends",
        },
    )


def write_report(api: Api, case_id: str, *, final_on: str, reference: str) -> None:
    complete(
        api,
        case_id,
        "Task_WriteReport",
        {
            "report_reference": reference,
            "review_completed_at": final_on,
            "immediate_actions_taken": "weekend hand-over protocol issued",
        },
    )


def finish_escalations(api: Api, case_id: str) -> int:
    """Handle every open escalation (timers in the past fire at once); return how many there were."""
    escalations = [t for t in open_tasks(api, case_id) if t["stage"] == "Escalation"]
    for task in escalations:
        assert task["role"] == "business_manager"
        complete(api, case_id, task["element_id"], {"escalation_note": "chased at the case review group"})
    return len(escalations)


def variables(api: Api, case: dict[str, Any]) -> dict[str, Any]:
    response = api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}")
    assert response.status_code == 200, response.text
    return response.json()["variables"]  # type: ignore[no-any-return]


def test_review_over_easter_with_a_returned_report_and_an_action_plan(api: Api) -> None:
    case = open_review(api, CASE_TYPE, referral_date="2026-03-30", agencies=AGENCIES, subject="Child M")
    case_id = case["id"]
    assert case["reference"].startswith("CIR-")
    assert case["stages"] == ["Commissioning"]
    assert case["clocks"] == []  # both clocks only apply once a review is commissioned

    # Only the case review group commissions: the independent reviewer holds another role.
    task = open_tasks(api, case_id, "Task_CommissionReview")[0]
    refused = api.as_("independent_reviewer").post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"data": {"decision": "hold_review", "decision_at": "2026-04-02", "decision_rationale": "x"}},
    )
    assert refused.status_code == 403, refused.text
    assert "case_review_group_member" in refused.json()["detail"]

    # Decision on Thursday 2 April 2026. Good Friday (3 April) and Easter Monday (6 April) are bank holidays:
    # working days Tue 7 (1), Wed 8 (2), Thu 9 (3), Fri 10 (4), Mon 13 April (5).
    commission(api, case_id, decision="hold_review", decided_at="2026-04-02")
    case = get_case(api, case_id)
    assert case["record"]["legal_mandate"] == MANDATE
    assert clock(case, "agency_accounts")["due_date"] == "2026-04-13"
    assert clock(case, "completion")["due_date"] == "2026-07-02"  # 3 calendar months (default setting)
    assert clock(case, "agency_accounts")["status"] == "overdue"  # long past
    assert "Rapid fact-finding" in case["stages"]

    accounts = open_tasks(api, case_id, "Task_ProvideImmediateAccount")
    assert sorted(t["agency"] for t in accounts) == sorted(AGENCIES)  # one per involved agency
    assert {t["role"] for t in accounts} == {"agency_safeguarding_lead"}
    assert all(t["due_at"].startswith("2026-04-13T22:59:59") for t in accounts)  # end of day, London (BST)
    # The deadline has passed, so the escalation is already with the business manager.
    escalations = open_tasks(api, case_id, "Task_EscalateAgencyAccountsOverdue")
    assert len(escalations) == 1 and escalations[0]["role"] == "business_manager"

    give_accounts(api, case_id, AGENCIES)
    complete(
        api,
        case_id,
        "Task_CollateAgencyAccounts",
        {"agency_accounts_received_at": "2026-04-10", "fact_finding_summary": "timeline agreed"},
    )
    case = get_case(api, case_id)
    assert clock(case, "agency_accounts")["status"] == "met"
    assert clock(case, "agency_accounts")["met_on"] == "2026-04-10"
    assert "Root cause analysis" in case["stages"]

    workshop(api, case_id, on="2026-05-06")
    # The first report (Friday 26 June) is returned; the second (Friday 3 July) is one day late.
    write_report(api, case_id, final_on="2026-06-26", reference="CIR report v1")
    complete(api, case_id, "Task_AcceptReport", {"report_outcome": "return_for_changes", "report_comments": "why?"})
    assert len(open_tasks(api, case_id, "Task_WriteReport")) == 1  # back with the reviewer
    assert "Report" in get_case(api, case_id)["stages"]
    write_report(api, case_id, final_on="2026-07-03", reference="CIR report v2")
    complete(api, case_id, "Task_AcceptReport", {"report_outcome": "accepted"})
    case = get_case(api, case_id)
    assert clock(case, "completion") == {
        "key": "completion",
        "reason": None,
        "name": clock(case, "completion")["name"],
        "due_date": "2026-07-02",
        "status": "met_late",
        "met_on": "2026-07-03",
    }

    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-07-20", "has_actions": True})
    case = get_case(api, case_id)
    assert "Waiting: Action plan closed" in case["stages"]
    assert finish_escalations(api, case_id) == 0  # the accounts are in: the escalation closed by itself
    assert get_case(api, case_id)["status"] == "open"  # still waiting for the action plan
    deliver(api, case_id, "action_plan_closed")

    assert ended_at(api, case_id) == ["EndEvent_ActionPlanCompleted"]
    case = get_case(api, case_id)
    assert case["stages"] == ["Closed"]
    record = case["record"]
    assert record["decision"] == "hold_review" and record["decision_at"] == "2026-04-02"
    assert record["decision_rationale"] == "learning for three agencies"
    assert record["legal_mandate"] == MANDATE
    assert record["methodology"] == "root_cause_analysis" and record["reviewer_name"] == "P. Patel"
    assert record["reviewer_declared_affiliations"] == "none"
    assert (record["review_period_from"], record["review_period_to"]) == ("2025-10-01", "2026-03-31")
    assert record["review_completed_at"] == "2026-07-03"  # the accepted version
    assert record["immediate_actions_taken"] == "weekend hand-over protocol issued"
    assert record["report_reference"] == "CIR report v2"
    assert record["has_actions"] is True and record["action_plan_agreed_at"] == "2026-07-20"
    standard = case["review_record"]
    assert standard["legal_mandate"] == MANDATE and standard["methodology"] == "root_cause_analysis"
    assert standard["completed"] is True
    assert standard["time_taken_days"] == 95  # Mon 30 March to Fri 3 July 2026: 1 + 30 + 31 + 30 + 3


def test_no_review_closes_the_case_without_clocks(api: Api) -> None:
    case_id = open_review(api, CASE_TYPE, referral_date="2026-05-01")["id"]
    commission(api, case_id, decision="no_review", decided_at="2026-05-05")
    assert ended_at(api, case_id) == ["EndEvent_NoReview"]
    case = get_case(api, case_id)
    assert case["clocks"] == []
    assert case["record"]["decision"] == "no_review" and case["record"]["legal_mandate"] == MANDATE
    assert open_tasks(api, case_id) == []


def test_accepted_report_without_actions_over_christmas(api: Api) -> None:
    case_id = open_review(api, CASE_TYPE, referral_date="2025-12-22", agencies=["la", "probation"])["id"]
    # Decision Wednesday 24 December 2025: Christmas Day (Thu 25) and Boxing Day (Fri 26) are bank holidays,
    # then Mon 29 (1), Tue 30 (2), Wed 31 (3); New Year's Day (Thu 1 Jan) is a bank holiday; Fri 2 Jan (4),
    # Mon 5 January 2026 (5).
    commission(api, case_id, decision="hold_review", decided_at="2025-12-24")
    case = get_case(api, case_id)
    assert clock(case, "agency_accounts")["due_date"] == "2026-01-05"
    assert clock(case, "completion")["due_date"] == "2026-03-24"
    assert open_tasks(api, case_id, "Task_ProvideImmediateAccount")[0]["due_at"].startswith("2026-01-05T23:59:59")

    give_accounts(api, case_id, ["la", "probation"])
    complete(api, case_id, "Task_CollateAgencyAccounts", {"agency_accounts_received_at": "2026-01-06"})
    assert clock(get_case(api, case_id), "agency_accounts")["status"] == "met_late"
    workshop(api, case_id, on="2026-01-20")
    write_report(api, case_id, final_on="2026-03-20", reference="final")
    complete(api, case_id, "Task_AcceptReport", {"report_outcome": "accepted"})
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-03-25", "has_actions": False})
    assert finish_escalations(api, case_id) == 0  # the accounts are in: the escalation closed by itself
    assert ended_at(api, case_id) == ["EndEvent_ClosedNoActions"]
    case = get_case(api, case_id)
    assert clock(case, "completion")["status"] == "met"
    assert case["record"]["has_actions"] is False


def test_accounts_not_yet_due_raise_no_escalation(api: Api) -> None:
    now = today()
    case_id = open_review(api, CASE_TYPE, referral_date=now, agencies=["asc"])["id"]
    commission(api, case_id, decision="hold_review", decided_at=now)
    case = get_case(api, case_id)
    assert clock(case, "agency_accounts")["status"] in ("on_time", "due_soon")
    assert open_tasks(api, case_id, "Task_EscalateAgencyAccountsOverdue") == []
    [account] = open_tasks(api, case_id, "Task_ProvideImmediateAccount")
    assert account["agency"] == "asc" and account["due_at"] is not None
    # The process keeps the agencies' task data apart: the lead of another agency cannot even see it.
    hidden = api.as_("agency_safeguarding_lead:police").get(f"/api/v1/tasks/{account['id']}")
    assert hidden.status_code == 404
    assert variables(api, case)["decision"] == "hold_review"
