"""Files documented with their media types, fixed shapes with their schemas, and /docs that needs no internet."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest
from fastapi.testclient import TestClient

from api.schemas.documents import DocumentRead
from tests.conftest import Api

BINARY = {"type": "string", "format": "binary"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_no_success_response_has_an_empty_schema(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    empty = [
        (method, path, status, media)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        for status, response in operation.get("responses", {}).items()
        if status.startswith("2")
        for media, content in (response.get("content") or {}).items()
        if not content.get("schema")
    ]
    assert empty == []


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/api/v1/process-definitions/{definition_id}/xml", "application/xml"),
        ("/api/v1/process-definitions/{definition_id}/diagram.svg", "image/svg+xml"),
        ("/api/v1/process-instances/{instance_id}/diagram.svg", "image/svg+xml"),
        ("/api/v1/cases/{case_id}/impact-trace.svg", "image/svg+xml"),
    ],
)
def test_xml_and_svg_are_text_with_their_media_type(client: TestClient, path: str, media_type: str) -> None:
    content = client.get("/openapi.json").json()["paths"][path]["get"]["responses"]["200"]["content"]
    assert content == {media_type: {"schema": {"type": "string", "contentMediaType": media_type}}}


@pytest.mark.parametrize(
    ("path", "media_types"),
    [
        ("/api/v1/evidence/{evidence_id}/content", {"application/octet-stream"}),
        ("/api/v1/cases/{case_id}/documents/{kind}", {DOCX, "application/pdf"}),
        ("/api/v1/partnership/reports/{kind}", {DOCX, "application/pdf"}),
        ("/api/v1/report-jobs/{job_id}/content", {DOCX, "application/pdf"}),
    ],
)
def test_files_are_binary_with_their_media_type(client: TestClient, path: str, media_types: set[str]) -> None:
    content = client.get("/openapi.json").json()["paths"][path]["get"]["responses"]["200"]["content"]
    for media in media_types:
        assert content[media]["schema"] == BINARY, (path, media)
    if DOCX in media_types:
        assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/DocumentRead"}


def test_a_real_document_matches_its_published_schema(api: Api) -> None:
    response = api.as_("business_manager").get("/api/v1/partnership/reports/yearly-report", params={"format": "json"})
    assert response.status_code == 200, response.text
    document = DocumentRead.model_validate(response.json())
    assert document.kind == "yearly-report" and document.sections
    blocks = {block.block for section in document.sections for block in section.blocks}
    assert {"paragraph", "chart"} <= blocks, blocks


def test_readiness_has_a_schema(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ready = spec["paths"]["/health/ready"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ready == {"$ref": "#/components/schemas/Readiness"}
    assert spec["components"]["schemas"]["Readiness"]["properties"]["status"]["const"] == "ok"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_docs_load_nothing_from_another_host_and_their_assets_are_served(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}", page.text, re.IGNORECASE), page.text
    assert "validatorUrl" in page.text  # Swagger UI would otherwise send the spec to validator.swagger.io
    links = _Links()
    links.feed(page.text)
    assert {u.rsplit("/", 1)[-1] for u in links.urls} == {"swagger-ui.css", "swagger-ui-bundle.js", "favicon.png"}
    for url in links.urls:
        assert url.startswith("/docs/assets/"), url
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 1000, url
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").text
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.', bundle)
    assert version and int(version.group(1)) >= 5  # Swagger UI 5 is the first to render OpenAPI 3.1
    assert client.get("/docs/oauth2-redirect").status_code == 200


def test_webhooks_document_what_the_partner_answers_and_open_operations_say_so(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for event, item in spec["webhooks"].items():
        responses = item["post"]["responses"]
        assert "422" not in responses, event  # FastAPI's own validation error: the partner never sends it
        assert all("content" not in r for r in responses.values()), event
        assert item["post"]["security"] == [], event  # signed, not bearer
    assert spec["servers"] == [{"url": "/", "description": "This service"}]
    for path in ("/health/live", "/health/ready"):
        assert spec["paths"][path]["get"]["security"] == [], path


def test_case_types_are_a_page(api: Api) -> None:
    bm = api.as_("business_manager")
    everything = bm.get("/api/v1/case-types").json()
    assert everything["next_cursor"] is None and len(everything["items"]) > 2
    keys = [t["key"] for t in everything["items"]]
    assert keys == sorted(keys)
    first = bm.get("/api/v1/case-types", params={"limit": 2}).json()
    assert [t["key"] for t in first["items"]] == keys[:2] and first["next_cursor"]
    rest = bm.get("/api/v1/case-types", params={"limit": 200, "cursor": first["next_cursor"]}).json()
    assert [t["key"] for t in rest["items"]] == keys[2:] and rest["next_cursor"] is None
    refused = bm.get("/api/v1/case-types", params={"cursor": "%%%"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "cursor"
    assert bm.get("/api/v1/case-types", params={"limit": 0}).status_code == 422


def test_not_ready_is_a_problem_saying_what_is_missing(client: TestClient) -> None:
    client.app.state.definitions_loaded = False  # type: ignore[attr-defined]
    answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["reason"] == "definitions" and "not loaded" in body["detail"]
    assert client.get(httpx.URL(body["type"]).path).status_code == 200  # its type explains itself
