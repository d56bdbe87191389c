"""Which recorded values survive disposal: those aggregate reports count and that can identify nobody.

Kept: nothing (null), booleans, numbers, ISO dates and date-times, values that are one of the options a form
of the case's diagram offers for that field, and text the diagram's own scripts write (a legal mandate). Every
other value is free text somebody typed, and is dropped, as is every structure (a record of an attendee, a
message payload). Lists are kept only when every element would be.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from service import engine

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


class Keeper:
    """The keep-or-drop rule for the values of one definition's cases."""

    def __init__(self, definition: engine.LoadedDefinition):
        self.options: dict[str, set[str]] = {}
        for schema in [definition.start_form_schema, *(t.form_schema for t in definition.user_tasks.values())]:
            for name, prop in (schema.get("properties") or {}).items():
                self.options.setdefault(name, set()).update(_options(prop))
        self.constants = definition.script_constants

    def kept(self, values: dict[str, Any]) -> dict[str, Any]:
        """The values worth keeping, in their order."""
        return {name: value for name, value in values.items() if self.keeps(name, value)}

    def keeps(self, name: str, value: Any) -> bool:
        """True when ``value`` (the value of ``name``) identifies nobody and may be kept."""
        if value is None or isinstance(value, bool | int | float):
            return True
        if isinstance(value, str):
            return is_iso_moment(value) or value in self.options.get(name, ()) or value in self.constants
        if isinstance(value, list):
            return all(not isinstance(item, list) and self.keeps(name, item) for item in value)
        return False


def is_iso_moment(text: str) -> bool:
    """True for an ISO date (``2025-04-01``) or date-time (``2025-04-01T09:30:00+01:00``)."""
    try:
        if _DATE.match(text):
            dt.date.fromisoformat(text)
            return True
        if _DATETIME.match(text):
            dt.datetime.fromisoformat(text)
            return True
    except ValueError:
        return False
    return False


def _options(prop: dict[str, Any]) -> set[str]:
    found = {str(v) for v in prop.get("enum") or [] if isinstance(v, str)}
    found.update(
        str(o["const"]) for o in prop.get("oneOf") or [] if isinstance(o, dict) and isinstance(o.get("const"), str)
    )
    return found
