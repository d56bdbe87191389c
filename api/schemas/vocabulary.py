"""Fixed vocabularies as named enums in the OpenAPI document, each derived from the service's own constant.

A rule lives in one place: the service owns each set of values (task states, statuses, roles, event types...);
this module only gives each set a name, so generated clients get a union type and the API refuses any other value
with a 422 naming the field or query parameter (``state=opne`` is an error, not an empty list).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema


class OneOf:
    """``Annotated[str, OneOf("TaskState", STATES)]``: a string that must be one of ``values``, named in the schema."""

    def __init__(self, name: str, values: Iterable[str], description: str = "") -> None:
        self.name = name
        self.values = tuple(str(v) for v in values)
        self.description = description

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.literal_schema(list(self.values), ref=self.name)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        target = handler.resolve_ref_schema(json_schema)
        target["title"] = self.name
        if self.description:
            target["description"] = self.description
        return json_schema
