"""Which tasks and end events of a diagram no path from a start can ever reach (pure graph analysis).

Conditions are not evaluated: an element counts as reachable when *some* chain of sequence flows leads to
it, so a report here is always a modelling error (a missing or misdrawn flow), never a judgement call.
"""

from __future__ import annotations

from collections import defaultdict, deque

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_ROOT = "#process"  # the virtual node every start of a process hangs from
_SUBPROCESS_TAGS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
_REPORTED_TAGS = frozenset({"endEvent", "callActivity"} | _SUBPROCESS_TAGS)
_NOT_FLOW_NODES = frozenset(
    {
        "sequenceFlow",
        "association",
        "textAnnotation",
        "group",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "laneSet",
        "lane",
        "ioSpecification",
        "property",
    }
)


def unreachable_elements(xml: bytes) -> list[tuple[str, str]]:
    """``(element_id, name)`` of every end event, task, call activity and subprocess no start can reach.

    Looks at each executable process. A boundary event is reachable when the activity it is attached to is;
    the start events of an event subprocess count as starts (they fire whenever their container runs).
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(xml, parser)
    found: list[tuple[str, str]] = []
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("isExecutable", "true") == "false":
            continue  # SpiffWorkflow's reading too: a pool drawn for an outside party is not run
        found.extend(_unreachable_in(process))
    return found


def _unreachable_in(process: etree._Element) -> list[tuple[str, str]]:
    edges: defaultdict[str, set[str]] = defaultdict(set)
    nodes: dict[str, etree._Element] = {}
    _add_container(process, _ROOT, edges, nodes)
    reached = _walk(edges)
    return [
        (element_id, element.get("name") or element_id)
        for element_id, element in nodes.items()
        if element_id not in reached and _is_reported(element)
    ]


def _add_container(
    container: etree._Element, container_id: str, edges: defaultdict[str, set[str]], nodes: dict[str, etree._Element]
) -> None:
    """Add the flow nodes directly inside ``container`` (a process or subprocess), recursing into subprocesses."""
    children = [child for child in container if isinstance(child.tag, str) and child.get("id")]
    flow_nodes = [child for child in children if _local(child) not in _NOT_FLOW_NODES]
    targets: set[str] = set()
    links: defaultdict[str, list[str]] = defaultdict(list)  # link name -> catching link events
    for child in children:
        tag = _local(child)
        if tag == "sequenceFlow":
            source, target = child.get("sourceRef"), child.get("targetRef")
            if source and target:
                edges[source].add(target)
                targets.add(target)
        elif tag == "association" and child.get("sourceRef") and child.get("targetRef"):
            # A compensation boundary event reaches its handler through an association, not a flow.
            edges[child.get("sourceRef", "")].add(child.get("targetRef", ""))
        elif tag == "intermediateCatchEvent" and (name := _link_name(child)) is not None:
            links[name].append(child.get("id", ""))
    for node in flow_nodes:
        node_id, tag = node.get("id", ""), _local(node)
        nodes[node_id] = node
        if tag == "boundaryEvent" and node.get("attachedToRef"):
            edges[node.get("attachedToRef", "")].add(node_id)
            targets.add(node_id)
        elif tag == "intermediateThrowEvent" and (name := _link_name(node)) is not None:
            edges[node_id].update(links.get(name, []))
        if tag in _SUBPROCESS_TAGS:
            if node.get("triggeredByEvent") == "true":
                edges[container_id].add(node_id)  # an event subprocess starts whenever its container runs
                targets.add(node_id)
            _add_container(node, node_id, edges, nodes)
    starts = [n for n in flow_nodes if _local(n) == "startEvent"]
    if not starts:
        # Without a start event every activity with no incoming flow starts (BPMN 2.0, 10.5.2).
        starts = [
            n
            for n in flow_nodes
            if n.get("id") not in targets and _local(n) != "boundaryEvent" and n.get("isForCompensation") != "true"
        ]
    edges[container_id].update(n.get("id", "") for n in starts)


def _walk(edges: defaultdict[str, set[str]]) -> set[str]:
    reached = {_ROOT}
    queue = deque([_ROOT])
    while queue:
        for target in edges.get(queue.popleft(), ()):
            if target not in reached:
                reached.add(target)
                queue.append(target)
    return reached


def _is_reported(element: etree._Element) -> bool:
    tag = _local(element)
    return tag in _REPORTED_TAGS or tag == "task" or tag.endswith("Task")


def _link_name(event: etree._Element) -> str | None:
    link = event.find(f"{{{BPMN_NS}}}linkEventDefinition")
    return None if link is None else link.get("name") or ""


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)
