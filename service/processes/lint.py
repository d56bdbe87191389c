"""XML-level checks a process owner needs before deploying: diagram interchange and modelling lint.

These need no engine: they read the BPMN XML (safely) and report problems with element id, name and line.
Missing diagram interchange is an error (the diagram would not open in a modeler); lint findings are warnings.
"""

from __future__ import annotations

from lxml import etree

from service.engine import Problem

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
NS = {"bpmn": BPMN, "bpmndi": DI, "dc": DC, "di": "http://www.omg.org/spec/DD/20100524/DI"}
FLOW_NODES = {
    "task",
    "userTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "manualTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
}
_NAMED = FLOW_NODES - {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}


def parse(xml: bytes) -> etree._Element | None:
    """The document root, or None if the XML does not parse (the engine reports that)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        return None


def diagram_problems(root: etree._Element) -> list[Problem]:
    """Every flow node needs a BPMNShape with bounds and every flow a BPMNEdge with waypoints."""
    shapes = {
        s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", NS) if s.find("dc:Bounds", NS) is not None
    }
    edges = {
        e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS) if len(e.findall("di:waypoint", NS)) >= 2
    }
    problems = []
    if root.find(".//bpmndi:BPMNDiagram", NS) is None:
        return [Problem("the file has no diagram (BPMNDiagram): it would not open in a modeler")]
    for node in _flow_nodes(root):
        if node.get("id") not in shapes:
            problems.append(_at(node, "no diagram shape (BPMNShape with bounds): it would not show in a modeler"))
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        if flow.get("id") not in edges:
            problems.append(_at(flow, "no diagram edge (BPMNEdge with waypoints): it would not show in a modeler"))
    return problems


def lint_warnings(root: etree._Element) -> list[Problem]:
    """Modelling smells (bpmnlint's recommended rules, the ones that matter to us): warnings, not errors."""
    warnings: list[Problem] = []
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    for node in _flow_nodes(root):
        kind = etree.QName(node).localname
        incoming = node.findall("bpmn:incoming", NS)
        outgoing = node.findall("bpmn:outgoing", NS)
        if kind in _NAMED and not (node.get("name") or "").strip():
            warnings.append(_at(node, "label-required: give it a name people will recognise", "warning"))
        if kind.endswith("Gateway") and len(outgoing) > 1 and not (node.get("name") or "").strip():
            warnings.append(_at(node, "label-required: a splitting gateway should ask its question", "warning"))
        if kind not in ("startEvent", "boundaryEvent") and not incoming and not _in_event_subprocess(node):
            warnings.append(_at(node, "no-disconnected: nothing leads here", "warning"))
        if kind != "endEvent" and not outgoing:
            warnings.append(_at(node, "no-implicit-end: end the path with an end event", "warning"))
        if kind.endswith("Gateway") and len(incoming) > 1 and len(outgoing) > 1:
            warnings.append(_at(node, "no-gateway-join-fork: use one gateway to join and another to split", "warning"))
        if kind == "exclusiveGateway" and len(outgoing) > 1:
            default = node.get("default")
            for flow_id in (o.text for o in outgoing):
                flow = root.find(f".//bpmn:sequenceFlow[@id='{flow_id}']", NS)
                if flow is not None and flow_id != default and flow.find("bpmn:conditionExpression", NS) is None:
                    warnings.append(
                        _at(
                            flow,
                            "conditional-flows: a flow out of a decision needs a condition "
                            "(or make it the gateway's default)",
                            "warning",
                        )
                    )
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in ids:
                warnings.append(_at(flow, f"{end} '{flow.get(end)}' does not exist", "error"))
    return warnings


def _flow_nodes(root: etree._Element) -> list[etree._Element]:
    return [
        el
        for el in root.iter()
        if isinstance(el.tag, str) and etree.QName(el).namespace == BPMN and etree.QName(el).localname in FLOW_NODES
    ]


def _in_event_subprocess(node: etree._Element) -> bool:
    parent = node.getparent()
    return (
        parent is not None and parent.get("triggeredByEvent") == "true" and etree.QName(node).localname == "startEvent"
    )


def _at(element: etree._Element, message: str, severity: str = "error") -> Problem:
    return Problem(message, element.get("id"), element.get("name"), element.sourceline, severity)
