"""ETag and If-None-Match → 304 on the reads a front end polls (api/conditional.py)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.conditional import digest_etag, matches
from tests.conftest import Api
from tests.helpers import complete, open_case, open_tasks

CACHEABLE = {
    "/api/v1/cases/{case_id}",
    "/api/v1/tasks/{task_id}",
    "/api/v1/case-types",
    "/api/v1/process-definitions/{definition_id}",
    "/api/v1/process-definitions/{definition_id}/xml",
    "/api/v1/process-definitions/{definition_id}/diagram.svg",
    "/api/v1/process-instances/{instance_id}/diagram.svg",
}


def _revalidate(client: Any, url: str) -> tuple[Any, Any]:
    """The first read, and the same read again sending its ETag back."""
    first = client.get(url)
    assert first.status_code == 200, first.text
    assert first.headers["etag"].startswith('"'), first.headers
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    return first, again


def _assert_not_modified(first: Any, again: Any) -> None:
    assert again.status_code == 304, again.text
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert "content-type" not in again.headers
    assert again.headers["x-request-id"] and again.headers["cache-control"] == "no-store"


def test_a_case_and_its_diagram_answer_304_until_the_case_moves_on(api: Api) -> None:
    bm = api.as_("business_manager")
    case = open_case(api, aware_at="2026-11-02")
    case_url = f"/api/v1/cases/{case['id']}"
    svg_url = f"/api/v1/process-instances/{case['instance_id']}/diagram.svg"
    first_case, again = _revalidate(bm, case_url)
    _assert_not_modified(first_case, again)
    first_svg, again = _revalidate(bm, svg_url)
    _assert_not_modified(first_svg, again)

    complete(api, case["id"], "Task_NotifyPanel", {"notified_at": "2026-11-03", "child_looked_after": False})

    changed = bm.get(case_url, headers={"If-None-Match": first_case.headers["etag"]})
    assert changed.status_code == 200 and changed.json()["id"] == case["id"]
    assert changed.headers["etag"] != first_case.headers["etag"]
    assert changed.headers["etag"] == digest_etag(changed.content)
    redrawn = bm.get(svg_url, headers={"If-None-Match": first_svg.headers["etag"]})
    assert redrawn.status_code == 200 and redrawn.content.startswith(b"<")
    assert redrawn.headers["etag"] != first_svg.headers["etag"]


def test_a_task_etag_starts_with_its_version_and_a_claim_changes_it(api: Api) -> None:
    case = open_case(api, aware_at="2026-11-02")
    task = open_tasks(api, case["id"], "Task_NotifyPanel")[0]
    bm = api.as_("business_manager")
    url = f"/api/v1/tasks/{task['id']}"
    first, again = _revalidate(bm, url)
    _assert_not_modified(first, again)
    assert first.headers["etag"].startswith(f'"{first.json()["version"]}-')  # If-Match compares the version

    claimed = bm.post(f"{url}/claim", headers={"If-Match": first.headers["etag"]})
    assert claimed.status_code == 200, claimed.text
    after = bm.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.json()["assignee_id"] is not None
    assert after.headers["etag"] == claimed.headers["etag"] != first.headers["etag"]


def test_case_types_and_a_definition_with_its_xml_and_svg_revalidate(api: Api) -> None:
    bm = api.as_("business_manager")
    first, again = _revalidate(bm, "/api/v1/case-types")
    _assert_not_modified(first, again)
    cspr = next(t for t in first.json()["items"] if t["key"] == "cspr")
    base = f"/api/v1/process-definitions/{cspr['definition_id']}"
    for url in (base, f"{base}/xml", f"{base}/diagram.svg"):
        first, again = _revalidate(bm, url)
        _assert_not_modified(first, again)
        # A list of tags, weak forms and * all match (RFC 9110 §13.1.2).
        listed = bm.get(url, headers={"If-None-Match": f'"other", W/{first.headers["etag"]}'})
        assert listed.status_code == 304, url
        assert bm.get(url, headers={"If-None-Match": "*"}).status_code == 304
        assert bm.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_a_matching_etag_does_not_get_past_need_to_know(api: Api) -> None:
    case = open_case(api, aware_at="2026-11-02")
    url = f"/api/v1/cases/{case['id']}"
    etag = api.as_("business_manager").get(url).headers["etag"]
    refused = api.as_("other").get(url, headers={"If-None-Match": etag})
    assert refused.status_code == 404
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "etag" not in refused.headers
    anonymous = api.client.get(url, headers={"If-None-Match": etag})
    assert anonymous.status_code == 401


def test_lists_and_writes_are_not_conditional(api: Api) -> None:
    bm = api.as_("business_manager")
    listing = bm.get("/api/v1/cases")
    assert listing.status_code == 200 and "etag" not in listing.headers


def test_the_openapi_document_declares_etag_if_none_match_and_304(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    found = {path for path, item in spec["paths"].items() if "304" in item.get("get", {}).get("responses", {})}
    assert found == CACHEABLE
    for path in CACHEABLE:
        operation = spec["paths"][path]["get"]
        assert "ETag" in operation["responses"]["200"]["headers"], path
        assert "ETag" in operation["responses"]["304"]["headers"], path
        assert "content" not in operation["responses"]["304"], path
        names = [(p["in"], p["name"]) for p in operation["parameters"]]
        assert ("header", "If-None-Match") in names, path


def test_if_none_match_comparison() -> None:
    assert matches('"a"', '"a"') and matches('W/"a"', '"a"') and matches('"b", "a"', '"a"') and matches("*", '"a"')
    assert not matches(None, '"a"') and not matches("", '"a"') and not matches('"ab"', '"a"')
