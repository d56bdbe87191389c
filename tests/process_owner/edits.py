"""Edit diagrams the way a process owner does in Camunda Modeler: with shapes and edges, not just XML."""

from __future__ import annotations

from lxml import etree

from service.config import REPO_ROOT

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}
CSPR = (REPO_ROOT / "bpmn" / "cspr.bpmn").read_bytes()


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


def rename_task(xml: bytes, element_id: str, name: str) -> bytes:
    root = etree.fromstring(xml)
    root.find(f".//*[@id='{element_id}']").set("name", name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def set_task_property(xml: bytes, element_id: str, name: str, value: str) -> bytes:
    """Change one of a task's camunda:properties, as the modeler's properties panel does."""
    root = etree.fromstring(xml)
    prop = root.find(
        f".//*[@id='{element_id}']/bpmn:extensionElements/camunda:properties/camunda:property[@name='{name}']", NS
    )
    prop.set("value", value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def add_approval_branch(xml: bytes) -> bytes:
    """After 'Agree terms of reference', the chair approves: approved goes on, rejected goes back."""
    root = etree.fromstring(xml)
    process = root.find("bpmn:process", NS)
    flow = process.find("bpmn:sequenceFlow[@sourceRef='Task_AgreeTermsOfReference']", NS)
    original_target = flow.get("targetRef")
    flow.set("targetRef", "Task_ApproveTermsOfReference")
    lane = process.find(".//bpmn:lane[@name='Case review group member']", NS)
    for node_id in ("Task_ApproveTermsOfReference", "Gateway_TermsApproved"):
        etree.SubElement(lane, _q("bpmn", "flowNodeRef")).text = node_id
    task = etree.SubElement(
        process, _q("bpmn", "userTask"), id="Task_ApproveTermsOfReference", name="Chair approves the terms of reference"
    )
    ext = etree.SubElement(task, _q("bpmn", "extensionElements"))
    form = etree.SubElement(ext, _q("camunda", "formData"))
    field = etree.SubElement(form, _q("camunda", "formField"), id="tor_approved", label="Approved", type="boolean")
    etree.SubElement(etree.SubElement(field, _q("camunda", "validation")), _q("camunda", "constraint"), name="required")
    props = etree.SubElement(ext, _q("camunda", "properties"))
    etree.SubElement(props, _q("camunda", "property"), name="stage", value="Local review")
    etree.SubElement(task, _q("bpmn", "incoming")).text = flow.get("id")
    etree.SubElement(task, _q("bpmn", "outgoing")).text = "Flow_ToTermsApproved"
    gateway = etree.SubElement(
        process,
        _q("bpmn", "exclusiveGateway"),
        id="Gateway_TermsApproved",
        name="Terms approved?",
        default="Flow_TermsApproved",
    )
    etree.SubElement(gateway, _q("bpmn", "incoming")).text = "Flow_ToTermsApproved"
    etree.SubElement(gateway, _q("bpmn", "outgoing")).text = "Flow_TermsApproved"
    etree.SubElement(gateway, _q("bpmn", "outgoing")).text = "Flow_TermsRejected"
    etree.SubElement(
        process,
        _q("bpmn", "sequenceFlow"),
        id="Flow_ToTermsApproved",
        sourceRef="Task_ApproveTermsOfReference",
        targetRef="Gateway_TermsApproved",
    )
    etree.SubElement(
        process,
        _q("bpmn", "sequenceFlow"),
        id="Flow_TermsApproved",
        name="Approved",
        sourceRef="Gateway_TermsApproved",
        targetRef=original_target,
    )
    rejected = etree.SubElement(
        process,
        _q("bpmn", "sequenceFlow"),
        id="Flow_TermsRejected",
        name="Rejected",
        sourceRef="Gateway_TermsApproved",
        targetRef="Task_AgreeTermsOfReference",
    )
    condition = etree.SubElement(rejected, _q("bpmn", "conditionExpression"))
    condition.set("{http://www.w3.org/2001/XMLSchema-instance}type", "bpmn:tFormalExpression")
    condition.text = "not tor_approved"
    original = process.find(f"*[@id='{original_target}']", NS)
    for incoming in original.findall("bpmn:incoming", NS):
        if incoming.text == flow.get("id"):
            incoming.text = "Flow_TermsApproved"
    agree = process.find("bpmn:userTask[@id='Task_AgreeTermsOfReference']", NS)
    agree.insert(list(agree).index(agree.find("bpmn:outgoing", NS)), _incoming("Flow_TermsRejected"))
    plane = root.find(".//bpmndi:BPMNPlane", NS)
    host = plane.find("bpmndi:BPMNShape[@bpmnElement='Task_AgreeTermsOfReference']/dc:Bounds", NS)
    x, y = float(host.get("x")), float(host.get("y"))
    _shape(plane, "Task_ApproveTermsOfReference", x, y + 120, 100, 80)
    _shape(plane, "Gateway_TermsApproved", x + 150, y + 135, 50, 50)
    _edge(plane, flow.get("id"), [(x + 50, y + 80), (x + 50, y + 120)])
    _edge(plane, "Flow_ToTermsApproved", [(x + 100, y + 160), (x + 150, y + 160)])
    _edge(plane, "Flow_TermsApproved", [(x + 200, y + 160), (x + 260, y + 160)])
    _edge(plane, "Flow_TermsRejected", [(x + 175, y + 135), (x + 175, y + 40), (x + 100, y + 40)])
    for edge in plane.findall("bpmndi:BPMNEdge", NS):
        if edge.get("bpmnElement") == flow.get("id") and len(edge.findall("di:waypoint", NS)) > 2:
            plane.remove(edge)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _incoming(flow_id: str) -> etree._Element:
    element = etree.Element(_q("bpmn", "incoming"))
    element.text = flow_id
    return element


def _shape(plane: etree._Element, element_id: str, x: float, y: float, w: float, h: float) -> None:
    shape = etree.SubElement(plane, _q("bpmndi", "BPMNShape"), id=f"{element_id}_di", bpmnElement=element_id)
    etree.SubElement(shape, _q("dc", "Bounds"), x=str(x), y=str(y), width=str(w), height=str(h))


def _edge(plane: etree._Element, element_id: str, points: list[tuple[float, float]]) -> None:
    for old in plane.findall(f"bpmndi:BPMNEdge[@bpmnElement='{element_id}']", NS):
        plane.remove(old)
    edge = etree.SubElement(plane, _q("bpmndi", "BPMNEdge"), id=f"{element_id}_di", bpmnElement=element_id)
    for px, py in points:
        etree.SubElement(edge, _q("di", "waypoint"), x=str(px), y=str(py))


def without_diagram(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    for diagram in root.findall("bpmndi:BPMNDiagram", NS):
        root.remove(diagram)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def remove_element(xml: bytes, element_id: str) -> bytes:
    """Delete a task and reconnect its incoming flows straight to its successor (an incompatible change)."""
    root = etree.fromstring(xml)
    process = root.find("bpmn:process", NS)
    node = process.find(f"*[@id='{element_id}']", NS)
    out_flow = process.find(f"bpmn:sequenceFlow[@sourceRef='{element_id}']", NS)
    successor = out_flow.get("targetRef")
    for flow in process.findall(f"bpmn:sequenceFlow[@targetRef='{element_id}']", NS):
        flow.set("targetRef", successor)
        target = process.find(f"*[@id='{successor}']", NS)
        target.insert(0, _incoming(flow.get("id")))
    for incoming in process.find(f"*[@id='{successor}']", NS).findall("bpmn:incoming", NS):
        if incoming.text == out_flow.get("id"):
            incoming.getparent().remove(incoming)
    for boundary in process.findall(f"bpmn:boundaryEvent[@attachedToRef='{element_id}']", NS):
        boundary.set("attachedToRef", successor)
    process.remove(node)
    process.remove(out_flow)
    for ref in process.iterfind(".//bpmn:flowNodeRef", NS):
        if ref.text == element_id:
            ref.getparent().remove(ref)
    plane = root.find(".//bpmndi:BPMNPlane", NS)
    for item in plane:
        if item.get("bpmnElement") in (element_id, out_flow.get("id")):
            plane.remove(item)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
