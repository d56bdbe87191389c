"""Messages a diagram declares on a sequence flow, shown on the user task that flow leads back to.

When the process sends work back (a decision inconsistent with the law, a reviewer who is not independent, a date
too soon), the re-offered task should say why. The modeller declares it on the flow that loops back, as
``camunda:properties``: ``message`` (the text, with optional ``${expression}`` parts read from the process
variables through the safe evaluator), ``messageLevel`` (info, warning or error; default warning) and
``messageCode`` (a stable key a front end may use). A new user task carries the messages of every declared flow
the process took since the previous user task. A message never stops the process: a part that cannot be
evaluated is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from lxml import etree

from service.engine import expressions

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NS = {"bpmn": BPMN_NS, "camunda": "http://camunda.org/schema/1.0/bpmn"}
LEVELS = ("info", "warning", "error")
_PLACEHOLDER = re.compile(r"\$\{([^{}]*)\}")
_CODE = re.compile(r"^[a-z][a-z0-9_.-]{0,59}$")
_PROPERTY_NAMES = ("message", "messageLevel", "messageCode")
MAX_TEXT = 500
MAX_WALK = 50  # automatic steps between two user tasks: far more than any diagram has


@dataclass(frozen=True)
class FlowMessage:
    """The message declared on one sequence flow."""

    flow_id: str
    text: str
    level: str = "warning"
    code: str | None = None


def declared(process: etree._Element) -> dict[tuple[str, str], FlowMessage]:
    """Each declared message by its flow's (source element id, target element id)."""
    found: dict[tuple[str, str], FlowMessage] = {}
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        props = _properties(flow)
        text = props.get("message", "").strip()
        if not text:
            continue
        found[(flow.get("sourceRef", ""), flow.get("targetRef", ""))] = FlowMessage(
            flow_id=flow.get("id", ""),
            text=text,
            level=props.get("messageLevel", "").strip() or "warning",
            code=props.get("messageCode", "").strip() or None,
        )
    return found


def problems(process: etree._Element) -> list[tuple[etree._Element, str]]:
    """Every bad declaration, with the element it is on."""
    found: list[tuple[etree._Element, str]] = []
    for element in process.iter():
        props = _properties(element)
        if not any(name in props for name in _PROPERTY_NAMES):
            continue
        if element.tag != f"{{{BPMN_NS}}}sequenceFlow":
            found.append((element, "message properties belong on a sequence flow: the one that sends work back"))
            continue
        text = props.get("message", "").strip()
        if not text:
            found.append((element, "messageLevel or messageCode without a message: add the message text"))
            continue
        if len(text) > MAX_TEXT:
            found.append((element, f"the message is longer than {MAX_TEXT} characters"))
        level = props.get("messageLevel", "").strip()
        if level and level not in LEVELS:
            found.append((element, f"messageLevel '{level}' is not known; use one of: {', '.join(LEVELS)}"))
        code = props.get("messageCode", "").strip()
        if code and not _CODE.match(code):
            found.append((element, f"messageCode '{code}' must be lower case letters, digits, '_', '.' or '-'"))
        for source in _PLACEHOLDER.findall(text):
            try:
                if not source.strip():
                    raise expressions.UnsafeExpression("the placeholder is empty", source=source)
                expressions.check(source)
            except expressions.UnsafeExpression as exc:
                found.append((element, f"message placeholder '${{{source}}}' refused: {exc.message}"))
        if "${" in _PLACEHOLDER.sub("", text):
            found.append((element, "the message has a '${' without its closing '}'"))
    return found


def render(message: FlowMessage, variables: dict[str, Any]) -> dict[str, Any]:
    """The message as shown on a task: ``{level, text, code}`` with its placeholders filled in."""

    def fill(match: re.Match[str]) -> str:
        try:
            value = expressions.evaluate(match.group(1), variables, unset_is_none=True)
        except (expressions.ExpressionError, expressions.UnsafeExpression, ArithmeticError, TypeError, ValueError):
            return ""
        return "" if value is None else str(value)

    # A comment left empty leaves "Returned for changes:" behind; drop the dangling colon.
    text = " ".join(_PLACEHOLDER.sub(fill, message.text).split()).rstrip(" :")
    return {"level": message.level, "text": text[:MAX_TEXT], "code": message.code}


def for_task(task: Any, messages: dict[tuple[str, str], FlowMessage], is_user_task: Any) -> list[dict[str, Any]]:
    """The messages of the declared flows the process took to reach ``task`` since the previous user task.

    ``task`` is a SpiffWorkflow task; its ancestors are the elements the token passed through, most recent first.
    """
    if not messages:
        return []
    chain: list[str] = [task.task_spec.bpmn_id]
    node = task.parent
    for _ in range(MAX_WALK):
        if node is None:
            break
        if node.task_spec.bpmn_id:
            chain.append(node.task_spec.bpmn_id)
            if is_user_task(node.task_spec):
                break
        node = node.parent
    steps = pairwise(chain)  # (element, the one before it), most recent first
    found = [messages[(source, target)] for target, source in steps if (source, target) in messages]
    return [render(message, task.data) for message in reversed(found)]


def _properties(element: etree._Element) -> dict[str, str]:
    return {
        prop.get("name", ""): prop.get("value", "")
        for prop in element.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", _NS)
    }
