"""The child death review lifecycle over HTTP: every branch, the NCMD clock, and the linked CSPR it can open."""

from __future__ import annotations

from typing import Any

from service.engine.functions import add_days, today
from tests.conftest import Api
from tests.helpers import clock, complete, ended_at, get_case, open_review, open_tasks

CASE_TYPE = "child_death_review"
MANDATE = "Children Act 2004 s16M (child death review partners)"


def open_cdr(api: Api, *, death_date: str, expected: bool, agencies: list[str] | None = None) -> dict[str, Any]:
    return open_review(
        api,
        CASE_TYPE,
        referral_date=death_date,
        agencies=agencies,
        subject="Child D",
        data={"death_date": death_date, "death_expected": expected},
    )


def panel_review(api: Api, case_id: str, *, meeting_on: str, panel_on: str, submitted_on: str) -> None:
    """Child death review meeting, CDOP and the national database submission."""
    complete(
        api,
        case_id,
        "Task_HoldChildDeathReviewMeeting",
        {"cdrm_date": meeting_on, "summary": "sudden unexpected death in infancy; unsafe sleeping"},
    )
    complete(
        api,
        case_id,
        "Task_ReviewAtChildDeathOverviewPanel",
        {
            "cdop_date": panel_on,
            "modifiable_factors": "identified",
            "preventability": "potentially preventable",
            "decision": "learning_identified",
            "decision_at": panel_on,
            "decision_rationale": "safe sleeping advice not repeated after the move",
        },
    )
    complete(api, case_id, "Task_RecordNcmdSubmission", {"ncmd_submission_at": submitted_on})


def assert_closed_as_moot(api: Api, case_id: str, escalation_id: str) -> None:
    """The escalation closed by itself once the NCMD was notified, saying so on the task and in the audit log."""
    bm = api.as_("business_manager")
    task = bm.get(f"/api/v1/tasks/{escalation_id}").json()
    assert task["state"] == "cancelled", task
    assert task["messages"] == [
        {
            "level": "info",
            "text": "Closed by itself: 'Immediate decision-making and notification' was completed, "
            "so this escalation is no longer needed",
            "code": "escalation.resolved",
        }
    ]
    audit = bm.get("/api/v1/audit-events", params={"object_id": escalation_id}).json()["items"]
    assert [event["action"] for event in audit] == ["task.closed_moot"]
    assert "no longer needed" in audit[0]["summary"]
    assert [t for t in open_tasks(api, case_id) if t["stage"] == "Escalation"] == []


