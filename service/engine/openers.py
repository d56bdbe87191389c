"""Elements that open a linked case when the process passes them (``opensCase`` properties)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from service.engine import expressions

_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}


@dataclass(frozen=True)
class CaseOpener:
    """A none intermediate throw event that opens a case of ``case_type`` with start data from ``data``."""

    element_id: str
    case_type: str
    data: str | None
    title: str | None
    relation: str


def element_properties(element: etree._Element) -> dict[str, str]:
    """An element's ``camunda:properties`` as a dict."""
    return {
        prop.get("name", ""): prop.get("value", "")
        for prop in element.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", _NS)
    }


def case_openers(process: etree._Element) -> dict[str, CaseOpener]:
    """Every element of ``process`` with an ``opensCase`` property, by element id."""
    found: dict[str, CaseOpener] = {}
    for element in process.iter():
        props = element_properties(element)
        case_type = props.get("opensCase", "").strip()
        if case_type and element.get("id"):
            found[element.get("id", "")] = CaseOpener(
                element_id=element.get("id", ""),
                case_type=case_type,
                data=props.get("opensCase.data") or None,
                title=props.get("opensCase.title") or None,
                relation=props.get("opensCase.relation") or "opened_from",
            )
    return found


def opener_problems(process: etree._Element) -> list[tuple[str, str]]:
    """(element id, message) for misused ``opensCase`` properties: wrong element or unsafe expressions."""
    problems: list[tuple[str, str]] = []
    for opener in case_openers(process).values():
        element = process.find(f".//*[@id='{opener.element_id}']")
        assert element is not None
        is_throw = element.tag == f"{{{_NS['bpmn']}}}intermediateThrowEvent"
        if not is_throw or any(etree.QName(child).localname.endswith("EventDefinition") for child in element):
            problems.append(
                (opener.element_id, "opensCase belongs on a none intermediate throw event (no event definition)")
            )
        for part, text in (("data", opener.data), ("title", opener.title)):
            if text:
                try:
                    expressions.check(text)
                except expressions.UnsafeExpression as exc:
                    problems.append((opener.element_id, f"opensCase.{part} '{text}' refused: {exc.message}"))
    return problems
