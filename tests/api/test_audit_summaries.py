"""Audit summaries over HTTP: the Section 11 self-assessment matrix and training coverage, with who sees what."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.helpers import complete
from tests.lifecycles.test_section11_audit import self_assessment
from tests.lifecycles.test_training_needs_analysis import tna_return

INVOLVED = ["police", "health", "la", "education"]
RETURNING = ["police", "health", "la"]


def _open(api: Api, case_type: str, data: dict[str, Any]) -> str:
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "members": api.review_team(),
            "case_type": case_type,
            "title": "Audit",
            "subject_pseudonym": "Partner agencies",
            "involved_agencies": INVOLVED,
            "data": data,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _section11_with_three_returns(api: Api) -> str:
    case_id = _open(api, "section11_audit", {"audit_kind": "section11", "issued_at": "2026-04-02"})
    complete(api, case_id, "Task_IssueStandards", {"standards_version": "v3", "issued_to_agencies_at": "2026-04-02"})
    for agency in RETURNING:
        complete(api, case_id, "Task_SelfAssess", self_assessment(agency), agency=agency)
    return case_id


def _tna_with_three_returns(api: Api) -> str:
    case_id = _open(api, "training_needs_analysis", {"tna_year": "2026-27", "issued_at": "2026-04-02"})
    complete(api, case_id, "Task_IssueTna", {"issued_to_agencies_at": "2026-04-02"})
    for scale, agency in enumerate(RETURNING, start=1):
        complete(api, case_id, "Task_ReturnTna", tna_return(scale), agency=agency)
    return case_id


def test_self_assessment_matrix_for_case_managers(api: Api) -> None:
    case_id = _section11_with_three_returns(api)
    response = api.as_("case_review_group_member").get(f"/api/v1/audits/{case_id}/self-assessment")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["audit_kind"] == "section11" and body["case_reference"].startswith("S11-")
    assert [s["number"] for s in body["standards"]] == list(range(1, 9))
    titles = {s["number"]: s["title"] for s in body["standards"]}
    assert titles[5] == "Standard 5: Safer recruitment" and titles[7] == "Standard 7: Information sharing"
    # Odd standards: every agency rated them met; even ones: police met, health partly met, LA not met.
    counts = {s["number"]: s["counts"] for s in body["standards"]}
    assert counts[1] == {"met": 3, "partly_met": 0, "not_met": 0}
    assert counts[2] == {"met": 1, "partly_met": 1, "not_met": 1}
    rows = {row["agency"]: row for row in body["agencies"]}
    assert list(rows) == INVOLVED
    assert rows["police"]["counts"] == {"met": 8, "partly_met": 0, "not_met": 0}
    assert rows["health"]["counts"] == {"met": 4, "partly_met": 4, "not_met": 0}
    assert rows["la"]["counts"] == {"met": 4, "partly_met": 0, "not_met": 4}
    la_8 = next(r for r in rows["la"]["ratings"] if r["standard"] == 8)
    assert la_8 == {"standard": 8, "rating": "not_met", "narrative": "la standard 8"}
    assert rows["education"]["returned"] is False and rows["education"]["ratings"] == []
    assert body["not_returned"] == ["education"]


def test_agency_lead_sees_only_its_own_row(api: Api) -> None:
    case_id = _section11_with_three_returns(api)
    response = api.as_("agency_safeguarding_lead:health").get(f"/api/v1/audits/{case_id}/self-assessment")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [row["agency"] for row in body["agencies"]] == ["health"]
    assert next(s for s in body["standards"] if s["number"] == 2)["counts"] == {
        "met": 0,
        "partly_met": 1,
        "not_met": 0,
    }
    assert body["not_returned"] == []
    pending = api.as_("agency_safeguarding_lead:education").get(f"/api/v1/audits/{case_id}/self-assessment")
    assert pending.json()["not_returned"] == ["education"]
    # An agency not involved in the audit does not see it; nor does another partnership; other roles are refused.
    assert (
        api.as_("agency_safeguarding_lead:probation").get(f"/api/v1/audits/{case_id}/self-assessment").status_code
        == 404
    )
    assert api.as_("other").get(f"/api/v1/audits/{case_id}/self-assessment").status_code == 404
    assert api.as_("independent_reviewer").get(f"/api/v1/audits/{case_id}/self-assessment").status_code == 403


def test_wrong_case_type_is_a_conflict(api: Api) -> None:
    tna_id = _open(api, "training_needs_analysis", {"tna_year": "2026-27", "issued_at": "2026-04-02"})
    s11_id = _open(api, "section11_audit", {"audit_kind": "s175", "issued_at": "2026-04-02"})
    wrong = api.as_("business_manager").get(f"/api/v1/audits/{tna_id}/self-assessment")
    assert wrong.status_code == 409, wrong.text
    assert "training_needs_analysis" in wrong.json()["detail"]
    assert api.as_("business_manager").get(f"/api/v1/audits/{s11_id}/training-coverage").status_code == 409
    missing = api.as_("business_manager").get("/api/v1/audits/00000000-0000-0000-0000-000000000000/self-assessment")
    assert missing.status_code == 404


def test_training_coverage_per_agency_and_total(api: Api) -> None:
    case_id = _tna_with_three_returns(api)
    response = api.as_("business_manager").get(f"/api/v1/audits/{case_id}/training-coverage")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tna_year"] == "2026-27" and body["not_returned"] == ["education"]
    rows = {row["agency"]: row["levels"] for row in body["agencies"]}
    assert list(rows) == RETURNING
    # Police (scale 1): 10 staff per level 1-4, 6 trained, 4 needing; no level 5 staff, so no coverage figure.
    assert rows["police"][0] == {"level": 1, "workforce": 10, "trained": 6, "needing": 4, "coverage": 0.6}
    assert rows["police"][4] == {"level": 5, "workforce": 0, "trained": 0, "needing": 0, "coverage": None}
    # Total at level 3: workforce 10 + 20 + 30 = 60, trained 6 + 12 + 18 = 36, needing 4 + 8 + 12 = 24.
    total = body["total"]
    assert total["agency"] is None
    assert total["levels"][2] == {"level": 3, "workforce": 60, "trained": 36, "needing": 24, "coverage": 0.6}
    own = api.as_("agency_safeguarding_lead:la").get(f"/api/v1/audits/{case_id}/training-coverage").json()
    assert [row["agency"] for row in own["agencies"]] == ["la"]
    assert own["total"]["levels"][0]["workforce"] == 30  # the total of what the lead may see