def test_unexpected_death_referred_for_rapid_review_opens_a_linked_cspr(api: Api) -> None:
    agencies = ["police", "health", "education"]
    # Death on Saturday 2 May 2026. The NCMD clock counts calendar days (48 hours), so it falls on
    # Monday 4 May 2026 although that is the early May bank holiday.
    case = open_cdr(api, death_date="2026-05-02", expected=False, agencies=agencies)
    case_id = case["id"]
    assert case["reference"].startswith("CDR-")
    assert clock(case, "ncmd_notification")["due_date"] == "2026-05-04"
    assert "Immediate decision-making" in case["stages"]
    notify = open_tasks(api, case_id, "Task_NotifyNcmd")[0]
    assert notify["role"] == "business_manager"
    assert notify["due_at"].startswith("2026-05-04T22:59:59")  # end of day, London (BST)
    [escalation] = open_tasks(api, case_id, "Task_EscalateNcmdNotificationOverdue")  # past, fired at once

    complete(api, case_id, "Task_NotifyNcmd", {"ncmd_notified_at": "2026-05-05", "coroner_informed": True})
    assert_closed_as_moot(api, case_id, escalation["id"])
    case = get_case(api, case_id)
    assert clock(case, "ncmd_notification")["status"] == "met_late"
    assert "Joint agency response" in case["stages"]  # the death was unexpected
    responses = open_tasks(api, case_id, "Task_JointAgencyResponse")
    assert sorted(t["agency"] for t in responses) == sorted(agencies)
    assert {t["role"] for t in responses} == {"agency_safeguarding_lead"}
    for agency in agencies:
        complete(
            api,
            case_id,
            "Task_JointAgencyResponse",
            {"jar_contribution": f"{agency}: home visit and history", "jar_concerns_about_care": agency == "health"},
            agency=agency,
        )

    # Only the review group holds the panel's tasks: the business manager is refused.
    complete(api, case_id, "Task_HoldChildDeathReviewMeeting", {"cdrm_date": "2026-06-10", "summary": "s"})
    panel_task = open_tasks(api, case_id, "Task_ReviewAtChildDeathOverviewPanel")[0]
    assert panel_task["stage"] == "Child death overview panel"
    refused = api.as_("business_manager").post(
        f"/api/v1/tasks/{panel_task['id']}/complete",
        json={"data": {"cdop_date": "2026-07-01"}},
    )
    assert refused.status_code == 403, refused.text
    complete(
        api,
        case_id,
        "Task_ReviewAtChildDeathOverviewPanel",
        {
            "cdop_date": "2026-07-01",
            "modifiable_factors": "identified",
            "preventability": "potentially preventable",
            "decision": "learning_identified",
            "decision_at": "2026-07-01",
            "decision_rationale": "concerns about neglect were not shared",
        },
    )
    complete(api, case_id, "Task_RecordNcmdSubmission", {"ncmd_submission_at": "2026-07-03"})
    assert get_case(api, case_id)["record"]["review_completed_at"] == "2026-07-01"

    # CDOP refers the death for a rapid review; the partnership became aware on Friday 22 May 2026.
    complete(
        api,
        case_id,
        "Task_DecideRapidReviewReferral",
        {
            "refer_for_rapid_review": True,
            "aware_at": "2026-05-22",
            "rapid_review_referral_rationale": "neglect suspected",
        },
    )
    # The case closed at once: nothing waited on the moot escalation, whose branch was withdrawn.
    assert ended_at(api, case_id) == ["EndEvent_ReferredForRapidReview"]

    case = get_case(api, case_id)
    [link] = case["links"]
    assert link["case_type"] == "cspr" and link["direction"] == "opened"
    assert link["relation"] == "referred_for_rapid_review" and link["reference"].startswith("CSPR-")

    cspr = get_case(api, link["case_id"])
    assert cspr["case_type"] == "cspr" and cspr["status"] == "open"
    assert cspr["title"] == f"Rapid review of the death in {case['reference']}"
    assert cspr["subject_pseudonym"] == "Child D" and sorted(cspr["involved_agencies"]) == sorted(agencies)
    assert cspr["links"] == [
        {
            "case_id": case_id,
            "reference": case["reference"],
            "case_type": CASE_TYPE,
            "relation": "referred_for_rapid_review",
            "direction": "opened_by",
        }
    ]
    assert cspr["record"]["aware_at"] == "2026-05-22" and cspr["record"]["incident_type"] == "death"
    # The CSPR's own clocks run from awareness: the spring bank holiday (Mon 25 May 2026) is skipped.
    # Notification: Tue 26 (1), Wed 27 (2), Thu 28 (3), Fri 29 (4), Mon 1 June (5).
    assert clock(cspr, "notification")["due_date"] == "2026-06-01"
    # Rapid review: 26-29 May (4), 1-5 June (9), 8-12 June (14), Mon 15 June (15).
    assert clock(cspr, "rapid_review")["due_date"] == "2026-06-15"
    assert len(open_tasks(api, cspr["id"], "Task_NotifyPanel")) == 1

    record = case["record"]
    assert record["legal_mandate"] == MANDATE
    assert record["death_date"] == "2026-05-02" and record["death_expected"] is False
    assert record["ncmd_notified_at"] == "2026-05-05" and record["ncmd_submission_at"] == "2026-07-03"
    assert record["cdrm_date"] == "2026-06-10" and record["cdop_date"] == "2026-07-01"
    assert record["modifiable_factors"] == "identified" and record["preventability"] == "potentially preventable"
    assert record["decision"] == "learning_identified" and record["decision_at"] == "2026-07-01"
    assert record["decision_rationale"] == "concerns about neglect were not shared"
    assert record["refer_for_rapid_review"] is True and record["aware_at"] == "2026-05-22"
    standard = case["review_record"]
    assert standard["legal_mandate"] == MANDATE and standard["decision"] == "learning_identified"
    assert standard["completed"] is True
    assert standard["time_taken_days"] == 60  # Sat 2 May to Wed 1 July 2026: 29 + 30 + 1


