"""The Domestic Homicide Review lifecycle (bpmn/dhr.bpmn) driven over HTTP: every branch to every end event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import select

from service.db.session import unit_of_work
from service.models import Partnership
from tests.conftest import Api
from tests.helpers import clock, complete, deliver, ended_at, get_case, open_review, open_tasks, second_person_check

AGENCIES = ["police", "health", "probation"]
POLICE_NOTIFICATION = {"referral_source": "police_notification"}
LEGAL_MANDATE = "Domestic Violence, Crime and Victims Act 2004 s9"


def set_settings(db_url: str, **values: Any) -> None:
    """Change the demo partnership's process settings (there is no API for them yet)."""
    with unit_of_work(url=db_url) as session:
        partnership = session.exec(select(Partnership).where(Partnership.key == "northshire")).one()
        partnership.settings = {**(partnership.settings or {}), **values}
        session.add(partnership)


def handle_escalation(api: Api, case_id: str, element_id: str) -> None:
    escalations = open_tasks(api, case_id, element_id)
    assert len(escalations) == 1, escalations
    assert escalations[0]["role"] == "business_manager" and escalations[0]["stage"] == "Escalation"
    complete(api, case_id, element_id, {"escalation_note": "raised with the Community Safety Partnership"})


def decide(api: Api, case_id: str, decision: str, decision_at: str) -> None:
    complete(
        api,
        case_id,
        "Task_DecideOnDhr",
        {"decision": decision, "decision_at": decision_at, "decision_rationale": "killed by her partner"},
    )


def set_up_review(api: Api, case_id: str, *, on: str) -> None:
    complete(api, case_id, "Task_InformHomeOfficeOfReview", {"home_office_informed_at": on})
    complete(
        api,
        case_id,
        "Task_AppointChairAndPanel",
        {
            "reviewer_name": "D. Chair",
            "reviewer_declared_affiliations": "none",
            "methodology": "imr",
            "panel_members": "police, ICB, probation, domestic abuse service",
            "review_period_from": "2021-01-01",
            "review_period_to": "2025-12-31",
            "terms_of_reference": "ToR agreed by the panel",
        },
    )


def provide_imrs(api: Api, case_id: str, on: str) -> None:
    imrs = open_tasks(api, case_id, "Task_ProvideImr")
    assert sorted(t["agency"] for t in imrs) == sorted(AGENCIES)
    assert {t["role"] for t in imrs} == {"agency_safeguarding_lead"}
    for agency in AGENCIES:
        complete(
            api,
            case_id,
            "Task_ProvideImr",
            {"imr_submitted_at": on, "imr_summary": f"{agency} IMR", "chronology_summary": "attached"},
            agency=agency,
        )


SENDING = ("Task_SubmitToHomeOffice", "Task_ResubmitToHomeOffice", "Task_PublishReport")


def nothing_leaves(api: Api, case_id: str) -> None:
    """Nothing is being sent to the Home Office or published: no submission, resubmission or publication is open."""
    assert not [t["element_id"] for t in open_tasks(api, case_id) if t["element_id"] in SENDING]


def anonymise(api: Api, case_id: str, reference: str) -> None:
    """The business manager prepares the anonymised report and a panel member (another person) checks it safe."""
    complete(api, case_id, "Task_PrepareAnonymisedReport", {"anonymised_report_reference": reference})
    nothing_leaves(api, case_id)
    complete(api, case_id, "Task_CheckAnonymisation", {"anonymisation_checked": True})


def form_of(api: Api, case_id: str, element_id: str) -> tuple[str, dict[str, Any]]:
    """The name and form fields of the one open task of ``element_id``."""
    (task,) = open_tasks(api, case_id, element_id)
    detail = api.as_("business_manager").get(f"/api/v1/tasks/{task['id']}")
    assert detail.status_code == 200, detail.text
    return task["name"], detail.json()["form_schema"]["properties"]


