"""GET /cases finds cases by reference, title and pseudonym, and filters by type, stage, agency and clocks."""

from __future__ import annotations

from typing import Any

from service.engine.functions import add_days, add_working_days, today
from tests.conftest import Api, unique
from tests.helpers import clock, get_case, open_case

CASES = "/api/v1/cases"


def _ids(client: Any, **params: Any) -> list[str]:
    """Every page of a case list, following next_cursor."""
    found: list[str] = []
    cursor = None
    while True:
        response = client.get(CASES, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        found += [c["id"] for c in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found


def test_search_matches_reference_title_and_pseudonym_case_insensitively(api: Api) -> None:
    word = f"Kestrel{unique()}"
    case = open_case(api, aware_at=today(), title=f"Review of {word} house")
    other = open_case(api, aware_at=today(), title="Something else")
    bm = api.as_("business_manager")
    assert _ids(bm, q=word.lower()) == [case["id"]]
    assert _ids(bm, q=case["reference"].lower()) == [case["id"]]
    assert set(_ids(bm, q="child k")) >= {case["id"], other["id"]}  # the pseudonym both share
    assert _ids(bm, q="%") == [] and _ids(bm, q="_") == []  # LIKE wildcards are plain characters
    assert bm.get(CASES, params={"q": "x" * 101}).status_code == 422
    assert bm.get(CASES, params={"q": ""}).status_code == 422
    # Need-to-know applies: someone who is not on the case does not find it.
    assert _ids(api.as_("process_owner"), q=word) == []
    assert _ids(api.as_("agency_safeguarding_lead:education"), q=word) == []
    assert _ids(api.as_("agency_safeguarding_lead:police"), q=word) == [case["id"]]  # involved


def test_filters_by_type_stage_agency_and_status(api: Api) -> None:
    police_only = open_case(api, aware_at=today(), agencies=["police"])
    health_only = open_case(api, aware_at=today(), agencies=["health"])
    bm = api.as_("business_manager")
    police = _ids(bm, agency="police", case_type="cspr")
    assert police_only["id"] in police and health_only["id"] not in police
    stage = get_case(api, police_only["id"])["stages"][0]
    staged = _ids(bm, stage=stage, case_type="cspr")
    assert police_only["id"] in staged and health_only["id"] in staged
    assert _ids(bm, stage=stage + "x") == [] and _ids(bm, stage=stage[:-1]) == []  # the whole name only
    assert _ids(bm, case_type="sar", agency="police", q=police_only["reference"]) == []
    assert bm.get(CASES, params={"status": "opne"}).status_code == 422


def test_clock_status_finds_overdue_and_due_soon_cases(api: Api) -> None:
    late = open_case(api, aware_at=add_days(today(), -40))
    soon = open_case(api, aware_at=add_working_days(today(), -14))
    fine = open_case(api, aware_at=today())
    assert clock(get_case(api, late["id"]), "rapid_review")["status"] == "overdue"
    assert clock(get_case(api, soon["id"]), "rapid_review")["status"] == "due_soon"
    bm = api.as_("business_manager")
    overdue = _ids(bm, clock="rapid_review", clock_status="overdue")
    due_soon = _ids(bm, clock="rapid_review", clock_status="due_soon")
    assert late["id"] in overdue and soon["id"] not in overdue and fine["id"] not in overdue
    assert soon["id"] in due_soon and late["id"] not in due_soon and fine["id"] not in due_soon
    assert late["id"] in _ids(bm, clock_status="overdue")  # any clock
    assert _ids(bm, clock="no_such_clock", clock_status="overdue") == []
    # Paging through a clock filter neither skips nor repeats a case.
    walked: list[str] = []
    cursor = None
    while True:
        page = bm.get(CASES, params={"clock_status": "overdue", "limit": 1, **({"cursor": cursor} if cursor else {})})
        walked += [c["id"] for c in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert walked == _ids(bm, clock_status="overdue")
    refused = bm.get(CASES, params={"clock": "rapid_review"})
    assert refused.status_code == 422 and "clock_status" in refused.text
    assert bm.get(CASES, params={"clock_status": "late"}).status_code == 422
