"""The CSPR lifecycle driven end to end over HTTP, every branch, with real working-day clocks."""

from __future__ import annotations

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import clock, complete, get_case, open_case, open_tasks, run_rapid_review, second_person_check

AGENCIES = ["police", "health", "la"]


def test_local_review_from_notification_to_publication_over_easter(api: Api, db_url: str) -> None:
    # Thursday 2 April 2026: Good Friday (3 April) and Easter Monday (6 April) are not working days.
    case = open_case(api, aware_at="2026-04-02", agencies=AGENCIES)
    case_id = case["id"]
    assert case["reference"].startswith("CSPR-")
    assert case["stages"] == ["Notification"]
    assert clock(case, "notification")["due_date"] == "2026-04-13"  # Tue 7 .. Mon 13 April
    assert clock(case, "rapid_review")["due_date"] == "2026-04-27"
    assert clock(case, "notification")["status"] == "overdue"  # these dates are long past

    # The notification deadline has passed, so the escalation fired for the business manager.
    escalations = open_tasks(api, case_id, "Task_EscalatePanelNotificationOverdue")
    assert len(escalations) == 1 and escalations[0]["role"] == "business_manager"
    notify = open_tasks(api, case_id, "Task_NotifyPanel")[0]
    assert notify["due_at"].startswith("2026-04-13T22:59:59")  # end of day, London (BST)

    complete(api, case_id, "Task_NotifyPanel", {"notified_at": "2026-04-08"})
    info = open_tasks(api, case_id, "Task_ProvideRapidReviewInformation")
    assert sorted(t["agency"] for t in info) == sorted(AGENCIES)  # one task per involved agency
    assert {t["role"] for t in info} == {"agency_safeguarding_lead"}
    for agency in AGENCIES:
        complete(
            api,
            case_id,
            "Task_ProvideRapidReviewInformation",
            {"agency_involvement": "contact in March", "chronology_summary": "attached"},
            agency=agency,
        )
    complete(
        api,
        case_id,
        "Task_HoldRapidReviewMeeting",
        {
            "meeting_date": "2026-04-20",
            "decision": "local_cspr",
            "decision_at": "2026-04-20",
            "decision_rationale": "reg 11 criteria met",
        },
    )
    complete(api, case_id, "Task_SendRapidReviewToPanel", {"sent_to_panel_at": "2026-04-22"})
    complete(
        api,
        case_id,
        "Task_RecordPanelResponse",
        {"panel_response": "agrees", "panel_response_at": "2026-05-01"},
    )
    case = get_case(api, case_id)
    assert clock(case, "notification")["status"] == "met"
    assert clock(case, "rapid_review")["status"] == "met"
    assert clock(case, "publication")["due_date"] == "2026-10-20"  # six calendar months from the decision

    complete(
        api,
        case_id,
        "Task_ScopeReview",
        {"review_period_from": "2025-01-01", "review_period_to": "2026-04-01", "scope_summary": "12 months"},
    )
    complete(api, case_id, "Task_AgreeTermsOfReference", {"terms_of_reference": "ToR v1", "methodology": "silp"})
    # A reviewer affiliated with an involved agency is refused; the appointment comes back.
    complete(
        api,
        case_id,
        "Task_AppointIndependentReviewer",
        {
            "reviewer_name": "R. Smith",
            "reviewer_declared_affiliations": "health",
            "reviewer_declaration_signed": True,
        },
    )
    [again] = open_tasks(api, case_id, "Task_AppointIndependentReviewer")
    [why] = api.as_("business_manager").get(f"/api/v1/tasks/{again['id']}").json()["messages"]
    assert why["code"] == "cspr.reviewer_not_independent" and "R. Smith" in why["text"], why
    instance_id = case["instance_id"]
    variables = api.as_("business_manager").get(f"/api/v1/process-instances/{instance_id}").json()["variables"]
    assert "R. Smith" in variables["independence_refusal"]
    complete(
        api,
        case_id,
        "Task_AppointIndependentReviewer",
        {
            "reviewer_name": "J. Doe",
            "reviewer_declared_affiliations": "",
            "reviewer_declaration_signed": True,
        },
    )

    complete(
        api,
        case_id,
        "Task_InvolvePractitioners",
        {"practitioner_sessions_held": 3, "practitioner_involvement_summary": "two workshops"},
    )
    complete(
        api,
        case_id,
        "Task_OfferFamilyInvolvement",
        {"family_offer_made_at": "2026-06-01", "family_response": "accepted"},
    )
    complete(
        api,
        case_id,
        "Task_WriteDraftReport",
        {"draft_report_reference": "draft-1", "draft_submitted_at": "2026-08-01"},
    )
    complete(api, case_id, "Task_QualityAssureDraft", {"qa_outcome": "revisions_needed", "qa_comments": "tighten"})
    complete(
        api,
        case_id,
        "Task_ReviseDraftReport",
        {"draft_report_reference": "draft-2", "revision_summary": "ok"},
    )
    complete(api, case_id, "Task_QualityAssureDraft", {"qa_outcome": "approved"})
    complete(
        api,
        case_id,
        "Task_SubmitFinalReport",
        {"final_report_reference": "final", "final_report_at": "2026-09-01"},
    )
    complete(
        api,
        case_id,
        "Task_DecideOnPublication",
        {"publication_decision": "publish", "publication_decision_rationale": "public interest"},
    )
    # Nothing goes to the Panel, Secretary of State or Ofsted before the redaction has had a second person's check:
    # the business manager redacts, the partnership chair checks, and someone holding both roles is refused.
    assert not open_tasks(api, case_id, "Task_SendReportBeforePublication")
    redact = ("Task_PrepareRedactedReport", {"redacted_report_reference": "final-redacted"})
    second_person_check(api, db_url, case_id, redact, ("Task_CheckRedaction", {"redaction_checked": True}))
    # Sent on Thursday 1 October for Monday 5 October: under 7 working days, so publication is rescheduled.
    complete(
        api,
        case_id,
        "Task_SendReportBeforePublication",
        {"report_sent_at": "2026-10-01", "planned_publication_date": "2026-10-05"},
    )
    assert len(open_tasks(api, case_id, "Task_ReschedulePublication")) == 1
    complete(api, case_id, "Task_ReschedulePublication", {"planned_publication_date": "2026-10-20"})
    # The publication date (already past) is reached at once; publishing is next.
    complete(
        api,
        case_id,
        "Task_PublishReport",
        {"published_at": "2026-10-20", "publication_url": "https://example.org/cspr-k"},
    )
    complete(
        api,
        case_id,
        "Task_RecordRecommendations",
        {"recommendations": "1. Share information\n2. Escalate", "recommendation_count": 2},
    )

    # Escalations raised on the way closed by themselves as each overdue step was done: nothing is left open.
    assert open_tasks(api, case_id) == []
    case = get_case(api, case_id)
    assert case["status"] == "closed" and case["stages"] == ["Closed"] and case["closed_at"]
    assert clock(case, "publication")["status"] == "met"
    assert clock(case, "pre_publication") == {
        "key": "pre_publication",
        "reason": None,
        "name": clock(case, "pre_publication")["name"],
        "due_date": "2026-10-09",
        "status": "met",
        "met_on": "2026-10-01",
    }
    record = case["record"]
    assert record["methodology"] == "silp" and record["reviewer_name"] == "J. Doe"
    assert record["published_at"] == "2026-10-20" and record["recommendation_count"] == 2
    assert record["redacted_report_reference"] == "final-redacted" and record["redaction_checked"] is True
    instance = api.as_("business_manager").get(f"/api/v1/process-instances/{instance_id}").json()
    assert instance["status"] == "completed" and instance["active_element_ids"] == []


