"""Section 11 / s175 / adult self-assessment audits driven over HTTP: cycles, brought-forward answers, clocks."""

from __future__ import annotations

from typing import Any

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import clock, complete, ended_at, get_case, open_tasks

CASE_TYPE = "section11_audit"
AGENCIES = ["police", "health", "la"]
RATINGS = {"police": "met", "health": "partly_met", "la": "not_met"}


def _open(api: Api, kind: str, issued_at: str, agencies: list[str] = AGENCIES) -> dict[str, Any]:
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "members": api.review_team(),
            "case_type": CASE_TYPE,
            "title": f"{kind} audit {issued_at[:4]}",
            "subject_pseudonym": "Partner agencies",
            "involved_agencies": agencies,
            "data": {"audit_kind": kind, "issued_at": issued_at},
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def self_assessment(agency: str) -> dict[str, Any]:
    """An agency's answers: every standard rated, with a narrative, and evidence for some."""
    answers: dict[str, Any] = {}
    for n in range(1, 9):
        answers[f"standard_{n}_rating"] = "met" if n % 2 else RATINGS[agency]
        answers[f"standard_{n}_narrative"] = f"{agency} standard {n}"
        if n <= 4:
            answers[f"standard_{n}_evidence"] = f"{agency} evidence {n}"
    return answers


def run_to_board(api: Api, case_id: str, *, issued: str, collated: str, board: str, agencies: list[str]) -> None:
    """Issue, every agency's self-assessment, collation, analysis, challenge, agency plans, board report."""
    complete(api, case_id, "Task_IssueStandards", {"standards_version": "2024 v2", "issued_to_agencies_at": issued})
    tasks = open_tasks(api, case_id, "Task_SelfAssess")
    assert sorted(t["agency"] for t in tasks) == sorted(agencies)  # one self-assessment per involved agency
    assert {t["role"] for t in tasks} == {"agency_safeguarding_lead"}
    for agency in agencies:
        complete(api, case_id, "Task_SelfAssess", self_assessment(agency), agency=agency)
    complete(api, case_id, "Task_CollateSelfAssessments", {"returns_complete_at": collated})
    complete(
        api,
        case_id,
        "Task_AnalyseReturns",
        {"analysis_summary": "supervision is the common gap", "agencies_with_gaps": "health, la"},
    )
    assert get_case(api, case_id)["stages"] == ["Challenge event"]
    complete(
        api,
        case_id,
        "Task_HoldChallengeEvent",
        {
            "challenge_event_date": collated,
            "challenges_raised": "LA: evidence for standard 8",
            "agencies_attended": ", ".join(agencies),
        },
    )
    assert get_case(api, case_id)["stages"] == ["Agency action plans"]
    for agency in agencies:
        complete(
            api,
            case_id,
            "Task_AgreeAgencyActionPlan",
            {"actions_agreed": f"{agency}: supervision audit", "agreed_at": collated, "target_date": board},
            agency=agency,
        )
    complete(
        api,
        case_id,
        "Task_ReportToBoard",
        {"board_report_date": board, "board_report_summary": "two agencies with gaps; plans agreed"},
    )


def _handle_escalations(api: Api, case_id: str) -> int:
    tasks = open_tasks(api, case_id, "Task_EscalateSelfAssessmentOverdue")
    for task in tasks:
        assert task["role"] == "business_manager" and task["stage"] == "Escalation"
        complete(api, case_id, "Task_EscalateSelfAssessmentOverdue", {"escalation_note": "raised at the board"})
    return len(tasks)


