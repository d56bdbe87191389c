"""The dashboards: morning counts, each linking to the list behind it, within the caller's need-to-know."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from service.engine.functions import add_days, add_working_days, today
from tests.conftest import Api
from tests.helpers import complete, open_case

PARTNERSHIP = "/api/v1/partnership/dashboard"


def _listed(client: Any, link: str) -> int:
    """How many items the list behind a link holds, over every page."""
    path, _, query = link.partition("?")
    params = parse_qsl(query)
    count, cursor = 0, None
    while True:
        response = client.get(path, params=[*params, ("limit", 200), *([("cursor", cursor)] if cursor else [])])
        assert response.status_code == 200, (link, response.text)
        count += len(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return count


def _counts(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every {count, link} in a dashboard."""
    found = [dashboard["open_cases"], dashboard["overdue_tasks"], dashboard["overdue_actions"]]
    for case_type in dashboard["cases_by_type"]:
        found += [case_type["open_cases"], *(s["open_cases"] for s in case_type["by_stage"])]
    for clock in dashboard["clocks"]:
        found += [clock["overdue"], clock["due_soon"]]
    for agency in dashboard["overdue_tasks_by_agency"]:
        found += [agency["overdue_tasks"], *(r["overdue_tasks"] for r in agency["by_role"])]
    return found


def _late_cases(api: Api) -> None:
    late = open_case(api, aware_at=add_days(today(), -40), title="Late")  # the rapid review clock is overdue
    # Notified long ago too: the agencies' information requests are overdue as well.
    complete(api, late["id"], "Task_NotifyPanel", {"notified_at": add_days(today(), -39), "child_looked_after": False})
    open_case(api, aware_at=add_working_days(today(), -14), title="Soon", agencies=["police"])  # due soon


def test_every_count_links_to_a_list_of_that_many(api: Api) -> None:
    _late_cases(api)
    bm = api.as_("business_manager")
    response = bm.get(PARTNERSHIP)
    assert response.status_code == 200, response.text
    dashboard = response.json()
    assert dashboard["agency"] is None
    rapid = next(c for c in dashboard["clocks"] if c["clock"] == "rapid_review")
    assert rapid["overdue"]["count"] >= 1 and rapid["due_soon"]["count"] >= 1
    assert dashboard["overdue_tasks"]["count"] >= 1
    cspr = next(t for t in dashboard["cases_by_type"] if t["case_type"] == "cspr")
    assert cspr["open_cases"]["count"] >= 2 and cspr["by_stage"]
    for count in _counts(dashboard):
        assert count["link"].startswith("/api/v1/")
        assert _listed(bm, count["link"]) == count["count"], count
    assert sum(t["open_cases"]["count"] for t in dashboard["cases_by_type"]) == dashboard["open_cases"]["count"]
    by_agency = dashboard["overdue_tasks_by_agency"]
    assert sum(a["overdue_tasks"]["count"] for a in by_agency) == dashboard["overdue_tasks"]["count"]
    assert {a["agency"] for a in by_agency} >= {"police", None}  # agency tasks and the partnership's own


def test_an_agency_dashboard_counts_that_agency_only(api: Api) -> None:
    _late_cases(api)
    lead = api.as_("agency_safeguarding_lead:police")
    response = lead.get("/api/v1/agencies/police/dashboard")
    assert response.status_code == 200, response.text
    dashboard = response.json()
    assert dashboard["agency"] == "police"
    assert {a["agency"] for a in dashboard["overdue_tasks_by_agency"]} == {"police"}
    assert dashboard["overdue_tasks"]["count"] >= 1
    for count in _counts(dashboard):
        assert "agency=police" in count["link"]
        assert _listed(lead, count["link"]) == count["count"], count
    # The business manager sees the same agency's counts (and follows the same links).
    bm = api.as_("business_manager").get("/api/v1/agencies/police/dashboard").json()
    assert bm["open_cases"]["count"] >= dashboard["open_cases"]["count"]
    assert bm["overdue_tasks"]["count"] == dashboard["overdue_tasks"]["count"]


def test_who_may_read_a_dashboard(api: Api) -> None:
    _late_cases(api)
    for role, url in [
        ("independent_reviewer", PARTNERSHIP),
        ("process_owner", PARTNERSHIP),
        ("agency_safeguarding_lead:police", PARTNERSHIP),
        ("agency_safeguarding_lead:health", "/api/v1/agencies/police/dashboard"),
        ("independent_reviewer", "/api/v1/agencies/police/dashboard"),
    ]:
        refused = api.as_(role).get(url)
        assert refused.status_code == 403, (role, url, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    # GET /me says the same, so a front end shows the right screen.
    lead_can = set(api.as_("agency_safeguarding_lead:police").get("/api/v1/me").json()["can"])
    assert "dashboards.agency" in lead_can and "dashboards.partnership" not in lead_can
    reviewer_can = set(api.as_("independent_reviewer").get("/api/v1/me").json()["can"])
    assert not {"dashboards.agency", "dashboards.partnership", "tasks.list_all"} & reviewer_can
    missing = api.as_("business_manager").get("/api/v1/agencies/nowhere/dashboard")
    assert missing.status_code == 404
    # Another partnership's business manager counts nothing of this one.
    other = api.as_("other").get(PARTNERSHIP).json()
    assert other["open_cases"]["count"] == 0 and other["overdue_tasks"]["count"] == 0
    # A case manager who is on no case counts none of them (need-to-know, not the role, decides).
    admin = api.as_("partnership_admin").get(PARTNERSHIP)
    assert admin.status_code == 200 and admin.json()["overdue_tasks"]["count"] == 0