def test_no_further_review_closes_the_case(api: Api) -> None:
    now = today()
    case = open_case(api, aware_at=now)
    assert not open_tasks(api, case["id"], "Task_EscalatePanelNotificationOverdue")  # not due yet
    assert clock(case, "notification")["status"] in ("on_time", "due_soon")
    run_rapid_review(api, case["id"], decision="no_further_review", notified_at=now, decided_at=now)
    case = get_case(api, case["id"])
    assert case["status"] == "closed"
    assert [c["key"] for c in case["clocks"]] == ["notification", "rapid_review"]  # no publication clock
    assert case["record"]["decision"] == "no_further_review"


def test_national_review_records_the_outcome_and_recommendations(api: Api) -> None:
    now = today()
    case = open_case(api, aware_at=now)
    run_rapid_review(api, case["id"], decision="national_review", notified_at=now, decided_at=now)
    assert get_case(api, case["id"])["stages"] == ["National review"]
    complete(
        api,
        case["id"],
        "Task_RecordNationalReviewOutcome",
        {"national_report_received_at": now, "national_findings": "see national report"},
    )
    complete(
        api,
        case["id"],
        "Task_RecordRecommendations",
        {"recommendations": "1. Act", "recommendation_count": 1},
    )
    assert get_case(api, case["id"])["status"] == "closed"