def test_section11_three_agencies_to_board_report_then_waits_for_the_next_cycle(api: Api) -> None:
    case = _open(api, "section11", "2026-04-02")
    case_id = case["id"]
    assert case["reference"].startswith("S11-2026-")
    assert case["stages"] == ["Issue"]
    # Issued Thursday 2 April 2026: 20 working days skip Good Friday (3 April), Easter Monday (6 April) and the
    # early May bank holiday (Monday 4 May): Tue 7 - Fri 10 April (4), 13-17 (9), 20-24 (14),
    # 27 April - Friday 1 May (19), Tuesday 5 May (20).
    assert clock(case, "returns")["due_date"] == "2026-05-05"
    # Six calendar months from Thursday 2 April 2026: Friday 2 October 2026.
    assert clock(case, "board_report")["due_date"] == "2026-10-02"
    record = case["record"]
    assert record["legal_mandate"] == "Children Act 2004 s11"
    assert record["cycle_months"] == 24 and record["return_by"] == "2026-05-05"

    complete(api, case_id, "Task_IssueStandards", {"standards_version": "v3", "issued_to_agencies_at": "2026-04-02"})
    tasks = open_tasks(api, case_id, "Task_SelfAssess")
    assert all(t["due_at"].startswith("2026-05-05T22:59:59") for t in tasks)  # end of day, London (BST)
    assert _handle_escalations(api, case_id) == 1  # that date is past: escalated at once
    # The form is labelled with the standards; the first answer of a first audit has nothing to bring forward.
    detail = api.as_("agency_safeguarding_lead:police").get(f"/api/v1/tasks/{tasks[0]['id']}").json()
    props = detail["form_schema"]["properties"]
    assert props["standard_5_rating"]["title"] == "Standard 5: Safer recruitment"
    assert detail["suggested_data"] is None

    for agency in AGENCIES:
        complete(api, case_id, "Task_SelfAssess", self_assessment(agency), agency=agency)
    assert get_case(api, case_id)["stages"] == ["Self-assessment"]  # collation follows
    complete(api, case_id, "Task_CollateSelfAssessments", {"returns_complete_at": "2026-05-05"})
    case = get_case(api, case_id)
    assert clock(case, "returns")["status"] == "met"  # on the due date itself
    complete(api, case_id, "Task_AnalyseReturns", {"analysis_summary": "gaps", "agencies_with_gaps": "la"})
    # The challenge event is the partnership chair's: the business manager may not record it.
    challenge = open_tasks(api, case_id, "Task_HoldChallengeEvent")
    assert [t["role"] for t in challenge] == ["partnership_chair"]
    refused = api.as_("business_manager").post(
        f"/api/v1/tasks/{challenge[0]['id']}/complete",
        json={"data": {"challenge_event_date": "2026-06-10", "challenges_raised": "x", "agencies_attended": "y"}},
    )
    assert refused.status_code == 403, refused.text
    complete(
        api,
        case_id,
        "Task_HoldChallengeEvent",
        {"challenge_event_date": "2026-06-10", "challenges_raised": "LA supervision", "agencies_attended": "all"},
    )
    for agency in AGENCIES:
        complete(
            api,
            case_id,
            "Task_AgreeAgencyActionPlan",
            {"actions_agreed": "supervision audit", "agreed_at": "2026-06-24", "target_date": "2026-12-31"},
            agency=agency,
        )
    complete(
        api,
        case_id,
        "Task_ReportToBoard",
        {"board_report_date": "2026-10-05", "board_report_summary": "plans agreed"},
    )
    case = get_case(api, case_id)
    # The next cycle is due 24 months after issue (2 April 2028): the case waits for it.
    assert case["status"] == "open" and case["stages"] == ["Waiting: Next cycle due"]
    assert clock(case, "board_report")["status"] == "met_late"  # Monday 5 October, after Friday 2 October
    record = case["record"]
    assert record["review_completed_at"] == "2026-10-05" and record["next_issue_date"] == "2028-04-02"
    assert record["challenge_event_date"] == "2026-06-10" and record["standards_version"] == "v3"
    assert not open_tasks(api, case_id)


def test_s175_cycle_opens_the_next_with_answers_brought_forward(api: Api) -> None:
    # Issued Thursday 28 March 2024: Good Friday (29 March) and Easter Monday (1 April 2024) are skipped:
    # Tue 2 - Fri 5 April (4), 8-12 (9), 15-19 (14), 22-26 (19), Monday 29 April 2024 (20).
    case = _open(api, "s175", "2024-03-28")
    case_id = case["id"]
    assert clock(case, "returns")["due_date"] == "2024-04-29"
    assert case["record"]["cycle_months"] == 12
    assert case["record"]["legal_mandate"] == "Education Act 2002 s175 and s157"
    run_to_board(api, case_id, issued="2024-03-28", collated="2024-04-26", board="2024-07-15", agencies=AGENCIES)
    assert _handle_escalations(api, case_id) == 0  # the returns are in: the escalation closed by itself
    # 12 months after issue (28 March 2025) is past, so the timer fired and the next cycle opened.
    assert ended_at(api, case_id) == ["EndEvent_NextCycleOpened"]
    first = get_case(api, case_id)
    assert clock(first, "returns")["status"] == "met" and clock(first, "board_report")["status"] == "met"
    links = first["links"]
    assert len(links) == 1 and links[0]["relation"] == "next_cycle"
    listed = api.as_("business_manager").get("/api/v1/cases", params={"case_type": CASE_TYPE}).json()["items"]
    nxt = next(c for c in listed if c["id"] != case_id)
    second = get_case(api, nxt["id"])
    assert second["record"]["audit_kind"] == "s175" and second["record"]["issued_at"] == "2025-03-28"
    assert sorted(second["involved_agencies"]) == sorted(AGENCIES)
    # Issued Friday 28 March 2025: Good Friday 18 April and Easter Monday 21 April 2025 are skipped:
    # Mon 31 March - Fri 4 April (5), 7-11 (10), 14-17 (14), Tue 22 - Fri 25 (18), Mon 28 (19), Tue 29 April (20).
    assert clock(second, "returns")["due_date"] == "2025-04-29"

    complete(
        api, second["id"], "Task_IssueStandards", {"standards_version": "2025", "issued_to_agencies_at": "2025-03-28"}
    )
    tasks = open_tasks(api, second["id"], "Task_SelfAssess")
    assert sorted(t["agency"] for t in tasks) == sorted(AGENCIES)
    for task in tasks:
        agency = task["agency"]
        detail = api.as_(f"agency_safeguarding_lead:{agency}").get(f"/api/v1/tasks/{task['id']}")
        assert detail.status_code == 200, detail.text
        suggested = detail.json()["suggested_data"]
        # Last cycle's answers, brought forward (optional fields left empty are not offered).
        assert suggested == self_assessment(agency)
    # The police lead submits last year's answers exactly as offered.
    police = next(t for t in tasks if t["agency"] == "police")
    lead = api.as_("agency_safeguarding_lead:police")
    detail = lead.get(f"/api/v1/tasks/{police['id']}")
    brought = detail.json()["suggested_data"]
    done = lead.post(
        f"/api/v1/tasks/{police['id']}/complete",
        json={"data": brought},
        headers={"If-Match": detail.headers["etag"]},
    )
    assert done.status_code == 200, done.text
    completed = api.as_("business_manager").get(f"/api/v1/tasks/{police['id']}").json()
    assert completed["state"] == "completed"
    assert len(open_tasks(api, second["id"], "Task_SelfAssess")) == 2