def test_review_held_anonymised_and_checked_before_each_submission_then_published(api: Api, db_url: str) -> None:
    # Police notification on Tuesday 3 March 2026: one calendar month is Friday 3 April 2026, Good Friday.
    # Month clocks are calendar months: the bank holiday does not move the due date.
    case = open_review(api, "dhr", referral_date="2026-03-03", agencies=AGENCIES, data=POLICE_NOTIFICATION)
    case_id = case["id"]
    assert case["reference"].startswith("DHR-")
    assert case["stages"] == ["DHR decision"]
    assert clock(case, "decision")["due_date"] == "2026-04-03"
    assert [c["key"] for c in case["clocks"]] == ["decision"]  # no completion clock before the decision
    decision_task = open_tasks(api, case_id, "Task_DecideOnDhr")[0]
    assert decision_task["role"] == "partnership_chair"
    assert decision_task["due_at"].startswith("2026-04-03T22:59:59")  # end of Good Friday, BST
    handle_escalation(api, case_id, "Task_EscalateDhrDecisionOverdue")

    decide(api, case_id, "hold_dhr", "2026-04-02")  # Maundy Thursday, the day before it was due
    case = get_case(api, case_id)
    assert clock(case, "decision")["status"] == "met"
    assert case["record"]["legal_mandate"] == LEGAL_MANDATE
    # Six calendar months from Thursday 2 April 2026: Friday 2 October 2026.
    assert clock(case, "completion")["due_date"] == "2026-10-02"
    assert case["stages"] == ["Setting up the review"]
    set_up_review(api, case_id, on="2026-04-07")  # Tuesday after Easter Monday
    assert get_case(api, case_id)["stages"] == ["Individual management reviews"]
    provide_imrs(api, case_id, "2026-06-01")

    report = open_tasks(api, case_id, "Task_WriteOverviewReport")
    assert report[0]["role"] == "independent_reviewer"
    assert report[0]["due_at"].startswith("2026-10-02T22:59:59")
    handle_escalation(api, case_id, "Task_EscalateDhrCompletionOverdue")
    complete(
        api,
        case_id,
        "Task_WriteOverviewReport",
        {"review_completed_at": "2026-09-25", "recommendation_count": 6, "overview_report_reference": "OR-1"},
    )
    # Nothing goes to the Home Office before it is anonymised and a second person has checked the anonymisation.
    case = get_case(api, case_id)
    assert case["stages"] == ["Anonymisation"]
    assert clock(case, "completion")["met_on"] is None
    nothing_leaves(api, case_id)
    prepare = open_tasks(api, case_id, "Task_PrepareAnonymisedReport")
    assert [(t["role"], t["stage"]) for t in prepare] == [("business_manager", "Anonymisation")]
    # Whoever anonymised the report may not check it, even holding the panel member's role too. The second
    # person finds it still identifies the children: it goes back to be corrected, and still nothing is sent.
    anonymise_v1 = ("Task_PrepareAnonymisedReport", {"anonymised_report_reference": "DHR-anon-v1"})
    not_safe = ("Task_CheckAnonymisation", {"anonymisation_checked": False, "anonymisation_issues": "school named"})
    both_roles = ("business_manager", "case_review_group_member")
    first_preparer = second_person_check(api, db_url, case_id, anonymise_v1, not_safe, roles=both_roles)
    nothing_leaves(api, case_id)
    assert len(open_tasks(api, case_id, "Task_PrepareAnonymisedReport")) == 1
    complete(api, case_id, "Task_PrepareAnonymisedReport", {"anonymised_report_reference": "DHR-anon-v2"})
    nothing_leaves(api, case_id)
    # Only the latest preparation counts: the first preparer did not correct it, so may check it now.
    complete(api, case_id, "Task_CheckAnonymisation", {"anonymisation_checked": True}, as_=first_preparer)

    # The submission sends the anonymised report it was checked as, and asks for no other reference.
    assert not open_tasks(api, case_id, "Task_ResubmitToHomeOffice")
    name, fields = form_of(api, case_id, "Task_SubmitToHomeOffice")
    assert "anonymised report" in name
    assert list(fields) == ["submitted_to_home_office_at"]
    assert "anonymised report" in fields["submitted_to_home_office_at"]["title"]
    assert get_case(api, case_id)["record"]["anonymised_report_reference"] == "DHR-anon-v2"
    complete(api, case_id, "Task_SubmitToHomeOffice", {"submitted_to_home_office_at": "2026-09-30"})
    case = get_case(api, case_id)
    assert clock(case, "completion") == {
        "key": "completion",
        "reason": None,
        "name": clock(case, "completion")["name"],
        "due_date": "2026-10-02",
        "status": "met",
        "met_on": "2026-09-30",
    }
    assert case["stages"] == ["Home Office quality assurance"]

    # The QA Panel returns the report once: the reviewer revises, the revision is anonymised and checked by a
    # second person again, and only then does the business manager resubmit it.
    complete(
        api,
        case_id,
        "Task_RecordQaOutcome",
        {"qa_outcome": "returned_with_changes", "qa_outcome_at": "2026-10-20", "qa_feedback": "more on coercion"},
    )
    assert not open_tasks(api, case_id, "Task_PrepareAnonymisedReport")
    revise = open_tasks(api, case_id, "Task_ReviseReport")
    assert len(revise) == 1 and revise[0]["role"] == "independent_reviewer"
    complete(
        api,
        case_id,
        "Task_ReviseReport",
        {"revised_report_at": "2026-10-28", "revision_summary": "coercive control section added"},
    )
    assert get_case(api, case_id)["stages"] == ["Anonymisation"]
    nothing_leaves(api, case_id)
    anonymise_revision = ("Task_PrepareAnonymisedReport", {"anonymised_report_reference": "DHR-anon-v3"})
    safe = ("Task_CheckAnonymisation", {"anonymisation_checked": True})
    second_person_check(api, db_url, case_id, anonymise_revision, safe, roles=both_roles)
    assert not open_tasks(api, case_id, "Task_SubmitToHomeOffice")  # a revision is resubmitted, not submitted anew
    name, fields = form_of(api, case_id, "Task_ResubmitToHomeOffice")
    assert "anonymised report" in name
    assert list(fields) == ["resubmitted_to_home_office_at"]
    assert "anonymised report" in fields["resubmitted_to_home_office_at"]["title"]
    complete(api, case_id, "Task_ResubmitToHomeOffice", {"resubmitted_to_home_office_at": "2026-11-02"})
    assert clock(get_case(api, case_id), "completion")["met_on"] == "2026-09-30"  # the resubmission does not move it

    # Approved: the anonymised report the Panel approved is published, without anonymising it again.
    complete(
        api,
        case_id,
        "Task_RecordQaOutcome",
        {"qa_outcome": "approved", "qa_outcome_at": "2026-11-20", "qa_feedback": "approved"},
    )
    assert get_case(api, case_id)["stages"] == ["Publication"]
    assert not open_tasks(api, case_id, "Task_PrepareAnonymisedReport")
    assert not open_tasks(api, case_id, "Task_CheckAnonymisation")
    name, fields = form_of(api, case_id, "Task_PublishReport")
    assert "anonymised report" in name and "anonymised report" in fields["published_at"]["title"]
    complete(
        api, case_id, "Task_PublishReport", {"published_at": "2026-11-27", "publication_url": "https://example.org/d"}
    )
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": "2026-11-27", "has_actions": True})
    case = get_case(api, case_id)
    assert case["status"] == "open" and case["stages"] == ["Waiting: Action plan closed"]
    deliver(api, case_id, "action_plan_closed")

    assert sorted(ended_at(api, case_id)) == [
        "EndEvent_ActionPlanCompleted",
        "EndEvent_DhrCompletionEscalationHandled",
        "EndEvent_DhrDecisionEscalationHandled",
    ]
    record = get_case(api, case_id)["record"]
    assert record["referral_source"] == "police_notification"
    assert record["decision"] == "hold_dhr" and record["decision_at"] == "2026-04-02"
    assert record["decision_rationale"] == "killed by her partner" and record["legal_mandate"] == LEGAL_MANDATE
    assert record["home_office_informed_at"] == "2026-04-07"
    assert record["reviewer_name"] == "D. Chair" and record["reviewer_declared_affiliations"] == "none"
    assert record["methodology"] == "imr"
    assert (record["review_period_from"], record["review_period_to"]) == ("2021-01-01", "2025-12-31")
    assert record["review_completed_at"] == "2026-09-25" and record["submitted_to_home_office_at"] == "2026-09-30"
    assert record["resubmitted_to_home_office_at"] == "2026-11-02"
    assert record["qa_outcome"] == "approved" and record["qa_outcome_at"] == "2026-11-20"
    assert record["anonymisation_checked"] is True and record["published_at"] == "2026-11-27"
    assert record["anonymised_report_reference"] == "DHR-anon-v3" and "anonymisation_checked_by" not in record


