"""The annual training needs analysis driven over HTTP: returns per level, coverage, next cycle, clocks."""

from __future__ import annotations

from typing import Any

import pytest

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import clock, complete, ended_at, get_case, open_tasks

CASE_TYPE = "training_needs_analysis"
AGENCIES = ["police", "health", "la"]


def _open(api: Api, tna_year: str, issued_at: str, agencies: list[str] = AGENCIES) -> dict[str, Any]:
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "members": api.review_team(),
            "case_type": CASE_TYPE,
            "title": f"Training needs analysis {tna_year}",
            "subject_pseudonym": "Partner agencies",
            "involved_agencies": agencies,
            "data": {"tna_year": tna_year, "issued_at": issued_at},
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def tna_return(scale: int) -> dict[str, int]:
    """An agency's return: workforce 10*scale per level, trained 6*scale, needing 4*scale; level 5 has no staff."""
    answers: dict[str, int] = {}
    for level in range(1, 6):
        workforce = 0 if level == 5 else 10 * scale
        answers[f"workforce_level_{level}"] = workforce
        answers[f"trained_level_{level}"] = 0 if level == 5 else 6 * scale
        answers[f"needing_level_{level}"] = 0 if level == 5 else 4 * scale
    return answers


def run_to_programme(api: Api, case_id: str, *, issued: str, next_year: str, agencies: list[str]) -> None:
    """Issue, every agency's return, collation, analysis and the programme."""
    complete(api, case_id, "Task_IssueTna", {"issued_to_agencies_at": issued})
    for scale, agency in enumerate(agencies, start=1):
        complete(api, case_id, "Task_ReturnTna", tna_return(scale), agency=agency)
    complete(api, case_id, "Task_CollateTnaReturns", {"returns_complete_at": issued})
    complete(
        api,
        case_id,
        "Task_AnalyseCoverage",
        {"analysis_summary": "level 3 coverage is low", "priorities": "level 3 for health"},
    )
    assert get_case(api, case_id)["stages"] == ["Programme"]
    complete(
        api,
        case_id,
        "Task_AgreeProgramme",
        {"programme_agreed_at": issued, "programme_summary": "six level 3 courses", "next_tna_year": next_year},
    )


def test_analysis_from_2024_opens_the_next_year(api: Api) -> None:
    case = _open(api, "2024-25", "2024-03-28")
    case_id = case["id"]
    assert case["reference"].startswith("TNA-")
    assert case["stages"] == ["Issue"]
    # Issued Thursday 28 March 2024: Good Friday (29 March) and Easter Monday (1 April 2024) are skipped:
    # Tue 2 - Fri 5 April (4), 8-12 (9), 15-19 (14), 22-26 (19), Monday 29 April 2024 (20).
    assert clock(case, "returns")["due_date"] == "2024-04-29"
    complete(api, case_id, "Task_IssueTna", {"issued_to_agencies_at": "2024-03-28"})
    returns = open_tasks(api, case_id, "Task_ReturnTna")
    assert sorted(t["agency"] for t in returns) == sorted(AGENCIES)  # one return per agency's lead
    assert {t["role"] for t in returns} == {"agency_safeguarding_lead"}
    assert all(t["due_at"].startswith("2024-04-29T22:59:59") for t in returns)  # end of day, London (BST)
    escalations = open_tasks(api, case_id, "Task_EscalateTnaReturnsOverdue")
    assert len(escalations) == 1 and escalations[0]["stage"] == "Escalation"

    # Counts cannot be negative; and the business manager cannot return for an agency.
    police = next(t for t in returns if t["agency"] == "police")
    lead = api.as_("agency_safeguarding_lead:police")
    bad = lead.post(f"/api/v1/tasks/{police['id']}/complete", json={"data": {**tna_return(1), "needing_level_2": -1}})
    assert bad.status_code == 422, bad.text
    refused = api.as_("business_manager").post(f"/api/v1/tasks/{police['id']}/complete", json={"data": tna_return(1)})
    assert refused.status_code == 403, refused.text

    for scale, agency in enumerate(AGENCIES, start=1):
        complete(api, case_id, "Task_ReturnTna", tna_return(scale), agency=agency)
    assert get_case(api, case_id)["stages"] == ["Agency returns"]
    complete(api, case_id, "Task_CollateTnaReturns", {"returns_complete_at": "2024-04-30"})
    assert clock(get_case(api, case_id), "returns")["status"] == "met_late"
    complete(api, case_id, "Task_AnalyseCoverage", {"analysis_summary": "gaps", "priorities": "level 3"})
    complete(
        api,
        case_id,
        "Task_AgreeProgramme",
        {"programme_agreed_at": "2024-06-12", "next_tna_year": "2025-26"},
    )
    # The returns are in, so their escalation closed by itself; 12 months after 28 March 2024 is long past:
    # the next analysis opened at once.
    assert open_tasks(api, case_id, "Task_EscalateTnaReturnsOverdue") == []
    assert ended_at(api, case_id) == ["EndEvent_NextCycleOpened"]
    first = get_case(api, case_id)
    record = first["record"]
    assert record["tna_year"] == "2024-25" and record["programme_agreed_at"] == "2024-06-12"
    assert record["review_completed_at"] == "2024-06-12" and record["next_issue_date"] == "2025-03-28"
    assert record["legal_mandate"].startswith("Working Together")
    assert [link["relation"] for link in first["links"]] == ["next_cycle"]
    listed = api.as_("business_manager").get("/api/v1/cases", params={"case_type": CASE_TYPE}).json()["items"]
    nxt = next(c for c in listed if c["id"] != case_id)
    assert nxt["title"] == "Training needs analysis 2025-26"
    second = get_case(api, nxt["id"])
    assert second["record"]["tna_year"] == "2025-26" and second["record"]["issued_at"] == "2025-03-28"
    assert second["stages"] == ["Issue"]


def test_recent_analysis_waits_for_the_next_cycle(api: Api) -> None:
    now = today()
    case = _open(api, "2026-27", now, agencies=["police", "education"])
    assert clock(case, "returns")["status"] in ("on_time", "due_soon")
    run_to_programme(api, case["id"], issued=now, next_year="2027-28", agencies=["police", "education"])
    assert not open_tasks(api, case["id"], "Task_EscalateTnaReturnsOverdue")  # returned in time
    case = get_case(api, case["id"])
    assert case["status"] == "open" and case["stages"] == ["Waiting: Next analysis due"]
    assert clock(case, "returns")["status"] == "met"


@pytest.mark.usefixtures("recorded_dates_may_be_ahead")
def test_christmas_issue_return_date(api: Api) -> None:
    # Issued Wednesday 23 December 2026: Christmas Day (Fri 25), the substitute Boxing Day (Mon 28) and New Year's
    # Day (Fri 1 January 2027) are skipped: Thu 24 (1), Tue 29 - Thu 31 (4), Mon 4 - Fri 8 January (9), 11-15 (14),
    # 18-22 (19), Monday 25 January 2027 (20).
    case = _open(api, "2027-28", "2026-12-23", agencies=["police"])
    assert clock(case, "returns")["due_date"] == "2027-01-25"
    complete(api, case["id"], "Task_IssueTna", {"issued_to_agencies_at": "2026-12-23"})
    task = open_tasks(api, case["id"], "Task_ReturnTna")[0]
    assert task["due_at"].startswith("2027-01-25T23:59:59")  # end of day, London (GMT)
