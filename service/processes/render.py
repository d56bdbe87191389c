"""Draw a BPMN 2.0 diagram as SVG from its own diagram interchange (BPMNDI), optionally with an instance's progress.

Only lxml and the standard library: the SVG is built as an lxml tree, so names taken from uploaded files are
escaped on serialisation and can never inject markup. Every drawn BPMN element is a ``<g>`` carrying
``data-element-id`` (the BPMN id) and ``class`` (its kind, its BPMN tag, and with a state ``completed``,
``active``, ``overdue`` or, for flows, ``taken``), which is how tests and front ends find elements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lxml import etree

from service.processes import render_shapes as shapes
from service.processes.render_shapes import SVG, Box, el, text_block, wrap_text

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

ACTIVITIES = frozenset(
    {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask"}
    | {"callActivity", "subProcess", "transaction", "adHocSubProcess"}
)
EVENTS = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "implicitThrowEvent",
    }
)
GATEWAYS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"})
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
SUBPROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
ARTIFACTS = {
    "dataObjectReference": "data-object",
    "dataObject": "data-object",
    "dataStoreReference": "data-store",
    "textAnnotation": "annotation",
    "group": "group",
}
EDGES = {"sequenceFlow": "flow", "messageFlow": "message-flow", "association": "association"}

MARGIN = 20.0
BAND = 30.0  # width of the name band on the left of a horizontal pool or lane
LABEL_FONT = (11.0, 6.0, 14.0)  # font size, approximate character width, line height
LABEL_CHAR_WIDTH = 5.5  # for labels with BPMNLabel bounds

STYLE = """
text{font-family:Arial,Helvetica,sans-serif;font-size:12px;fill:#1a1a1a}
.label{font-size:11px}
.flow>.label,.event>.label,.gateway>.label,.message-flow>.label{paint-order:stroke;stroke:#fff;stroke-width:3px;
stroke-linejoin:round}
.body{fill:#fff;stroke:#1a1a1a;stroke-width:1.5}
.lane>.body{fill:none}
.band{stroke:#1a1a1a;stroke-width:1.5}
.pool-name{font-size:13px;font-weight:bold}
.callActivity>.body{stroke-width:4}
.endEvent>.body{stroke-width:4}
.event>.inner{fill:none;stroke:#1a1a1a;stroke-width:1.2}
.non-interrupting>.body,.non-interrupting>.inner{stroke-dasharray:5 3}
.marker{fill:none;stroke:#1a1a1a;stroke-width:3.5;stroke-linecap:round}
.glyph{fill:#fff;stroke:#1a1a1a;stroke-width:1.2}
.glyph.thin{stroke-width:1}
.glyph.filled{fill:#1a1a1a}
.glyph.hand{stroke-width:1.4;stroke-linecap:round}
.glyph.open{fill:none}
.glyph.inverse{stroke:#fff}
.mark{fill:none;stroke:#1a1a1a;stroke-width:1.5}
.icon{fill:#fff;stroke:#444;stroke-width:1.2}
.icon.gear{fill:none;stroke-width:3;stroke-dasharray:2.4 2.3}
.icon-text{font-size:11px;font-weight:bold;fill:#444}
.data-object>.body,.data-store>.body{fill:#fff}
.annotation>.body{fill:none;stroke:#666}
.group>.body{fill:none;stroke-dasharray:8 4 2 4}
.other>.body{fill:#f5f5f5;stroke-dasharray:4 2}
.line{fill:none;stroke:#444;stroke-width:1.5;stroke-linejoin:round}
.slash{stroke:#444;stroke-width:1.5}
.message-flow>.line{stroke-dasharray:8 5}
.association>.line{stroke-dasharray:2 4}
.completed>.body{fill:#dcedc8}
.active>.body{stroke:#1565c0;stroke-width:4}
.overdue>.body{stroke:#c62828;stroke-width:4}
.flow.taken>.line{stroke:#1b5e20;stroke-width:3;marker-end:url(#lif-arrow-taken)}
.flow.taken>.slash{stroke:#1b5e20}
.legend>.frame{fill:#fff;stroke:#999}
"""


@dataclass(frozen=True)
class InstanceState:
    """An instance's progress, as BPMN element ids."""

    completed: frozenset[str]  # flow nodes that have completed
    active: frozenset[str]  # flow nodes currently active or waiting
    overdue: frozenset[str] = frozenset()  # active flow nodes past their due time

    def __post_init__(self) -> None:  # accept any iterable of ids, e.g. a set
        for name in ("completed", "active", "overdue"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))

    def classes_for(self, element_id: str) -> list[str]:
        """The state classes of a flow node (``overdue`` is drawn over ``active``)."""
        return [name for name in ("completed", "active", "overdue") if element_id in getattr(self, name)]

    def took(self, source: str | None, target: str | None) -> bool:
        """A flow is taken when its source completed and its target completed or is under way."""
        under_way = self.completed | self.active | self.overdue
        return source is not None and source in self.completed and target is not None and target in under_way


@dataclass(frozen=True)
class _Drawing:
    elements: dict[str, Any]  # BPMN id -> element
    state: InstanceState | None
    attached: dict[str, list[Box]]  # activity id -> bounds of its boundary events


def render_svg(xml: bytes, state: InstanceState | None = None) -> str:
    """SVG of the (first) BPMN diagram in the file; with ``state``, the instance's progress drawn on it.

    Raises ``ValueError`` when the file is not well-formed XML or has no BPMNDiagram/BPMNPlane to draw.
    """
    root = _parse(xml)
    diagram = root.find(f".//{{{BPMNDI}}}BPMNDiagram")
    plane = diagram.find(f"{{{BPMNDI}}}BPMNPlane") if diagram is not None else None
    if plane is None:
        raise ValueError("the BPMN file has no diagram to draw (no BPMNDiagram with a BPMNPlane)")
    elements: dict[str, Any] = {}
    for node in root.iter(f"{{{BPMN}}}*"):
        if node.get("id"):
            elements.setdefault(str(node.get("id")), node)

    shape_list = [(s, b) for s in plane.iter(f"{{{BPMNDI}}}BPMNShape") if (b := _bounds(s)) is not None]
    edge_list = [(e, _waypoints(e)) for e in plane.iter(f"{{{BPMNDI}}}BPMNEdge")]
    box = _extent(shape_list, edge_list)
    legend_height = 44.0 if state is not None else 0.0
    width, height = box.w + 2 * MARGIN, box.h + 2 * MARGIN + legend_height
    svg = etree.Element(f"{{{SVG}}}svg", nsmap={None: SVG})
    view_box = (box.x - MARGIN, box.y - MARGIN, width, height)
    for name, value in {
        "viewBox": " ".join(shapes.num(v) for v in view_box),
        "width": shapes.num(width),
        "height": shapes.num(height),
        "class": "bpmn-diagram" + (" with-state" if state is not None else ""),
        "role": "img",
    }.items():
        svg.set(name, value)
    el(svg, "title", text=_diagram_title(root, plane, elements))
    el(svg, "style", text=STYLE)
    shapes.markers(el(svg, "defs"))

    drawing = _Drawing(elements, state, {})
    for shape, bounds in shape_list:
        node = elements.get(str(shape.get("bpmnElement") or ""))
        if node is not None and etree.QName(node).localname == "boundaryEvent":
            drawing.attached.setdefault(str(node.get("attachedToRef") or ""), []).append(bounds)
    layers = {name: el(svg, "g", {"class": f"layer-{name}"}) for name in ("containers", "shapes", "boundary", "flows")}
    for shape, bounds in shape_list:
        ref = str(shape.get("bpmnElement") or "")
        node = elements.get(ref)
        tag = etree.QName(node).localname if node is not None else ""
        layer = "containers" if tag in ("participant", "lane") or _expanded(tag, shape) else "shapes"
        if tag == "boundaryEvent":
            layer = "boundary"
        _draw_shape(layers[layer], drawing, ref, tag, node, shape, bounds)
    for edge, points in edge_list:
        ref = str(edge.get("bpmnElement") or "")
        _draw_edge(layers["flows"], ref, elements.get(ref), edge, points, elements, state)
    if state is not None:
        shapes.legend(svg, box.x, box.y + box.h + MARGIN)
    return str(etree.tostring(svg, encoding="unicode"))


def _parse(xml: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"the BPMN file is not well-formed XML: {exc}") from exc


def _num_attr(node: Any, name: str) -> float | None:
    try:
        value = float(node.get(name))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _bounds(node: Any, label: bool = False) -> Box | None:
    """A shape's bounds, or with ``label`` its BPMNLabel's bounds (``None`` when absent or malformed)."""
    holder = node.find(f"{{{BPMNDI}}}BPMNLabel") if label else node
    found = holder.find(f"{{{DC}}}Bounds") if holder is not None else None
    if found is None:
        return None
    values = [v for name in ("x", "y", "width", "height") if (v := _num_attr(found, name)) is not None]
    if len(values) != 4:
        return None
    x, y, w, h = values
    return Box(x, y, max(w, 0.0), max(h, 0.0))


def _waypoints(edge: Any) -> list[tuple[float, float]]:
    points = []
    for point in edge.findall(f"{{{DI}}}waypoint"):
        x, y = _num_attr(point, "x"), _num_attr(point, "y")
        if x is not None and y is not None:
            points.append((x, y))
    return points


def _extent(shape_list: list[tuple[Any, Box]], edge_list: list[tuple[Any, list[tuple[float, float]]]]) -> Box:
    xs: list[float] = []
    ys: list[float] = []
    boxes = [b for _, b in shape_list]
    boxes += [lb for node, _ in shape_list + edge_list if (lb := _bounds(node, label=True)) is not None]
    # Small shapes (events, gateways) without label bounds get their name below them: leave room for it.
    boxes += [Box(b.cx - 50, b.y + b.h, 100, 32) for node, b in shape_list if b.w <= 60 and _bounds(node, True) is None]
    for b in boxes:
        xs += [b.x, b.x + b.w]
        ys += [b.y, b.y + b.h]
    for _, points in edge_list:
        xs += [p[0] for p in points]
        ys += [p[1] for p in points]
    if not xs:
        return Box(0.0, 0.0, 100.0, 100.0)
    return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _diagram_title(root: Any, plane: Any, elements: dict[str, Any]) -> str:
    target = elements.get(str(plane.get("bpmnElement") or ""))
    candidates = [target] if target is not None else []
    candidates += list(root.iter(f"{{{BPMN}}}participant", f"{{{BPMN}}}process"))
    for node in candidates:
        if node.get("name"):
            return str(node.get("name"))
    return "BPMN diagram"


def _expanded(tag: str, shape: Any) -> bool:
    return tag in SUBPROCESSES and shape.get("isExpanded") == "true"


def _name(node: Any) -> str:
    if node is None:
        return ""
    if etree.QName(node).localname == "textAnnotation":
        text = node.find(f"{{{BPMN}}}text")
        return str(text.text or "") if text is not None else ""
    return str(node.get("name") or "")


def _group(parent: Any, element_id: str, classes: list[str], title: str) -> Any:
    group = el(parent, "g", {"class": " ".join(c for c in classes if c), "data-element-id": element_id})
    el(group, "title", text=title or element_id)
    return group


def _draw_shape(parent: Any, drawing: _Drawing, ref: str, tag: str, node: Any, shape: Any, box: Box) -> None:
    name = _name(node)
    classes = [_kind(tag), tag]
    if tag in FLOW_NODES and drawing.state is not None:
        classes += drawing.state.classes_for(ref)
    if tag in EVENTS:
        definitions = [
            etree.QName(child).localname.removesuffix("EventDefinition")
            for child in node
            if isinstance(child.tag, str) and etree.QName(child).localname.endswith("EventDefinition")
        ]
        interrupting = node.get("cancelActivity", node.get("isInterrupting", "true")) != "false"
        classes += [*definitions, "" if interrupting else "non-interrupting"]
        group = _group(parent, ref, classes, name)
        shapes.event(group, tag, definitions, box)
        _external_label(group, name, shape, box)
    elif tag in GATEWAYS:
        group = _group(parent, ref, classes, name)
        shapes.gateway(group, tag, box, shape.get("isMarkerVisible") != "false", node.get("instantiate") == "true")
        _external_label(group, name, shape, box)
    elif tag in ACTIVITIES:
        group = _group(parent, ref, classes, name)
        _draw_activity(group, tag, node, shape, box, name, drawing.attached.get(ref, []))
    elif tag in ("participant", "lane"):
        horizontal = shape.get("isHorizontal", "true") != "false"
        group = _group(parent, ref, classes, name)
        el(group, "rect", {"class": "body", **box.rect()})
        band = Box(box.x, box.y, BAND, box.h) if horizontal else Box(box.x, box.y, box.w, BAND)
        if tag == "participant":
            x2, y2 = (band.x + band.w, band.y) if horizontal else (band.x, band.y + band.h)
            el(group, "line", {"class": "band", "x1": band.x + band.w, "y1": band.y + band.h, "x2": x2, "y2": y2})
        lines = wrap_text(name, (box.h if horizontal else box.w) - 20, LABEL_FONT[1] + 1)
        rotate = f"rotate(-90 {shapes.num(band.cx)} {shapes.num(band.cy)})" if horizontal else None
        cls = "pool-name" if tag == "participant" else "lane-name"
        text_block(group, lines, band.cx, band.cy, 15.0, cls, transform=rotate, max_lines=2)
    else:
        group = _group(parent, ref, classes, name)
        shapes.artifact(group, classes[0], box)
        if name:
            inner = Box(box.x + 6, box.y, box.w - 8, box.h) if classes[0] == "annotation" else box
            anchor = "start" if classes[0] == "annotation" else "middle"
            lines = wrap_text(name, max(inner.w, 40), LABEL_FONT[1])
            if classes[0] in ("data-object", "data-store"):
                text_block(group, lines, box.cx, box.y + box.h + 6 + len(lines) * 7, LABEL_FONT[2], "label")
            else:
                x = inner.x if anchor == "start" else inner.cx
                text_block(group, lines, x, inner.cy, LABEL_FONT[2], "label", anchor=anchor)


def _kind(tag: str) -> str:
    if tag in ACTIVITIES:
        return "task"
    if tag in EVENTS:
        return "event"
    if tag in GATEWAYS:
        return "gateway"
    if tag in ("participant", "lane"):
        return tag
    return ARTIFACTS.get(tag, "other")


def _draw_activity(group: Any, tag: str, node: Any, shape: Any, box: Box, name: str, attached: list[Box]) -> None:
    el(group, "rect", {"class": "body", **box.rect(), "rx": 10, "ry": 10})
    if tag == "transaction":
        inner = Box(box.x + 3, box.y + 3, box.w - 6, box.h - 6)
        el(group, "rect", {"class": "glyph open", **inner.rect(), "rx": 8, "ry": 8})
    expanded = _expanded(tag, shape)
    markers: list[str] = []
    if tag in SUBPROCESSES and not expanded:
        markers.append("collapsed")
    if tag == "adHocSubProcess":
        markers.append("adhoc")
    if loop := _loop_kind(node):
        markers.append(loop)
    shapes.activity_markers(group, markers, box)
    if expanded:
        size, line_height = shapes.FONT_STEPS[0]
        lines = wrap_text(name, box.w - 20, size * shapes.CHAR_RATIO)
        text_block(group, lines, box.x + 10, box.y + 10 + line_height / 2, line_height, "name", anchor="start")
        return
    # The name goes between the icon row and the bottom markers, clear of boundary events on the top or bottom edge.
    top, bottom = box.y + 4.0, box.y + box.h - (16.0 if markers else 4.0)
    for event in attached:
        if abs(event.cy - (box.y + box.h)) <= event.h / 2:
            bottom = min(bottom, event.y - 1)
        elif abs(event.cy - box.y) <= event.h / 2:
            top = max(top, event.y + event.h + 1)
    width = box.w - 8
    icon_top = max(top, box.y + 22.0) if tag in shapes.ICON_TAGS else top
    fit = shapes.fit_text(name, width, bottom - icon_top)
    if fit is not None and tag in shapes.ICON_TAGS:
        shapes.task_icon(group, tag, box)
        top = icon_top
    elif fit is None:  # the name matters more than the icon
        fit = shapes.fit_text(name, width, bottom - top)
    if fit is None:  # too long even at the smallest size: cut it short
        size, line_height = shapes.FONT_STEPS[-1]
        fit = size, line_height, wrap_text(name, width, size * shapes.CHAR_RATIO)
    size, line_height, lines = fit
    max_lines = max(1, int((bottom - top) // line_height))
    half = min(len(lines), max_lines) * line_height / 2
    cy = min(max(box.cy, top + half), bottom - half)
    text_block(group, lines, box.cx, cy, line_height, "name", max_lines=max_lines, font_size=size)


def _loop_kind(node: Any) -> str:
    if node is None:
        return ""
    if (multi := node.find(f"{{{BPMN}}}multiInstanceLoopCharacteristics")) is not None:
        return "sequential" if multi.get("isSequential") == "true" else "parallel"
    return "loop" if node.find(f"{{{BPMN}}}standardLoopCharacteristics") is not None else ""


def _external_label(group: Any, name: str, shape: Any, box: Box) -> None:
    """An event's or gateway's name: at its BPMNLabel bounds if given, else centred below the shape."""
    if not name:
        return
    _, char_width, line_height = LABEL_FONT
    where = _bounds(shape, label=True)
    if where is None:
        lines = wrap_text(name, 100, char_width)
        text_block(group, lines, box.cx, box.y + box.h + 5 + len(lines) * line_height / 2, line_height, "label")
        return
    # The modeller sized the bounds with real font metrics: wrap a little more loosely than our estimate, and
    # let any extra line grow away from the shape.
    lines = wrap_text(name, where.w + 10, LABEL_CHAR_WIDTH)
    half = len(lines) * line_height / 2
    if where.y >= box.y + box.h - 2:
        cy = where.y + half
    elif where.y + where.h <= box.y + 2:
        cy = where.y + where.h - half
    else:
        cy = where.cy
    text_block(group, lines, where.cx, cy, line_height, "label")


def _draw_edge(
    parent: Any,
    ref: str,
    node: Any,
    edge: Any,
    points: list[tuple[float, float]],
    elements: dict[str, Any],
    state: InstanceState | None,
) -> None:
    tag = etree.QName(node).localname if node is not None else ""
    kind = EDGES.get(tag, "association" if "Association" in tag else "other")
    classes = [kind, tag]
    source = str(node.get("sourceRef")) if node is not None and node.get("sourceRef") else None
    target = str(node.get("targetRef")) if node is not None and node.get("targetRef") else None
    source_node = elements.get(source or "")
    is_default = tag == "sequenceFlow" and source_node is not None and source_node.get("default") == ref
    if is_default:
        classes.append("default")
    if state is not None and tag == "sequenceFlow" and state.took(source, target):
        classes.append("taken")
    name = _name(node)
    group = _group(parent, ref, classes, name)
    if len(points) < 2:
        return
    attrs: dict[str, str | float] = {"class": "line", "d": "M " + " L ".join(shapes.pair(p) for p in points)}
    if kind in ("flow", "message-flow"):
        attrs["marker-end"] = "url(#lif-arrow)" if kind == "flow" else "url(#lif-arrow-open)"
    if kind == "message-flow":
        attrs["marker-start"] = "url(#lif-circle)"
    el(group, "path", attrs)
    if is_default:
        shapes.default_slash(group, points[0], points[1])
    if not name:
        return
    _, char_width, line_height = LABEL_FONT
    where = _bounds(edge, label=True)
    if where is not None:
        text_block(group, wrap_text(name, where.w + 10, LABEL_CHAR_WIDTH), where.cx, where.cy, line_height, "label")
    else:
        (x, y) = shapes.midpoint(points)
        lines = wrap_text(name, 100, char_width)
        text_block(group, lines, x, y - 6 - len(lines) * line_height / 2, line_height, "label")