def test_no_dhr_informs_the_home_office_and_closes(api: Api) -> None:
    # Notified Saturday 31 January 2026: one month on is 31 February, clamped to Saturday 28 February 2026.
    case_id = open_review(api, "dhr", referral_date="2026-01-31", agencies=AGENCIES, data=POLICE_NOTIFICATION)["id"]
    assert clock(get_case(api, case_id), "decision")["due_date"] == "2026-02-28"
    # Only the Community Safety Partnership chair may take the decision.
    task = open_tasks(api, case_id, "Task_DecideOnDhr")[0]
    refused = api.as_("business_manager").post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"data": {"decision": "no_dhr", "decision_at": "2026-03-02", "decision_rationale": "x"}},
    )
    assert refused.status_code == 403 and "partnership_chair" in refused.json()["detail"]
    handle_escalation(api, case_id, "Task_EscalateDhrDecisionOverdue")
    decide(api, case_id, "no_dhr", "2026-03-02")  # Monday 2 March: late
    case = get_case(api, case_id)
    assert [c["key"] for c in case["clocks"]] == ["decision"]  # no completion clock without a review
    assert clock(case, "decision")["status"] == "met_late"
    assert case["stages"] == ["DHR decision"]
    inform = open_tasks(api, case_id, "Task_InformHomeOfficeNoReview")
    assert len(inform) == 1 and inform[0]["role"] == "business_manager"
    complete(api, case_id, "Task_InformHomeOfficeNoReview", {"home_office_informed_at": "2026-03-04"})
    assert sorted(ended_at(api, case_id)) == ["EndEvent_DhrDecisionEscalationHandled", "EndEvent_NoReview"]
    record = get_case(api, case_id)["record"]
    assert record["decision"] == "no_dhr" and record["home_office_informed_at"] == "2026-03-04"
    assert record["legal_mandate"] == "Domestic Violence, Crime and Victims Act 2004 s9 (decision not to hold a review)"