def test_report_not_published_records_why(api: Api) -> None:
    now = today()
    case_id = open_case(api, aware_at=now)["id"]
    run_rapid_review(api, case_id, decision="local_cspr", notified_at=now, decided_at=now)
    for element, answers in [
        (
            "Task_ScopeReview",
            {"review_period_from": "2025-01-01", "review_period_to": now, "scope_summary": "s"},
        ),
        ("Task_AgreeTermsOfReference", {"terms_of_reference": "t", "methodology": "scie_systems"}),
        ("Task_AppointIndependentReviewer", {"reviewer_name": "A", "reviewer_declaration_signed": True}),
        (
            "Task_InvolvePractitioners",
            {"practitioner_sessions_held": 1, "practitioner_involvement_summary": "s"},
        ),
        ("Task_OfferFamilyInvolvement", {"family_offer_made_at": now, "family_response": "declined"}),
        ("Task_WriteDraftReport", {"draft_report_reference": "d", "draft_submitted_at": now}),
        ("Task_QualityAssureDraft", {"qa_outcome": "approved"}),
        ("Task_SubmitFinalReport", {"final_report_reference": "f", "final_report_at": now}),
        (
            "Task_DecideOnPublication",
            {
                "publication_decision": "do_not_publish",
                "publication_decision_rationale": "sibling would be identified",
            },
        ),
    ]:
        complete(api, case_id, element, answers)
    case = get_case(api, case_id)
    assert "publication" not in [c["key"] for c in case["clocks"]]  # no publication clock once declined
    # The report the Panel and Secretary of State receive is the redacted one, checked by the chair.
    assert not open_tasks(api, case_id, "Task_SendFinalReportToPanelAndSecretaryOfState")
    complete(api, case_id, "Task_PrepareRedactedReport", {"redacted_report_reference": "f-redacted"})
    check = open_tasks(api, case_id, "Task_CheckRedaction")
    assert [(t["role"], t["stage"]) for t in check] == [("partnership_chair", "Publication")]
    complete(api, case_id, "Task_CheckRedaction", {"redaction_checked": True})
    complete(
        api,
        case_id,
        "Task_SendFinalReportToPanelAndSecretaryOfState",
        {"report_sent_at": now, "not_publishing_reason": "risk of identifying a sibling"},
    )
    complete(api, case_id, "Task_RecordRecommendations", {"recommendations": "1. Act", "recommendation_count": 1})
    case = get_case(api, case_id)
    assert case["status"] == "closed"
    assert case["record"]["not_publishing_reason"] == "risk of identifying a sibling"
