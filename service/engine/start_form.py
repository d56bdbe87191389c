"""Start-event form fields read straight from the XML: SpiffWorkflow parses user-task forms, not start forms."""

from __future__ import annotations

from typing import Any

from lxml import etree

_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}


class _XmlField:
    """A Camunda form field read straight from XML (start events are not parsed by SpiffWorkflow)."""

    def __init__(self, node: etree._Element):
        self.id = node.get("id") or ""
        self.type = node.get("type") or "string"
        self.label = node.get("label") or self.id
        self.default_value = node.get("defaultValue")
        self.options = [_XmlOption(v) for v in node.iterfind("camunda:value", _NS)]
        self.validation = [_XmlOption(c) for c in node.iterfind("camunda:validation/camunda:constraint", _NS)]
        self.identifying = any(
            (prop.get("id") or prop.get("name")) == "identifying" and (prop.get("value") or "").lower() == "true"
            for prop in node.iterfind("camunda:properties/camunda:property", _NS)
        )


class _XmlOption:
    def __init__(self, node: etree._Element):
        self.id = node.get("id")
        self.name = node.get("name")
        self.config = node.get("config")


def start_form_fields(process: etree._Element) -> list[Any]:
    """The start event's form fields, shaped like SpiffWorkflow's (``id``, ``type``, ``validation``, ...)."""
    start = process.find("bpmn:startEvent", _NS)
    if start is None:
        return []
    return [_XmlField(f) for f in start.iterfind(".//camunda:formData/camunda:formField", _NS)]