def test_expected_death_skips_the_joint_agency_response_and_ends_without_referral(api: Api) -> None:
    # Death on Wednesday 24 December 2025: two calendar days later is Boxing Day, Friday 26 December.
    case = open_cdr(api, death_date="2025-12-24", expected=True)
    case_id = case["id"]
    assert clock(case, "ncmd_notification")["due_date"] == "2025-12-26"
    [escalation] = open_tasks(api, case_id, "Task_EscalateNcmdNotificationOverdue")  # the timer is long past
    complete(api, case_id, "Task_NotifyNcmd", {"ncmd_notified_at": "2025-12-26"})
    assert_closed_as_moot(api, case_id, escalation["id"])
    case = get_case(api, case_id)
    assert clock(case, "ncmd_notification")["status"] == "met"
    assert open_tasks(api, case_id, "Task_JointAgencyResponse") == []
    assert "Child death review meeting" in case["stages"]

    panel_review(api, case_id, meeting_on="2026-01-14", panel_on="2026-02-11", submitted_on="2026-02-12")
    assert "Child death overview panel" in get_case(api, case_id)["stages"]
    complete(
        api,
        case_id,
        "Task_DecideRapidReviewReferral",
        {"refer_for_rapid_review": False, "rapid_review_referral_rationale": "no abuse or neglect"},
    )
    assert ended_at(api, case_id) == ["EndEvent_ReviewCompleted"]
    case = get_case(api, case_id)
    assert case["links"] == []
    assert case["record"]["review_completed_at"] == "2026-02-11"
    assert case["record"]["refer_for_rapid_review"] is False


def test_referral_without_an_awareness_date_is_refused_and_nothing_changes(api: Api) -> None:
    now = today()
    case = open_cdr(api, death_date=now, expected=True, agencies=["la"])
    case_id = case["id"]
    # Not due yet: no escalation.
    assert clock(case, "ncmd_notification")["due_date"] == add_days(now, 2)
    assert clock(case, "ncmd_notification")["status"] in ("on_time", "due_soon")
    assert open_tasks(api, case_id, "Task_EscalateNcmdNotificationOverdue") == []
    complete(api, case_id, "Task_NotifyNcmd", {"ncmd_notified_at": now})
    panel_review(api, case_id, meeting_on=now, panel_on=now, submitted_on=now)

    [decide] = open_tasks(api, case_id, "Task_DecideRapidReviewReferral")
    client = api.as_("case_review_group_member")
    etag = client.get(f"/api/v1/tasks/{decide['id']}").headers["etag"]
    refused = client.post(
        f"/api/v1/tasks/{decide['id']}/complete",
        json={"data": {"refer_for_rapid_review": True, "rapid_review_referral_rationale": "neglect"}},
        headers={"If-Match": etag},
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["data.aware_at"]
    assert [t["id"] for t in open_tasks(api, case_id, "Task_DecideRapidReviewReferral")] == [decide["id"]]
    case = get_case(api, case_id)
    assert case["status"] == "open" and case["links"] == []
    cases = api.as_("business_manager").get("/api/v1/cases", params={"case_type": "cspr"}).json()["items"]
    assert cases == []  # no CSPR was opened

    complete(
        api,
        case_id,
        "Task_DecideRapidReviewReferral",
        {"refer_for_rapid_review": True, "aware_at": now, "rapid_review_referral_rationale": "neglect"},
    )
    assert ended_at(api, case_id) == ["EndEvent_ReferredForRapidReview"]
    [link] = get_case(api, case_id)["links"]
    cspr = get_case(api, link["case_id"])
    assert cspr["record"]["aware_at"] == now
    assert clock(cspr, "notification")["status"] in ("on_time", "due_soon")
