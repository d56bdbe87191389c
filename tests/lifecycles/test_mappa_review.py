"""The MAPPA serious case review lifecycle (bpmn/mappa_review.bpmn) over HTTP: every branch to every end event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import select

from service.db.session import unit_of_work
from service.models import Partnership
from tests.conftest import Api
from tests.helpers import clock, complete, deliver, ended_at, get_case, open_review, open_tasks, second_person_check

AGENCIES = ["police", "probation", "health"]
SFO = {"referral_source": "serious_incident_notification"}
LEGAL_MANDATE = "Criminal Justice Act 2003 s325 (MAPPA guidance, serious case review)"


def set_settings(db_url: str, **values: Any) -> None:
    """Change the demo partnership's process settings (there is no API for them yet)."""
    with unit_of_work(url=db_url) as session:
        partnership = session.exec(select(Partnership).where(Partnership.key == "northshire")).one()
        partnership.settings = {**(partnership.settings or {}), **values}
        session.add(partnership)


def decide(api: Api, case_id: str, decision: str, decision_at: str) -> None:
    complete(
        api,
        case_id,
        "Task_DecideOnReview",
        {
            "decision": decision,
            "decision_at": decision_at,
            "decision_rationale": "SFO by a level 2 offender; concerns about information sharing",
            "serious_further_offence_date": "2025-10-20",
            "mappa_category": "category_2",
            "mappa_level": "level_2",
        },
    )


def prepare_review(api: Api, case_id: str, *, on: str) -> None:
    scoping = open_tasks(api, case_id, "Task_ScopeAgencyInvolvement")
    assert sorted(t["agency"] for t in scoping) == sorted(AGENCIES)
    assert {t["role"] for t in scoping} == {"agency_safeguarding_lead"}
    for agency in AGENCIES:
        complete(
            api,
            case_id,
            "Task_ScopeAgencyInvolvement",
            {"agency_involvement_summary": f"{agency} supervised or treated the offender"},
            agency=agency,
        )
    complete(
        api,
        case_id,
        "Task_AgreePanelAndTerms",
        {
            "panel_members": "police, probation, ICB",
            "lay_adviser_name": "L. Adviser",
            "review_period_from": "2024-01-01",
            "review_period_to": on,
            "terms_of_reference": "ToR approved by the SMB",
        },
    )
    complete(
        api,
        case_id,
        "Task_AppointAuthor",
        {"reviewer_name": "M. Author", "reviewer_declared_affiliations": "none", "methodology": "silp"},
    )


def test_board_returns_the_report_once_then_approves_it_for_publication(api: Api, db_url: str) -> None:
    case = open_review(api, "mappa_review", referral_date="2025-10-31", agencies=AGENCIES, data=SFO)
    case_id = case["id"]
    assert case["reference"].startswith("MAPPA-")
    assert case["stages"] == ["Board decision"]
    assert case["clocks"] == []  # no clock until the Board decides to hold a review
    assert open_tasks(api, case_id, "Task_DecideOnReview")[0]["role"] == "partnership_chair"

    decide(api, case_id, "hold_review", "2025-11-04")
    case = get_case(api, case_id)
    assert case["record"]["legal_mandate"] == LEGAL_MANDATE
    # Tuesday 4 November 2025 + 6 calendar months = Monday 4 May 2026, the early May bank holiday:
    # a calendar-month clock is not moved off a bank holiday.
    assert clock(case, "completion")["due_date"] == "2026-05-04"
    assert case["stages"] == ["Scoping"]
    prepare_review(api, case_id, on="2025-10-20")

    write = open_tasks(api, case_id, "Task_WriteReport")
    assert write[0]["role"] == "independent_reviewer"
    assert write[0]["due_at"].startswith("2026-05-04T22:59:59")  # end of the bank holiday, BST
    escalation = open_tasks(api, case_id, "Task_EscalateMappaCompletionOverdue")
    assert len(escalation) == 1 and escalation[0]["role"] == "business_manager"
    complete(api, case_id, "Task_EscalateMappaCompletionOverdue", {"escalation_note": "reported to the SMB"})
    complete(api, case_id, "Task_WriteReport", {"review_completed_at": "2026-04-30", "recommendation_count": 5})
    assert clock(get_case(api, case_id), "completion")["status"] == "met"
    assert get_case(api, case_id)["stages"] == ["Board approval"]

    # The Board returns the report; the author revises it and it comes back to the Board.
    complete(
        api,
        case_id,
        "Task_BoardApproval",
        {"board_decision": "return_for_changes", "board_decision_at": "2026-05-01", "board_comments": "victim voice"},
    )
    assert not open_tasks(api, case_id, "Task_BoardApproval")
    assert get_case(api, case_id)["stages"] == ["Report"]
    complete(
        api,
        case_id,
        "Task_ReviseReport",
        {"review_completed_at": "2026-05-06", "revision_summary": "victim's perspective added"},
    )
    case = get_case(api, case_id)
    # The report became final on Wednesday 6 May, two days after the clock ran out.
    assert clock(case, "completion") == {
        "key": "completion",
        "reason": None,
        "name": clock(case, "completion")["name"],
        "due_date": "2026-05-04",
        "status": "met_late",
        "met_on": "2026-05-06",
    }
    complete(
        api,
        case_id,
        "Task_BoardApproval",
        {"board_decision": "approve_for_publication", "board_decision_at": "2026-05-12"},
    )
    # A redacted report first, checked by another business manager; the first one still names the victim's street.
    assert not open_tasks(api, case_id, "Task_PublishReport")
    redact = ("Task_PrepareRedactedReport", {"redacted_report_reference": "MAPPA-redacted-v1"})
    not_safe = ("Task_CheckRedaction", {"redaction_checked": False, "redaction_issues": "the victim's street is named"})
    preparer = second_person_check(api, db_url, case_id, redact, not_safe)
    assert not open_tasks(api, case_id, "Task_PublishReport")
    complete(
        api, case_id, "Task_PrepareRedactedReport", {"redacted_report_reference": "MAPPA-redacted-v2"}, as_=preparer
    )
    complete(api, case_id, "Task_CheckRedaction", {"redaction_checked": True})
    publish = open_tasks(api, case_id, "Task_PublishReport")
    assert len(publish) == 1 and publish[0]["role"] == "business_manager"
    complete(api, case_id, "Task_PublishReport", {"published_at": "2026-05-26"})  # after the spring bank holiday
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-05-27", "has_actions": True})
    case = get_case(api, case_id)
    assert case["status"] == "open" and case["stages"] == ["Waiting: Action plan closed"]
    deliver(api, case_id, "action_plan_closed")

    assert sorted(ended_at(api, case_id)) == [
        "EndEvent_ActionPlanCompleted",
        "EndEvent_MappaCompletionEscalationHandled",
    ]
    record = get_case(api, case_id)["record"]
    assert record["decision"] == "hold_review" and record["decision_at"] == "2025-11-04"
    assert record["decision_rationale"].startswith("SFO by a level 2 offender")
    assert record["legal_mandate"] == LEGAL_MANDATE and record["mappa_category"] == "category_2"
    assert record["lay_adviser_name"] == "L. Adviser" and record["terms_of_reference"] == "ToR approved by the SMB"
    assert (record["review_period_from"], record["review_period_to"]) == ("2024-01-01", "2025-10-20")
    assert record["reviewer_name"] == "M. Author" and record["reviewer_declared_affiliations"] == "none"
    assert record["methodology"] == "silp" and record["review_completed_at"] == "2026-05-06"
    assert record["board_decision"] == "approve_for_publication" and record["published_at"] == "2026-05-26"
    assert record["redacted_report_reference"] == "MAPPA-redacted-v2" and record["redaction_checked"] is True