def test_approved_first_time_with_no_actions_and_no_escalation_when_nothing_is_due(api: Api) -> None:
    today = dt.date.today().isoformat()
    case_id = open_review(api, "dhr", referral_date=today, agencies=AGENCIES, data=POLICE_NOTIFICATION)["id"]
    assert clock(get_case(api, case_id), "decision")["status"] in ("on_time", "due_soon")
    assert not open_tasks(api, case_id, "Task_EscalateDhrDecisionOverdue")
    decide(api, case_id, "hold_dhr", today)
    set_up_review(api, case_id, on=today)
    provide_imrs(api, case_id, today)
    assert not open_tasks(api, case_id, "Task_EscalateDhrCompletionOverdue")  # six months away
    complete(api, case_id, "Task_WriteOverviewReport", {"review_completed_at": today, "recommendation_count": 2})
    nothing_leaves(api, case_id)
    anonymise(api, case_id, "DHR-anon-v1")
    complete(api, case_id, "Task_SubmitToHomeOffice", {"submitted_to_home_office_at": today})
    complete(api, case_id, "Task_RecordQaOutcome", {"qa_outcome": "approved", "qa_outcome_at": today})
    assert not open_tasks(api, case_id, "Task_ReviseReport")
    assert not open_tasks(api, case_id, "Task_PrepareAnonymisedReport")  # checked before it was submitted
    complete(api, case_id, "Task_PublishReport", {"published_at": today})
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": today, "has_actions": False})
    assert ended_at(api, case_id) == ["EndEvent_NoActions"]
    case = get_case(api, case_id)
    assert {c["key"]: c["status"] for c in case["clocks"]} == {"decision": "met", "completion": "met"}
    assert "resubmitted_to_home_office_at" not in case["record"]
    assert case["record"]["anonymised_report_reference"] == "DHR-anon-v1"
    assert case["record"]["anonymisation_checked"] is True


def test_clocks_follow_the_partnership_settings(api: Api, db_url: str) -> None:
    set_settings(db_url, dhr_decision_months=2, dhr_completion_months=3)
    case_id = open_review(api, "dhr", referral_date="2025-09-30", agencies=AGENCIES, data=POLICE_NOTIFICATION)["id"]
    assert clock(get_case(api, case_id), "decision")["due_date"] == "2025-11-30"  # 30 Sep + 2 months
    handle_escalation(api, case_id, "Task_EscalateDhrDecisionOverdue")
    decide(api, case_id, "hold_dhr", "2025-11-30")
    # Sunday 30 November 2025 + 3 months = 30 February → Saturday 28 February 2026.
    assert clock(get_case(api, case_id), "completion")["due_date"] == "2026-02-28"
    set_up_review(api, case_id, on="2025-12-01")
    provide_imrs(api, case_id, "2026-01-15")
    assert open_tasks(api, case_id, "Task_WriteOverviewReport")[0]["due_at"].startswith("2026-02-28T23:59:59")
    handle_escalation(api, case_id, "Task_EscalateDhrCompletionOverdue")
