"""No request can hurt the service: diagram encodings and sizes, and body size limits answered before parsing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.body_limit import JSON_LIMIT, SIMULATE_LIMIT
from service.processes.upload import MAX_DEPTH, MAX_ELEMENTS
from tests.conftest import Api
from tests.process_owner import edits

VALIDATE = "/api/v1/process-definitions/validate"
DEPLOY = "/api/v1/process-definitions"
SIMULATE = "/api/v1/process-definitions/simulate"


def _upload(api: Api, url: str, xml: bytes) -> Any:
    return api.as_("process_owner").post(url, files={"file": ("cspr.bpmn", xml, "application/xml")})


def _problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if field is not None:
        assert body["errors"][0]["field"] == field
    return body


def test_a_utf16_diagram_is_refused_alike_by_validate_and_deploy(api: Api) -> None:
    declared = edits.CSPR.replace(b'encoding="UTF-8"', b'encoding="UTF-16"', 1)
    for xml in (
        declared.decode("utf-8").encode("utf-16"),  # with a byte order mark
        declared.decode("utf-8").encode("utf-16-le"),  # without one
        edits.CSPR.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1),
    ):
        for url in (VALIDATE, DEPLOY):
            body = _problem(_upload(api, url, xml), 422, "file")
            assert "save the file as UTF-8" in body["errors"][0]["message"]
    # UTF-8 with a byte order mark is fine.
    assert _upload(api, VALIDATE, b"\xef\xbb\xbf" + edits.CSPR).json()["valid"] is True


def test_too_many_or_too_deep_elements_are_refused_quickly(api: Api) -> None:
    flat = b'<?xml version="1.0"?><definitions>' + b"<a/>" * 1_000_000 + b"</definitions>"
    body = _problem(_upload(api, VALIDATE, flat), 422, "file")
    assert f"{MAX_ELEMENTS:,}" in body["errors"][0]["message"]
    deep = b"<a>" * (MAX_DEPTH + 1) + b"</a>" * (MAX_DEPTH + 1)
    body = _problem(_upload(api, DEPLOY, deep), 422, "file")
    assert str(MAX_DEPTH) in body["errors"][0]["message"]
    simulated = api.as_("process_owner").post(SIMULATE, json={"bpmn_xml": deep.decode()})
    _problem(simulated, 422, "bpmn_xml")


def test_oversized_json_bodies_get_413_before_parsing(api: Api) -> None:
    owner = api.as_("process_owner")
    too_big = b'{"bpmn_xml": "' + b"x" * SIMULATE_LIMIT + b'"}'
    body = _problem(owner.post(SIMULATE, content=too_big, headers={"content-type": "application/json"}), 413)
    assert body["limit_bytes"] == SIMULATE_LIMIT and "MiB" in body["detail"] and body["correlation_id"]
    # Other JSON endpoints take 1 MiB.
    case = b'{"title": "' + b"x" * JSON_LIMIT + b'"}'
    _problem(owner.post("/api/v1/cases", content=case, headers={"content-type": "application/json"}), 413)

    def chunked(data: bytes) -> Iterator[bytes]:  # no Content-Length: the cap counts the bytes as they arrive
        for start in range(0, len(data), 256 * 1024):
            yield data[start : start + 256 * 1024]

    response = owner.post(SIMULATE, content=chunked(too_big), headers={"content-type": "application/json"})
    _problem(response, 413)


def test_a_diagram_of_the_upload_limit_still_fits_in_simulate(api: Api) -> None:
    # The largest legitimate JSON body: a diagram in bpmn_xml. Not refused for size (it is judged as a diagram).
    response = api.as_("process_owner").post(SIMULATE, json={"bpmn_xml": edits.CSPR.decode()})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("size", [JSON_LIMIT // 2])
def test_ordinary_bodies_pass(api: Api, size: int) -> None:
    response = api.as_("process_owner").post(SIMULATE, json={"bpmn_xml": "<a/>", "start_data": {"x": "y" * size}})
    assert response.status_code == 422  # judged on its content, not its size
