"""Another partnership sees none of our recommendations, actions, evidence, themes or learning, nor acts on them."""

from __future__ import annotations

from tests.api.test_action_plans import PDF, _act, _recommend, _review
from tests.conftest import Api


def test_another_partnership_gets_404s_and_empty_lists(api: Api) -> None:
    review = _review(api)
    recommendation = _recommend(api, review["id"], ["neglect"])
    action = _act(api, recommendation["id"], due="2030-01-31")
    evidence = (
        api.as_("agency_safeguarding_lead:police")
        .post(f"/api/v1/actions/{action['id']}/evidence", files={"file": ("a.pdf", PDF, "application/pdf")})
        .json()
    )
    item = (
        api.as_("business_manager")
        .post(
            "/api/v1/learning-items",
            json={
                "title": "t",
                "summary": "s",
                "kind": "lesson",
                "source_type": "review",
                "source_case_id": review["id"],
            },
        )
        .json()
    )
    other = api.as_("other")
    for path in (
        f"/api/v1/recommendations/{recommendation['id']}",
        f"/api/v1/actions/{action['id']}",
        f"/api/v1/actions/{action['id']}/evidence",
        f"/api/v1/evidence/{evidence['id']}/content",
        f"/api/v1/learning-items/{item['id']}",
        f"/api/v1/audits/{review['id']}/self-assessment",
    ):
        response = other.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
    for path in ("/api/v1/recommendations", "/api/v1/actions", "/api/v1/learning-items"):
        assert other.get(path).json()["items"] == [], path
    assert other.get("/api/v1/agencies/police/action-plan").json()["items"] == []  # its own police: nothing
    # Acting on our records from elsewhere is refused as "not found", and changes nothing.
    assert (
        other.post(f"/api/v1/cases/{review['id']}/recommendations", json={"finding": "f", "text": "t"}).status_code
        == 404
    )
    assert (
        other.post(
            f"/api/v1/recommendations/{recommendation['id']}/actions",
            json={
                "owner_agency": "police",
                "lead_name": "x",
                "description": "x",
                "due_date": "2030-01-31",
                "impact_measure": "x",
                "baseline": "x",
            },
        ).status_code
        == 404
    )
    assert other.patch(f"/api/v1/recommendations/{recommendation['id']}", json={"text": "changed"}).status_code == 404
    assert (
        other.post(
            "/api/v1/learning-items",
            json={
                "title": "t",
                "summary": "s",
                "kind": "lesson",
                "source_type": "review",
                "source_case_id": review["id"],
            },
        ).status_code
        == 404
    )
    # Their theme taxonomy is their own: retiring "neglect" there leaves ours active.
    assert other.patch("/api/v1/themes/neglect", json={"active": False}).status_code == 200
    ours = {t["code"] for t in api.as_("business_manager").get("/api/v1/themes").json()["items"]}
    assert "neglect" in ours
    assert api.as_("business_manager").get(f"/api/v1/recommendations/{recommendation['id']}").json()["text"] == "Share"
