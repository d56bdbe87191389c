"""Server-side SVG of BPMN diagrams: every element drawn and findable, progress marked, names never markup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from service.config import REPO_ROOT
from service.processes.render import InstanceState, render_svg

BPMN_DIR = REPO_ROOT / "bpmn"
CSPR = (BPMN_DIR / "cspr.bpmn").read_bytes()
ENDPOINT_REVIEW = (BPMN_DIR / "endpoint_review.bpmn").read_bytes()
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
SVG_NS = "http://www.w3.org/2000/svg"

# BPMN 2.0 flowNode family, listed here independently of the renderer.
FLOW_NODE_TAGS = (
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
)  # fmt: skip
START = "StartEvent_SeriousIncidentKnown"
NOTIFY = "Task_NotifyPanel"
START_TO_NOTIFY = "Flow_StartToNotifyPanel"


def _ids(xml: bytes, *tags: str) -> set[str]:
    root = etree.fromstring(xml)
    return {str(node.get("id")) for tag in tags for node in root.iter(f"{{{BPMN_NS}}}{tag}")}


def _svg(xml: bytes, state: InstanceState | None = None) -> Any:
    return etree.fromstring(render_svg(xml, state).encode())


def _group(svg: Any, element_id: str) -> Any:
    found = svg.xpath("//svg:g[@data-element-id=$id]", namespaces={"svg": SVG_NS}, id=element_id)
    assert len(found) == 1, f"{element_id}: {len(found)} groups"
    return found[0]


def _classes(svg: Any, element_id: str) -> set[str]:
    return set(str(_group(svg, element_id).get("class")).split())


@pytest.mark.parametrize("path", sorted(BPMN_DIR.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_element_of_every_shipped_diagram_is_drawn(path: Path) -> None:
    xml = path.read_bytes()
    svg = _svg(xml)
    drawn = {str(g.get("data-element-id")) for g in svg.iter(f"{{{SVG_NS}}}g") if g.get("data-element-id")}
    flow_nodes = _ids(xml, *FLOW_NODE_TAGS)
    expected = flow_nodes | _ids(xml, "sequenceFlow", "lane", "participant")
    assert flow_nodes
    assert expected - drawn == set()
    for lane in _ids(xml, "lane"):
        assert "lane" in _classes(svg, lane)
    for participant in _ids(xml, "participant"):
        assert "participant" in _classes(svg, participant)
    for flow in _ids(xml, "sequenceFlow"):
        assert "flow" in _classes(svg, flow)


@pytest.mark.parametrize("path", sorted(BPMN_DIR.glob("*.bpmn")), ids=lambda p: p.name)
def test_view_box_covers_the_diagram_and_sets_the_size(path: Path) -> None:
    svg = _svg(path.read_bytes())
    x, y, width, height = (float(v) for v in str(svg.get("viewBox")).split())
    assert (float(svg.get("width")), float(svg.get("height"))) == (width, height)
    root = etree.fromstring(path.read_bytes())
    for bounds in root.iter("{http://www.omg.org/spec/DD/20100524/DC}Bounds"):
        bx, by = float(bounds.get("x")), float(bounds.get("y"))
        assert x <= bx and bx + float(bounds.get("width")) <= x + width
        assert y <= by and by + float(bounds.get("height")) <= y + height


def test_kinds_are_classes() -> None:
    svg = _svg(CSPR)
    assert {"event", "startEvent"} <= _classes(svg, START)
    assert {"task", "userTask"} <= _classes(svg, NOTIFY)
    assert {"task", "scriptTask"} <= _classes(svg, "ScriptTask_StartRapidReviewClock")
    assert {"gateway", "exclusiveGateway"} <= _classes(svg, "Gateway_WhichReview")
    assert {"gateway", "parallelGateway"} <= _classes(svg, "Gateway_InvolvementSplit")
    assert {"event", "boundaryEvent", "timer", "non-interrupting"} <= _classes(svg, "Timer_PanelNotificationDue")
    assert {"flow", "default"} <= _classes(svg, "Flow_LocalReview")
    assert "default" not in _classes(svg, "Flow_NationalReview")


def test_progress_is_drawn_with_state() -> None:
    state = InstanceState(completed=frozenset({START}), active=frozenset({NOTIFY}))
    svg = _svg(CSPR, state)
    assert "active" in _classes(svg, NOTIFY)
    assert "overdue" not in _classes(svg, NOTIFY)
    assert "completed" in _classes(svg, START)
    assert "taken" in _classes(svg, START_TO_NOTIFY)
    assert "taken" not in _classes(svg, "Flow_NotifyPanelToStartClock")
    assert "completed" not in _classes(svg, "ScriptTask_StartRapidReviewClock")
    assert svg.xpath("//svg:g[contains(@class, 'legend')]", namespaces={"svg": SVG_NS})

    overdue = _svg(CSPR, InstanceState(completed=frozenset({START}), active=frozenset(), overdue=frozenset({NOTIFY})))
    assert "overdue" in _classes(overdue, NOTIFY)
    assert "taken" in _classes(overdue, START_TO_NOTIFY)


def test_no_state_no_progress_classes_and_no_legend() -> None:
    svg = _svg(CSPR)
    marked = {"completed", "active", "overdue", "taken"}
    assert all(not marked & set(str(g.get("class")).split()) for g in svg.iter(f"{{{SVG_NS}}}g"))
    assert not svg.xpath("//svg:g[contains(@class, 'legend')]", namespaces={"svg": SVG_NS})


def test_a_flow_between_completed_nodes_is_taken_and_state_accepts_plain_sets() -> None:
    state = InstanceState(completed={START, NOTIFY}, active={"ScriptTask_StartRapidReviewClock"})  # type: ignore[arg-type]
    svg = _svg(CSPR, state)
    assert "taken" in _classes(svg, START_TO_NOTIFY)
    assert "taken" in _classes(svg, "Flow_NotifyPanelToStartClock")
    assert "taken" not in _classes(svg, "Flow_StartClockToProvideInformation")


def test_names_never_become_markup() -> None:
    hostile = "<script>alert(1)</script>"
    xml = CSPR.replace(b'name="Notify the national Panel"', b'name="&lt;script&gt;alert(1)&lt;/script&gt;"')
    assert xml != CSPR
    text = render_svg(xml)
    svg = etree.fromstring(text.encode())
    assert [node for node in svg.iter() if isinstance(node.tag, str) and etree.QName(node).localname == "script"] == []
    assert "<script" not in text
    group = _group(svg, NOTIFY)
    assert group.findtext(f"{{{SVG_NS}}}title") == hostile
    assert "".join(group.itertext()).count("alert(1)") >= 2  # as text: in the tooltip and the drawn name


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doctype = f'<!DOCTYPE d [<!ENTITY leak SYSTEM "file://{secret}">]>\n'.encode()
    xml = ENDPOINT_REVIEW.replace(b"<bpmn:definitions", doctype + b"<bpmn:definitions", 1)
    annotated = xml.replace(
        b"</bpmn:process>",
        b'<bpmn:textAnnotation id="Note"><bpmn:text>see &leak; here</bpmn:text></bpmn:textAnnotation></bpmn:process>',
    ).replace(
        b"</bpmndi:BPMNPlane>",
        b'<bpmndi:BPMNShape bpmnElement="Note"><dc:Bounds x="300" y="230" width="100" height="30"/>'
        b"</bpmndi:BPMNShape></bpmndi:BPMNPlane>",
    )
    svg = render_svg(annotated)
    assert "TOP-SECRET" not in svg
    assert "annotation" in _classes(etree.fromstring(svg.encode()), "Note")
    in_attribute = xml.replace(b'name="Restore or retire the webhook endpoint"', b'name="&leak;"')
    with pytest.raises(ValueError, match="well-formed"):
        render_svg(in_attribute)


def test_a_file_without_a_diagram_is_refused() -> None:
    root = etree.fromstring(ENDPOINT_REVIEW)
    for diagram in root.findall(f"{{{BPMNDI_NS}}}BPMNDiagram"):
        root.remove(diagram)
    with pytest.raises(ValueError, match="BPMNDiagram"):
        render_svg(etree.tostring(root))
    with pytest.raises(ValueError, match="well-formed"):
        render_svg(b"<bpmn:definitions")


def _task_text(name: str) -> tuple[Any, Any, float, list[str]]:
    xml = ENDPOINT_REVIEW.replace(b'name="Restore or retire the webhook endpoint"', f'name="{name}"'.encode())
    assert xml != ENDPOINT_REVIEW
    group = _group(_svg(xml), "Task_ReviewEndpoint")
    body, text = group.find(f"{{{SVG_NS}}}rect"), group.find(f"{{{SVG_NS}}}text")
    size = float(str(text.get("style") or "font-size:12px").removeprefix("font-size:").removesuffix("px"))
    return body, text, size, [str(span.text) for span in text.findall(f"{{{SVG_NS}}}tspan")]


@pytest.mark.parametrize(
    "long_name",
    [
        "Restore or retire the webhook endpoint after the partner confirms",
        "Agree terms of reference with the independent reviewer",
        "Re-establish contact with the safeguarding partners",
    ],
)
def test_long_task_names_wrap_within_the_task(long_name: str) -> None:
    body, text, size, lines = _task_text(long_name)
    width, top, height = float(body.get("width")), float(body.get("y")), float(body.get("height"))
    assert width == 100 and body.get("rx") == "10"
    assert len(lines) >= 3
    assert all(len(line) * 7 * size / 12 <= width - 8 for line in lines)  # ~7px a character at 12px
    assert "".join(lines).replace(" ", "") == long_name.replace(" ", "")  # nothing lost or split mid-word
    ys = [float(span.get("y")) for span in text.findall(f"{{{SVG_NS}}}tspan")]
    assert ys == sorted(ys) and top + size <= ys[0] and ys[-1] < top + height - 2


def test_a_name_too_long_for_the_task_is_cut_short() -> None:
    body, text, size, lines = _task_text("Consider " + "the partnership's very detailed arrangements " * 4)
    assert lines[-1].endswith("\u2026")
    ys = [float(span.get("y")) for span in text.findall(f"{{{SVG_NS}}}tspan")]
    assert ys[-1] < float(body.get("y")) + float(body.get("height")) - 2
    assert all(len(line) * 7 * size / 12 <= float(body.get("width")) for line in lines)


def test_lanes_are_labelled_vertically() -> None:
    svg = _svg(CSPR)
    text = _group(svg, "Lane_BusinessManager").find(f"{{{SVG_NS}}}text")
    assert str(text.get("transform")).startswith("rotate(-90")
    assert "".join(text.itertext()) == "Business manager"
