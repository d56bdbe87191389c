"""The training_event lifecycle, driven through the training API (its first two tasks are completed there)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.helpers import clock, complete, ended_at, get_case, open_tasks

BM = "business_manager"


def _post(api: Api, token: str, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = api.as_(token).post(url, json=body)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def _event(api: Api, day: str, *, capacity: int = 6) -> dict[str, Any]:
    course = {"code": "L2-CORE", "title": "Working together", "level": 2}
    if api.as_(BM).get("/api/v1/courses/L2-CORE").status_code == 404:
        _post(api, BM, "/api/v1/courses", course)
    times = {"starts_at": f"{day}T09:30:00+00:00", "ends_at": f"{day}T15:30:00+00:00"}
    return _post(api, BM, "/api/v1/courses/L2-CORE/events", {**times, "capacity": capacity, "online": True})


def _nominate(api: Api, event_id: str, name: str, agency: str) -> str:
    person = {"name": name, "email": f"{name.lower()}@{agency}.example", "agency": agency, "role": "practitioner"}
    trainee = _post(api, f"agency_safeguarding_lead:{agency}", "/api/v1/trainees", person)
    body = {"trainee_id": trainee["id"], "target_group": "group_2"}
    return str(
        _post(api, f"agency_safeguarding_lead:{agency}", f"/api/v1/training-events/{event_id}/nominations", body)["id"]
    )


@pytest.mark.parametrize(
    ("day", "register_due"),
    [
        # Thu 2 April 2026: Good Friday 3 and Easter Monday 6 April are bank holidays -> Tue 7 .. Mon 13 April.
        ("2026-04-02", "2026-04-13"),
        # Thu 30 April 2026: Fri 1 May, then Mon 4 May (early May bank holiday) is skipped -> Tue 5 .. Fri 8 May.
        ("2026-04-30", "2026-05-08"),
        # Fri 22 May 2026: Mon 25 May (spring bank holiday) is skipped -> Tue 26 .. Mon 1 June.
        ("2026-05-22", "2026-06-01"),
        # Tue 23 Dec 2025: Wed 24, then Christmas Day and Boxing Day, Mon 29, Tue 30, Wed 31,
        # New Year's Day (Thu 1 Jan) skipped, Fri 2 Jan 2026.
        ("2025-12-23", "2026-01-02"),
    ],
)
def test_the_register_clock_counts_working_days_over_bank_holidays(api: Api, day: str, register_due: str) -> None:
    event = _event(api, day)
    case = get_case(api, event["case_id"])
    assert case["case_type"] == "training_event" and case["reference"].startswith("TRN-")
    assert case["stages"] == ["Nominations"]
    assert clock(case, "register")["due_date"] == register_due
    assert clock(case, "register")["status"] == "overdue"  # long past, and no register yet
    assert case["record"]["event_date"] == day and case["record"]["course_code"] == "L2-CORE"
    assert case["record"]["capacity"] == 6 and case["record"]["training_event_id"] == event["id"]
    assert case["review_record"] is None  # an event is not a review


def test_an_event_no_one_attended_closes_without_follow_up(api: Api) -> None:
    event = _event(api, "2025-12-23")
    nomination = _nominate(api, event["id"], "Absent", "police")
    _post(api, BM, f"/api/v1/training-events/{event['id']}/selection", {}, status=200)
    assert get_case(api, event["case_id"])["stages"] == ["Delivery"]
    # A case review group member does not hold the business manager's lane role.
    register = {"entries": [{"nomination_id": nomination, "attended": False}], "taken_on": "2025-12-30"}
    denied = api.as_("case_review_group_member").post(
        f"/api/v1/training-events/{event['id']}/attendance", json=register
    )
    assert denied.status_code == 403
    _post(api, BM, f"/api/v1/training-events/{event['id']}/attendance", register, status=200)
    assert ended_at(api, event["case_id"]) == ["EndEvent_NoAttendees"]
    case = get_case(api, event["case_id"])
    assert case["record"]["attendee_count"] == 0 and case["record"]["register_taken_on"] == "2025-12-30"
    assert clock(case, "register")["status"] == "met"  # 30 Dec is before the 2 January due date
    assert [c["key"] for c in case["clocks"]] == ["register"]  # no evaluation clock without attendees


def test_an_attended_event_is_followed_up_by_each_agency_and_evaluated(api: Api) -> None:
    event = _event(api, "2026-04-30")
    case_id = event["case_id"]
    ids = [_nominate(api, event["id"], name, agency) for name, agency in [("Pat", "police"), ("Hana", "health")]]
    _post(api, BM, f"/api/v1/training-events/{event['id']}/selection", {}, status=200)
    entries = [
        {"nomination_id": i, "attended": True, "pre_confidence": 2, "post_confidence": 5, "reaction_score": 5}
        for i in ids
    ]
    _post(
        api,
        BM,
        f"/api/v1/training-events/{event['id']}/attendance",
        {"entries": entries, "taken_on": "2026-05-11"},
        status=200,
    )
    case = get_case(api, case_id)
    assert clock(case, "register")["status"] == "met_late"  # due Fri 8 May (early May bank holiday on the 4th)
    # 30 July 2026 (3 months on) has passed: the follow-up went to each attendee's agency lead.
    follow_ups = open_tasks(api, case_id, "Task_FollowUpWithAttendee")
    assert sorted(t["agency"] for t in follow_ups) == ["health", "police"]
    assert case["stages"] == ["Follow-up"]
    for agency, name in [("police", "Pat"), ("health", "Hana")]:
        # Each follow-up says whom it is about (the task's subject), so a lead can tell them apart.
        assert [t["subject"] for t in follow_ups if t["agency"] == agency] == [name], follow_ups
        answers: dict[str, Any] = {
            "behaviour_change": "some",
            "practice_example": "Called a strategy meeting",
        }
        answers |= {"supervisor_name": "Sam Super", "supervisor_confirms": True, "outcome_link": ""}
        complete(api, case_id, "Task_FollowUpWithAttendee", answers, agency=agency)
    assert get_case(api, case_id)["stages"] == ["Evaluation"]
    complete(
        api,
        case_id,
        "Task_EvaluateEvent",
        {
            "evaluation_summary": "Good",
            "results_summary": "Not yet known",
            "course_change_needed": True,
            "evaluated_at": "2026-08-28",
        },
    )
    assert ended_at(api, case_id) == ["EndEvent_Evaluated"]
    case = get_case(api, case_id)
    # Evaluation due 4 months after 30 April 2026 (3 months' follow-up and a month to evaluate): 30 August.
    assert clock(case, "evaluation")["due_date"] == "2026-08-30" and clock(case, "evaluation")["status"] == "met"
    assert case["record"]["course_change_needed"] is True and case["record"]["attendee_count"] == 2
    assert case["stages"] == ["Closed"]
