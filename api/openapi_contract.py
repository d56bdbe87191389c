"""What generated clients rely on in the OpenAPI document: errors typed as problems, short operation ids.

FastAPI documents a response model under ``application/json`` and its own validation error (``HTTPValidationError``)
for every 422, although the service only ever sends ``application/problem+json`` with the Problem body. Strict
generated clients (openapi-typescript under ``tsc --strict``) then type every error body as unknown. Here every 4xx
and 5xx response is documented once, as what is really sent.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api import conditional

PROBLEM = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def operation_id(route: APIRoute) -> str:
    """``list_tasks`` → ``listTasks``: the endpoint function's name, which is unique (a test holds it so)."""
    head, *rest = route.name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# Settings PATCH bodies: the service's own settings model, every field optional (a JSON merge patch, RFC 7396).
# The service checks the merged result against that model, so the schema is derived from it, not written twice.
_PATCHES: dict[str, type[BaseModel]] = {}
_PATCH_MARK = "x-merge-patch-of"


def merge_patch_of(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a PATCH whose body is some of ``model``'s fields."""
    _PATCHES[model.__name__] = model
    return {_PATCH_MARK: model.__name__}


def install(app: FastAPI) -> None:
    """Rewrite every error response to ``application/problem+json`` with the Problem schema; document ETags."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                if isinstance(operation, dict):
                    _problems_only(operation.get("responses", {}))
                    _explicit(operation)
                    if _PATCH_MARK in operation:
                        _patch_body(schema, operation, _PATCHES[operation.pop(_PATCH_MARK)])
        for path_item in schema.get("webhooks", {}).values():
            for operation in path_item.values():
                if isinstance(operation, dict):
                    _partners_answer(operation)
        conditional.document(app, schema)
        for name in _FASTAPI_VALIDATION:
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _explicit(operation: dict[str, Any]) -> None:
    # An operation without a security requirement is open on purpose (probes, problem pages): say so, rather than
    # leave a reader (or redocly's security-defined rule) to guess. A header needs a schema (OAS 3.1 §4.8.21).
    operation.setdefault("security", [])
    for response in operation.get("responses", {}).values():
        for header in response.get("headers", {}).values() if isinstance(response, dict) else ():
            header.setdefault("schema", {"type": "string"})


def _partners_answer(operation: dict[str, Any]) -> None:
    # A webhook is answered by the partner's system: FastAPI's own 422 and an empty 200 body say nothing about it.
    # Its authenticity is the signature (described), not a bearer token.
    responses = operation.get("responses", {})
    if "HTTPValidationError" in str(responses.get("422", "")):
        del responses["422"]
    for response in responses.values():
        if isinstance(response, dict) and response.get("content", {}).get("application/json", {}).get("schema") == {}:
            del response["content"]
    operation.setdefault("security", [])


def _problems_only(responses: dict[str, Any]) -> None:
    for status, response in responses.items():
        if re.fullmatch(r"[45]\d\d|[45]XX", str(status)) and isinstance(response, dict):
            response["content"] = {"application/problem+json": {"schema": PROBLEM}}


def _patch_body(schema: dict[str, Any], operation: dict[str, Any], model: type[BaseModel]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in body.pop("$defs", {}).items():
        components.setdefault(name, definition)
    body.pop("required", None)
    name = f"{model.__name__}Patch"
    components[name] = {
        **body,
        "title": name,
        "description": "Send only what you change (every field is optional); what you leave out keeps its value. "
        + (model.__doc__ or "").strip(),
    }
    operation["requestBody"]["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