def test_adult_self_assessment_recent_issue_is_on_time(api: Api) -> None:
    now = today()
    case = _open(api, "adult_self_assessment", now, agencies=["asc", "health"])
    assert case["record"]["legal_mandate"].startswith("Care Act 2014")
    assert case["record"]["cycle_months"] == 24
    assert clock(case, "returns")["status"] in ("on_time", "due_soon")
    complete(api, case["id"], "Task_IssueStandards", {"standards_version": "v1", "issued_to_agencies_at": now})
    assert not open_tasks(api, case["id"], "Task_EscalateSelfAssessmentOverdue")  # not due yet
    refused = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "members": api.review_team(),
            "case_type": CASE_TYPE,
            "title": "x",
            "subject_pseudonym": "x",
            "involved_agencies": ["asc"],
            "data": {"audit_kind": "annual", "issued_at": now},
        },
    )
    assert refused.status_code == 422, refused.text  # not one of the three kinds


def test_answers_are_brought_forward_only_from_an_audit_of_the_same_kind(api: Api) -> None:
    section11 = _open(api, "section11", "2026-01-05", ["education"])["id"]
    complete(api, section11, "Task_IssueStandards", {"standards_version": "v1", "issued_to_agencies_at": "2026-01-05"})
    complete(api, section11, "Task_SelfAssess", self_assessment("police"), agency="education")
    lead = api.as_("agency_safeguarding_lead:education")

    def offered(case_id: str) -> Any:
        complete(
            api, case_id, "Task_IssueStandards", {"standards_version": "v1", "issued_to_agencies_at": "2026-02-02"}
        )
        task = open_tasks(api, case_id, "Task_SelfAssess")[0]
        return lead.get(f"/api/v1/tasks/{task['id']}").json()["suggested_data"]

    # The schools return is a different audit: the Section 11 answers are not offered there.
    assert offered(_open(api, "s175", "2026-02-02", ["education"])["id"]) is None
    assert offered(_open(api, "section11", "2026-02-02", ["education"])["id"]) == self_assessment("police")


def test_a_task_etag_changes_when_the_answers_brought_forward_do(api: Api) -> None:
    """Completing the step in another case changes the suggestion, not the task's version: the ETag still moves."""
    earlier = _open(api, "section11", "2026-01-05", ["education"])["id"]
    later = _open(api, "section11", "2026-02-02", ["education"])["id"]
    for case_id in (earlier, later):
        complete(
            api, case_id, "Task_IssueStandards", {"standards_version": "v1", "issued_to_agencies_at": "2026-02-02"}
        )
    (task,) = open_tasks(api, later, "Task_SelfAssess")
    lead = api.as_("agency_safeguarding_lead:education")
    url = f"/api/v1/tasks/{task['id']}"
    first = lead.get(url)
    assert first.status_code == 200 and first.json()["suggested_data"] is None
    assert lead.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304

    complete(api, earlier, "Task_SelfAssess", self_assessment("police"), agency="education")
    after = lead.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200, after.text  # not 304: the body changed
    assert after.json()["suggested_data"] == self_assessment("police")
    assert after.json()["version"] == first.json()["version"]
    assert after.headers["etag"] != first.headers["etag"]
    assert lead.get(url, headers={"If-None-Match": after.headers["etag"]}).status_code == 304
    # If-Match guards the task's state, which only the version names: the ETag read before still completes it.
    done = lead.post(
        f"{url}/complete", json={"data": after.json()["suggested_data"]}, headers={"If-Match": first.headers["etag"]}
    )
    assert done.status_code == 200, done.text
