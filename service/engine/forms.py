"""Camunda generated task forms (``camunda:formData``) as JSON Schema, and validation of submissions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from service.engine import functions
from service.engine.functions import FUNCTIONS

FIELD_TYPES = {"string", "long", "boolean", "date", "enum"}
_FIELD_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FORMAT_CHECKER = FormatChecker(formats=["date"])
# Date rules (``camunda:constraint`` on a date field) and the JSON Schema keyword each is published as.
# ``not_before`` / ``not_after`` name another field of the form or a process variable; the same day passes.
DATE_RULES = {"not_future": "x-lif-not-future", "not_before": "x-lif-not-before", "not_after": "x-lif-not-after"}


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


def date_rule_problems(fields: list[Any], known: frozenset[str]) -> list[str]:
    """Problems with a form's date rules; ``known`` are the names a rule may compare with (the diagram's variables)."""
    problems: list[str] = []
    for field in fields:
        for validation in getattr(field, "validation", []):
            name, config = validation.name, (validation.config or "").strip()
            if name not in DATE_RULES:
                continue
            where = f"form field '{field.id}': constraint {name}"
            if field.type != "date":
                problems.append(f"{where} applies to date fields only (this one is {field.type})")
            elif name == "not_future" and config:
                problems.append(f"{where} takes no config (it compares with today)")
            elif name != "not_future" and not config:
                problems.append(f"{where} needs config: the id of the date field or variable to compare with")
            elif name != "not_future" and config == field.id:
                problems.append(f"{where} compares the field with itself; name another field or variable")
            elif name != "not_future" and config not in known:
                problems.append(f"{where} names '{config}', which is no form field or script variable of this diagram")
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
            elif name == "not_future":
                prop[DATE_RULES[name]] = True
            elif name in DATE_RULES:
                prop[DATE_RULES[name]] = (config or "").strip()
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


def validate_submission(
    schema: dict[str, Any], data: Any, *, variables: dict[str, Any] | None = None, today: str | None = None
) -> list[FieldError]:
    """Every problem with a submission, one per field, in a stable order.

    Date rules compare with the submitted form first, then with ``variables`` (the process's); a rule whose other
    date is not known yet is not checked. ``today`` (Europe/London) defaults to the real one.
    """
    errors = _schema_errors(schema, data)
    if isinstance(data, dict):
        wrong = {error.field for error in errors}
        errors.extend(_date_rule_errors(schema, data, variables or {}, today or functions.today(), wrong))
    return errors


def _date_rule_errors(
    schema: dict[str, Any], data: dict[str, Any], variables: dict[str, Any], today: str, wrong: set[str]
) -> list[FieldError]:
    errors: list[FieldError] = []
    properties = schema.get("properties", {})
    for field, prop in properties.items():
        value = functions.to_date_or_none(data.get(field))
        if value is None or field in wrong:
            continue
        if prop.get(DATE_RULES["not_future"]) and value > functions.to_date(today):
            errors.append(FieldError(field, f"must not be in the future (today is {today}): it records what happened"))
        for rule, keyword in (("not_before", DATE_RULES["not_before"]), ("not_after", DATE_RULES["not_after"])):
            other = prop.get(keyword)
            if not other or other in wrong:
                continue
            compared = functions.to_date_or_none(data[other] if data.get(other) is not None else variables.get(other))
            if compared is None:
                continue
            title = properties.get(other, {}).get("title") or other.replace("_", " ")
            if rule == "not_before" and value < compared:
                errors.append(FieldError(field, f"must not be before {title!r} ({compared.isoformat()})"))
            elif rule == "not_after" and value > compared:
                errors.append(FieldError(field, f"must not be after {title!r} ({compared.isoformat()})"))
    return errors


def _schema_errors(schema: dict[str, Any], data: Any) -> list[FieldError]:
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