def test_no_review_closes_at_once(api: Api) -> None:
    case_id = open_review(api, "mappa_review", referral_date="2025-12-24", agencies=AGENCIES, data=SFO)["id"]
    # Only the Strategic Management Board (partnership chair lane) decides.
    task = open_tasks(api, case_id, "Task_DecideOnReview")[0]
    refused = api.as_("case_review_group_member").post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"data": {"decision": "no_review", "decision_at": "2025-12-29", "decision_rationale": "x"}},
    )
    assert refused.status_code == 403 and "partnership_chair" in refused.json()["detail"]
    decide(api, case_id, "no_review", "2025-12-29")  # Monday after the Christmas bank holidays
    assert ended_at(api, case_id) == ["EndEvent_NoReview"]
    case = get_case(api, case_id)
    assert case["clocks"] == []
    assert case["record"]["decision"] == "no_review" and case["record"]["legal_mandate"] == LEGAL_MANDATE


def test_approved_not_for_publication_goes_straight_to_an_action_plan_without_actions(api: Api) -> None:
    today = dt.date.today().isoformat()
    case_id = open_review(api, "mappa_review", referral_date=today, agencies=AGENCIES, data=SFO)["id"]
    decide(api, case_id, "hold_review", today)
    prepare_review(api, case_id, on=today)
    assert not open_tasks(api, case_id, "Task_EscalateMappaCompletionOverdue")  # six months away
    assert clock(get_case(api, case_id), "completion")["status"] in ("on_time", "due_soon")
    complete(api, case_id, "Task_WriteReport", {"review_completed_at": today, "recommendation_count": 1})
    complete(
        api,
        case_id,
        "Task_BoardApproval",
        {
            "board_decision": "approve_not_for_publication",
            "board_decision_at": today,
            "board_comments": "victim safety",
        },
    )
    assert not open_tasks(api, case_id, "Task_PublishReport")
    assert get_case(api, case_id)["stages"] == ["Action plan"]
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": today, "has_actions": False})
    assert ended_at(api, case_id) == ["EndEvent_NoActions"]
    record = get_case(api, case_id)["record"]
    assert record["board_decision"] == "approve_not_for_publication" and "published_at" not in record
    assert record["board_comments"] == "victim safety"


def test_completion_clock_follows_the_partnership_setting(api: Api, db_url: str) -> None:
    set_settings(db_url, mappa_completion_months=12)
    case_id = open_review(api, "mappa_review", referral_date="2024-02-20", agencies=AGENCIES, data=SFO)["id"]
    decide(api, case_id, "hold_review", "2024-02-29")
    # Thursday 29 February 2024 (leap day) + 12 months: no 29 February in 2025, so Friday 28 February 2025.
    assert clock(get_case(api, case_id), "completion")["due_date"] == "2025-02-28"
    prepare_review(api, case_id, on="2024-02-01")
    assert open_tasks(api, case_id, "Task_WriteReport")[0]["due_at"].startswith("2025-02-28T23:59:59")  # GMT
