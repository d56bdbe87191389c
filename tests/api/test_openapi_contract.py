"""Walk /openapi.json and hold the contract generated clients depend on.

Each rule below names what a generated client would get wrong without it: a default operationId becomes an
unreadable method name, a bare array cannot grow a cursor without breaking callers, a plain string for a fixed
vocabulary types every value as ``string`` (and hides typos such as ``state=opne``), a 201 without Location leaves
the client to guess where the new resource lives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# The last word of a property or parameter name that marks a fixed vocabulary.
VOCABULARY_WORDS = {"state", "status", "role", "roles", "type", "types", "kind", "kinds", "stage", "scope", "scopes"}

# Names that end in a vocabulary word but are not a fixed vocabulary, each with why. Keys are "Schema.property"
# for body properties and "operationId.query.name" for query parameters.
NOT_FIXED = {
    # Per-partnership data: each partnership deploys its own case types (GET /api/v1/case-types lists them).
    "ActionRead.review_type": "per-partnership case type",
    "RecommendationRead.review_type": "per-partnership case type",
    "listActions.query.review_type": "per-partnership case type",
    "listRecommendations.query.review_type": "per-partnership case type",
    # Per-partnership data: agency kinds are the partnership's own words (GET /api/v1/agencies shows them).
    "AgencyCreate.kind": "per-partnership agency kind",
    "AgencyUpdate.kind": "per-partnership agency kind",
    "AgencyRead.kind": "per-partnership agency kind",
    "listAgencies.query.kind": "per-partnership agency kind",
    # RFC 9457: a URI naming the kind of problem; GET /problems lists the ones the service sends.
    "Problem.type": "a problem type URI",
    # Stages are the lifecycle's own, named in each case type's diagram (GET /api/v1/case-types).
    "TaskSummary.stage": "per case type: the diagram's stages",
    "TaskRead.stage": "per case type: the diagram's stages",
    "StageCountRead.stage": "per case type: the diagram's stages",
    "listCases.query.stage": "per case type: the diagram's stages",
    # A variable of the audit diagram's form: its values are that form field's enum (the task's form schema).
    "SelfAssessmentRead.audit_kind": "per diagram: the form field's enum",
    # Words, not codes: a progress sentence, and people's job titles.
    "ReportJobRead.stage": "a sentence saying what the worker is doing",
    "TraineeCreate.role": "a job title in words",
    "TraineeRead.role": "a job title in words",
    "TraineeDetail.role": "a job title in words",
    "LearningItemCreate.audience_roles": "job roles in words",
    "LearningItemRead.audience_roles": "job roles in words",
    "LearningItemDetail.audience_roles": "job roles in words",
    # What an audit row is about: every module that records adds its own record types.
    "AuditEventRead.object_type": "open: the audited record's type",
    "HistoryEntry.object_type": "open: the audited record's type",
    "AccessEventRead.object_type": "open: the read record's type",
}

# Names that are never a fixed vocabulary, wherever they appear.
NOT_FIXED_ANYWHERE = {
    "case_type": "per-partnership: GET /api/v1/case-types lists the partnership's case types",
    "case_types": "per-partnership, as case_type",
}

# Lists that cannot grow past a page, so they take no limit or cursor (next_cursor is always null).
ONE_PAGE = {
    "listMembers": "a case's team",
    "listThemes": "the partnership's theme taxonomy",
    "listCourses": "the partnership's training programme",
    "listIdentityProviders": "a partnership trusts a few providers",
    "listSubscriptions": "an agency's few endpoints",
}


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for where in ("paths", "webhooks"):
        for path, item in spec.get(where, {}).items():
            for method, operation in item.items():
                if method in METHODS and isinstance(operation, dict):
                    yield f"{where}:{path}", method, operation


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _non_null(spec: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a schema, nulls dropped and references resolved."""
    schema = _resolve(spec, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [s for alt in schema[key] for s in _non_null(spec, alt) if s.get("type") != "null"]
    return [schema]


def _plain_strings(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """True when some alternative (or array item) is a string with no enum or const."""
    for alternative in _non_null(spec, schema):
        if alternative.get("type") == "array" and "items" in alternative:
            if _plain_strings(spec, alternative["items"]):
                return True
        elif alternative.get("type") == "string" and "enum" not in alternative and "const" not in alternative:
            return True
    return False


def _properties(spec: dict[str, Any], schema: dict[str, Any], seen: set[str]) -> Iterator[tuple[str, str, Any]]:
    """(schema name, property name, property schema) for every property reachable from ``schema``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        seen.add(name)
        target = spec["components"]["schemas"][name]
        for owner, prop, sub in _properties(spec, target, seen):
            yield (owner or name), prop, sub
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for alternative in schema.get(key, []):
            yield from _properties(spec, alternative, seen)
    if isinstance(schema.get("items"), dict):
        yield from _properties(spec, schema["items"], seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _properties(spec, schema["additionalProperties"], seen)
    for prop, sub in schema.get("properties", {}).items():
        yield "", prop, sub
        yield from _properties(spec, sub, seen)


def _json_schemas(operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    body = operation.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        if "json" in media and "schema" in content:
            yield "request", content["schema"]
    for status, response in operation.get("responses", {}).items():
        for media, content in response.get("content", {}).items():
            if "json" in media and "schema" in content:
                yield f"response {status}", content["schema"]


def _vocabulary_name(name: str, owner: str) -> bool:
    if name in NOT_FIXED_ANYWHERE or f"{owner}.{name}" in NOT_FIXED:
        return False
    return name.rsplit("_", 1)[-1] in VOCABULARY_WORDS


def test_operation_ids_are_not_defaults(spec: dict[str, Any]) -> None:
    bad = [
        (where, method, op.get("operationId"))
        for where, method, op in _operations(spec)
        if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", op.get("operationId") or "")
        or "_api_v1_" in (op.get("operationId") or "")
        or re.search(r"_(get|put|post|delete|patch)$", op.get("operationId") or "")
    ]
    assert not bad, bad


def test_every_operation_has_a_summary_and_a_tag(spec: dict[str, Any]) -> None:
    bad = [(where, method) for where, method, op in _operations(spec) if not op.get("summary") or not op.get("tags")]
    assert not bad, bad
    long = [(where, op["summary"]) for where, _, op in _operations(spec) if "\n" in op["summary"]]
    assert not long, long
    declared = {tag["name"] for tag in spec["tags"]}
    undeclared = {tag for _, _, op in _operations(spec) for tag in op["tags"]} - declared
    assert not undeclared, undeclared


def test_no_list_is_a_bare_array(spec: dict[str, Any]) -> None:
    bad = []
    for where, method, op in _operations(spec):
        for status, response in op.get("responses", {}).items():
            if not status.startswith("2"):
                continue
            for media, content in response.get("content", {}).items():
                if "json" in media and _resolve(spec, content.get("schema", {})).get("type") == "array":
                    bad.append((where, method, status))
    assert not bad, bad


def test_lists_use_the_one_envelope(spec: dict[str, Any]) -> None:
    """Every schema with ``items`` and ``next_cursor`` is a Page; every paged GET takes limit and cursor."""
    for where, method, op in _operations(spec):
        schema = op.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {}).get("schema")
        if method != "get" or schema is None:
            continue
        properties = _resolve(spec, schema).get("properties", {})
        if "next_cursor" in properties:
            assert {"items", "next_cursor"} <= set(properties), (where, set(properties))
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            if op["operationId"] not in ONE_PAGE:
                assert {"limit", "cursor"} <= names, (where, names)


def test_fixed_vocabularies_are_enums(spec: dict[str, Any]) -> None:
    bad = set()
    for where, method, op in _operations(spec):
        for parameter in op.get("parameters", []):
            owner = f"{op.get('operationId')}.{parameter['in']}"
            if _vocabulary_name(parameter["name"], owner) and _plain_strings(spec, parameter.get("schema", {})):
                bad.add((f"{method} {where}", f"{parameter['in']}.{parameter['name']}"))
        for part, schema in _json_schemas(op):
            for owner, prop, sub in _properties(spec, schema, set()):
                if _vocabulary_name(prop, owner) and _plain_strings(spec, sub):
                    bad.add((owner or f"{method} {where} {part}", prop))
    assert not bad, sorted(bad)


def test_webhook_payloads_name_their_type_as_a_constant(spec: dict[str, Any]) -> None:
    webhooks = spec.get("webhooks", {})
    assert webhooks
    for name, item in webhooks.items():
        for _, operation in item.items():
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            event_type = _resolve(spec, schema)["properties"]["type"]
            assert not _plain_strings(spec, event_type), (name, event_type)


def test_every_201_sends_location(spec: dict[str, Any]) -> None:
    bad = []
    for where, method, op in _operations(spec):
        created = op.get("responses", {}).get("201")
        if created is not None:
            location = created.get("headers", {}).get("Location", {}).get("schema", {})
            if location.get("type") != "string" or location.get("format") != "uri-reference":
                bad.append((where, method))
    assert not bad, bad


def test_the_documented_headers_are_declared(spec: dict[str, Any]) -> None:
    operations = {op["operationId"]: op for _, _, op in _operations(spec)}
    for name in ("getTask", "claimTask", "unclaimTask", "completeTask"):
        assert "ETag" in operations[name]["responses"]["200"]["headers"], name
    assert "Idempotent-Replayed" in operations["createCase"]["responses"]["201"]["headers"]
    assert "Retry-After" in operations["getMe"]["responses"]["429"]["headers"]


def test_location_names_what_was_created_and_can_be_followed(api: Any) -> None:
    """Run a few 201s for real: each sends the Location it declares, and a GET there shows the new thing."""
    admin, manager = api.as_("partnership_admin"), api.as_("business_manager")
    case = manager.post(
        "/api/v1/cases",
        json={
            "case_type": "cspr",
            "title": "Located",
            "subject_pseudonym": "Child L",
            "involved_agencies": ["police"],
            "data": {"aware_at": "2026-11-02", "incident_type": "serious_harm"},
        },
    )
    created = [
        (case, "id"),
        (manager.post("/api/v1/courses", json={"code": "LOC-1", "title": "Located", "level": 1}), "code"),
        (manager.post("/api/v1/themes", json={"code": "located_theme", "label": "Located"}), "code"),
        (admin.post("/api/v1/agencies", json={"code": "housing", "name": "Homes", "kind": "housing"}), "code"),
        (
            user := admin.post(
                "/api/v1/users",
                json={"name": "L. Ocated", "email": "located@example.org", "roles": ["independent_reviewer"]},
            ),
            "id",
        ),
    ]
    for response, key in created:
        assert response.status_code == 201, response.text
        location = response.headers["Location"]
        assert location.startswith("/api/v1/"), location
        shown = admin.get(location) if "/agencies" in location or "/users" in location else manager.get(location)
        assert shown.status_code == 200, (location, shown.text)
        # The created thing itself, or a list that holds it (where it has no GET of its own).
        assert str(response.json()[key]) in shown.text, location
    token = admin.post(f"/api/v1/users/{user.json()['id']}/tokens", json={"name": "laptop"})
    assert token.status_code == 201 and token.json()["id"] in admin.get(token.headers["Location"]).text


def test_settings_patches_have_the_schema_of_their_settings(spec: dict[str, Any]) -> None:
    components = spec["components"]["schemas"]
    for path in (
        "/api/v1/partnership/settings",
        "/api/v1/partnership/data-protection",
        "/api/v1/partnership/notifications",
    ):
        body = spec["paths"][path]["patch"]["requestBody"]["content"]["application/json"]["schema"]
        patch = _resolve(spec, body)
        assert patch["properties"] and "required" not in patch, path
        # The same fields as the settings the GET answers with, none of them required.
        read = _resolve(spec, spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"])
        assert set(patch["properties"]) <= set(read["properties"]), (
            path,
            set(patch["properties"]) - set(read["properties"]),
        )
    assert not [name for name in components if name.startswith("Body_") and "patch" in name.lower()]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/tasks", "state"),
        ("/api/v1/tasks", "role"),
        ("/api/v1/cases", "status"),
        ("/api/v1/actions", "status"),
        ("/api/v1/learning-items", "stage"),
        ("/api/v1/learning-items", "source_type"),
        ("/api/v1/notifications", "status"),
        ("/api/v1/training/refreshers", "status"),
        ("/api/v1/access-events", "kind"),
    ],
)
def test_an_unknown_filter_value_is_a_422_naming_the_parameter(api: Any, path: str, parameter: str) -> None:
    refused = api.as_("partnership_admin").get(path, params={parameter: "opne"})
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert error["field"] == f"query.{parameter}", error
    # The message lists what would have been accepted, taken from the parameter's enum in the contract.
    spec = api.client.get("/openapi.json").json()
    schema = next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == parameter)["schema"]
    allowed = next(s for s in _non_null(spec, schema))["enum"]
    assert all(f"'{value}'" in error["message"] for value in allowed), error
