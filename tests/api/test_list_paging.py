"""Lists that can grow page with limit and cursor: walking the pages gives every item once, in order."""

from __future__ import annotations

from typing import Any

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import open_case


def _walk(client: Any, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.get(path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_definitions_page_in_deployment_order_and_filter_by_key(api: Api) -> None:
    manager = api.as_("business_manager")
    whole = manager.get("/api/v1/process-definitions", params={"limit": 200}).json()
    assert whole["next_cursor"] is None and len(whole["items"]) > 3
    assert _walk(manager, "/api/v1/process-definitions", 2) == whole["items"]
    cspr = manager.get("/api/v1/process-definitions", params={"key": "cspr"}).json()["items"]
    assert [d["key"] for d in cspr] == ["cspr"]


def test_an_instance_history_pages_oldest_first(api: Api) -> None:
    case = open_case(api, aware_at=today())
    manager = api.as_("business_manager")
    path = f"/api/v1/process-instances/{case['instance_id']}/history"
    whole = manager.get(path, params={"limit": 200}).json()["items"]
    assert len(whole) >= 2
    assert [e["at"] for e in whole] == sorted(e["at"] for e in whole)
    assert _walk(manager, path, 1) == whole
    refused = manager.get(path, params={"cursor": "not-a-cursor"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "cursor"
