"""Camunda generated task forms (``camunda:formData``) as JSON Schema, and validation of submissions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from service.engine.functions import FUNCTIONS

FIELD_TYPES = {"string", "long", "boolean", "date", "enum"}
_FIELD_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FORMAT_CHECKER = FormatChecker(formats=["date"])


@dataclass(frozen=True)
class FieldError:
    """One problem with one submitted field (``field`` is empty for whole-form problems)."""

    field: str
    message: str


def field_problems(fields: list[Any]) -> list[str]:
    """Problems with a form definition itself (reported when the diagram is loaded)."""
    problems: list[str] = []
    seen: set[str] = set()
    for field in fields:
        field_id = field.id or ""
        if not _FIELD_ID.match(field_id):
            problems.append(f"form field id '{field_id}' must be a plain name (letters, digits, underscores)")
        if field_id in FUNCTIONS:
            problems.append(f"form field id '{field_id}' hides the function of the same name")
        if field_id in seen:
            problems.append(f"form field id '{field_id}' appears twice")
        seen.add(field_id)
        if field.type not in FIELD_TYPES:
            problems.append(
                f"form field '{field_id}' has type '{field.type}'; use one of {', '.join(sorted(FIELD_TYPES))}"
            )
        if field.type == "enum" and not getattr(field, "options", None):
            problems.append(f"enum form field '{field_id}' has no values")
        for validation in getattr(field, "validation", []):
            if validation.name in ("min", "max", "minlength", "maxlength"):
                try:
                    float(validation.config)
                except (TypeError, ValueError):
                    problems.append(f"form field '{field_id}': constraint {validation.name} needs a number")
    return problems


def form_schema(title: str, fields: list[Any]) -> dict[str, Any]:
    """JSON Schema (2020-12) for a user task's form."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in fields:
        prop = _property(field)
        for validation in getattr(field, "validation", []):
            name, config = validation.name, validation.config
            if name == "required":
                required.append(field.id)
            elif name == "readonly":
                prop["readOnly"] = True
            elif name in ("minlength", "maxlength"):
                prop["minLength" if name == "minlength" else "maxLength"] = int(float(config))
            elif name in ("min", "max"):
                prop["minimum" if name == "min" else "maximum"] = float(config)
        if getattr(field, "identifying", False):
            # Held apart from the record and the process (the case's sealed subject identifiers); shown on reveal.
            prop["x-identifying"] = True
        properties[field.id] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _property(field: Any) -> dict[str, Any]:
    prop: dict[str, Any] = {"title": field.label or field.id}
    if field.type == "long":
        prop["type"] = "integer"
    elif field.type == "boolean":
        prop["type"] = "boolean"
    elif field.type == "date":
        prop.update(type="string", format="date")
    elif field.type == "enum":
        prop["type"] = "string"
        prop["oneOf"] = [{"const": option.id, "title": option.name or option.id} for option in field.options]
    else:
        prop["type"] = "string"
    if field.default_value not in (None, ""):
        prop["default"] = _coerce_default(field.type, field.default_value)
    return prop


def _coerce_default(field_type: str, value: str) -> Any:
    if field_type == "long":
        try:
            return int(value)
        except ValueError:
            return value
    if field_type == "boolean":
        return value.strip().lower() == "true"
    return value


def validate_submission(schema: dict[str, Any], data: Any) -> list[FieldError]:
    """Every problem with a submission, one per field, in a stable order."""
    validator = Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)
    errors: list[FieldError] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        field = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            errors.append(FieldError(missing, "this field is required"))
        elif error.validator == "additionalProperties":
            extra = sorted(set(data) - set(schema["properties"])) if isinstance(data, dict) else []
            errors.extend(FieldError(name, "this form has no such field") for name in extra)
        elif error.validator == "oneOf":
            allowed = ", ".join(str(option["const"]) for option in error.schema.get("oneOf", []))
            errors.append(FieldError(field, f"must be one of: {allowed}"))
        elif error.validator == "format":
            errors.append(FieldError(field, "must be a date written YYYY-MM-DD"))
        else:
            errors.append(FieldError(field, error.message))
    return errors
