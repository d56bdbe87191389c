"""The OpenAPI 3.1 contract front-end teams build against."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_openapi_is_3_1_and_documents_errors_as_problems(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    api_ops = [(p, m, op) for p, m, op in operations if p.startswith("/api/v1")]
    assert len(api_ops) >= 12
    for path, method, op in api_ops:
        assert op.get("security"), f"{method} {path} declares no security"
        assert op.get("summary") and op.get("description"), f"{method} {path} is undocumented"
        for status in ("401", "404", "422", "500"):
            assert "application/problem+json" in op["responses"][status]["content"], (path, method, status)


def test_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/health/live").json() == {"status": "ok"}
    assert client.get("/health/ready").json() == {"status": "ok"}


def test_case_types_publish_their_start_schema(client: TestClient, api: object) -> None:
    from tests.conftest import Api

    assert isinstance(api, Api)
    types = {t["key"]: t for t in api.as_("business_manager").get("/api/v1/case-types").json()["items"]}
    assert types["cspr"]["start_form_schema"]["required"] == ["aware_at", "incident_type"]
    cspr = api.as_("business_manager").get("/api/v1/process-definitions", params={"key": "cspr"}).json()["items"][0]
    xml = api.as_("business_manager").get(f"/api/v1/process-definitions/{cspr['id']}/xml")
    assert xml.headers["content-type"].startswith("application/xml") and b'id="cspr"' in xml.content


def test_operation_ids_are_short_unique_and_named_for_the_action(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [
        (where, path, op)
        for where in ("paths", "webhooks")
        for path, item in spec.get(where, {}).items()
        for op in item.values()
        if isinstance(op, dict)
    ]
    ids = [op.get("operationId", "") for _, _, op in operations]
    assert len(ids) > 100 and len(set(ids)) == len(ids)
    for (where, path, _), operation_id in zip(operations, ids, strict=True):
        # FastAPI's defaults look like withdraw_nomination_api_v1_training_events__event_id__..._post.
        assert re.fullmatch(r"[a-z][A-Za-z0-9]{2,40}", operation_id), (where, path, operation_id)


def test_every_error_is_documented_as_a_problem_and_nothing_else(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for status, response in op.get("responses", {}).items():
                if status[0] in "45":
                    content = response.get("content", {})
                    assert list(content) == ["application/problem+json"], (method, path, status, list(content))
                    assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
