"""Parse and validate a BPMN file into a runnable definition, or say precisely what is wrong with it."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from service.engine import (
    case_policy,
    escalations,
    expressions,
    flow_messages,
    forms,
    juel,
    spec_settling,
    timer_bounds,
)
from service.engine.flow_messages import FlowMessage
from service.engine.openers import CaseOpener, case_openers, element_properties, opener_problems
from service.engine.start_form import start_form_fields

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
_RESERVED_IDS = {"Start", "End"}  # SpiffWorkflow silently breaks on these element ids
_VALIDATOR = BpmnValidator()
# What a whole case can be kept as (the ``recordClass`` process property); retention rules are per class.
CASE_RECORD_CLASSES = ("review_case", "audit_return", "training_record")
# A bare upper-case word starting with P or R is a mistyped ISO duration/cycle, not a variable name.
_LOOKS_LIKE_ISO = re.compile(r"^(R\d*/)?P[0-9A-Z.,]*$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram, located as precisely as the parser allows."""

    message: str
    element_id: str | None = None
    element_name: str | None = None
    line: int | None = None
    severity: str = "error"


class DefinitionInvalid(ValueError):
    """A diagram that cannot be deployed; ``problems`` lists every reason found."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(_describe(p) for p in problems))


@dataclass(frozen=True)
class UserTaskInfo:
    """What the service needs to know about one user task of a definition."""

    element_id: str
    name: str
    lane: str | None
    role: str | None
    stage: str | None
    agency_variable: str | None
    form_schema: dict[str, Any]
    prefill: str | None = None  # "previous": offer the agency's answers from its previous case of this type
    prefill_match: str | None = None  # ``prefillMatch``: only from a previous case where this variable was equal
    complete_via: str | None = None  # the API that completes this task (its own checks run there), if not /complete
    checks_work_of: str | None = None  # ``checksWorkOf``: the user task whose completer may not do this one


@dataclass(frozen=True)
class ClockDefinition:
    """A statutory clock declared on the process (``clock.<key>.*`` properties).

    ``due`` is an expression giving the due date; ``met`` names the variable whose presence means the
    clock was met; ``when`` (optional) says whether the clock applies at all.
    """

    key: str
    label: str
    due: str
    met: str
    when: str | None = None


@dataclass
class LoadedDefinition:
    """A parsed, validated, runnable process definition (one version, pinned by its content hash)."""

    process_id: str
    name: str
    content_hash: str
    xml: bytes
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: dict[str, UserTaskInfo] = field(default_factory=dict)
    element_names: dict[str, str] = field(default_factory=dict)
    start_form_schema: dict[str, Any] = field(default_factory=dict)
    clocks: list[ClockDefinition] = field(default_factory=list)
    record_fields: list[str] = field(default_factory=list)
    case_openers: dict[str, CaseOpener] = field(default_factory=dict)
    reference_prefix: str = ""
    legal_mandate: str | None = None  # the ``legalMandate`` process property: the default legal basis
    opened_by: str | None = None  # ``openedBy``: the feature endpoint that opens this case type (not POST /cases)
    # ``partnershipKinds``: the kinds of partnership that may open it (empty: every kind). A joint one opens any.
    partnership_kinds: tuple[str, ...] = ()
    case_access: str = "need_to_know"  # ``caseAccess``: need_to_know, or partnership (everyone in it sees it)
    identifying_fields: tuple[str, ...] = ()  # start-form fields marked ``identifying``: sealed, never in the process
    record_class: str = "review_case"  # ``recordClass``: which retention rule a closed case of this type follows
    # String literals the diagram's own scripts write (e.g. a legal mandate): text of the diagram, not of a person.
    script_constants: frozenset[str] = frozenset()
    # Messages declared on sequence flows (``message`` properties), by (source id, target id): flow_messages.py.
    flow_messages: dict[tuple[str, str], FlowMessage] = field(default_factory=dict)
    # Escalation tasks that close themselves once their overdue task is completed (escalations.py).
    closable_escalations: frozenset[str] = frozenset()


def content_hash(xml: bytes) -> str:
    """SHA-256 of the file's bytes: the identity of a definition version."""
    return hashlib.sha256(xml).hexdigest()


def role_for_lane(lane: str | None) -> str | None:
    """``"Case review group member"`` → ``"case_review_group_member"``."""
    if not lane:
        return None
    return re.sub(r"[^a-z0-9]+", "_", lane.strip().lower()).strip("_")


def load_definition(
    xml: bytes, *, process_id: str, source: str, known_roles: frozenset[str] | None = None
) -> LoadedDefinition:
    """Validate ``xml`` and build the runnable definition of ``process_id``; raise :class:`DefinitionInvalid`.

    The result depends on nothing but these arguments (no settings, no clock), so it is kept for the same ones:
    a diagram validated, then deployed, or registered again at the next start, is parsed once per process. A
    refusal is not kept (an exception is never cached). Callers share the definition and must not change it, as
    every instance of a version already shares its spec.
    """
    return _load_definition(xml, process_id, source, known_roles)


@functools.lru_cache(maxsize=64)  # bounded: a process owner's edits are new content, so new entries
def _load_definition(xml: bytes, process_id: str, source: str, known_roles: frozenset[str] | None) -> LoadedDefinition:
    tree = _parse_xml(xml, source)
    problems = _xml_problems(tree, process_id, known_roles)
    if problems:
        raise DefinitionInvalid(source, problems)
    parser = CamundaParser(validator=_VALIDATOR)
    try:
        parser.add_bpmn_xml(tree, filename=source)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise DefinitionInvalid(
            source,
            [
                Problem(
                    str(exc.args[0]) if exc.args else str(exc),
                    exc.id or None,
                    exc.name or None,
                    _int_or_none(exc.line_number),
                )
            ],
        ) from None
    except SpiffWorkflowException as exc:
        raise DefinitionInvalid(source, [Problem(str(exc))]) from None
    for task_spec in [
        *spec.task_specs.values(),
        *(t for s in subprocess_specs.values() for t in s.task_specs.values()),
    ]:
        spec_settling.settle(task_spec)
    root = tree.getroot()
    process = root.find(f"bpmn:process[@id='{process_id}']", _NS)
    assert process is not None  # checked in _xml_problems
    definition = LoadedDefinition(
        process_id=process_id,
        name=process.get("name") or process_id,
        content_hash=content_hash(xml),
        xml=xml,
        spec=spec,
        subprocess_specs=subprocess_specs,
        element_names={el.get("id", ""): el.get("name") or el.get("id", "") for el in root.iter() if el.get("id")},
        start_form_schema=forms.form_schema("Start", start_form_fields(process)),
        clocks=_clocks(process),
        record_fields=[
            name.strip() for name in _process_properties(process).get("recordFields", "").split(",") if name.strip()
        ],
        case_openers=case_openers(process),
        reference_prefix=_process_properties(process).get("referencePrefix", "").strip() or process_id.upper(),
        legal_mandate=_process_properties(process).get("legalMandate") or None,
        opened_by=_process_properties(process).get("openedBy") or None,
        partnership_kinds=case_policy.partnership_kinds(_process_properties(process)),
        case_access=case_policy.case_access(_process_properties(process)),
        identifying_fields=tuple(f.id for f in start_form_fields(process) if f.identifying),
        record_class=_process_properties(process).get("recordClass") or "review_case",
        flow_messages=flow_messages.declared(process),
        closable_escalations=escalations.closable(process),
        script_constants=frozenset().union(
            *(
                expressions.string_constants(node.text or "")
                for node in process.iterfind(".//bpmn:scriptTask/bpmn:script", _NS)
            )
        ),
    )
    form_problems: list[Problem] = []
    user_task_specs = [
        task_spec
        for task_spec in [
            *spec.task_specs.values(),
            *(t for s in subprocess_specs.values() for t in s.task_specs.values()),
        ]
        if isinstance(task_spec, UserTask)
    ]
    known = _variable_names(process, user_task_specs)
    form_problems.extend(Problem(p, "start form") for p in forms.date_rule_problems(start_form_fields(process), known))
    for task_spec in user_task_specs:
        info, found = _user_task_info(task_spec)
        definition.user_tasks[info.element_id] = info
        form_problems.extend(found)
        fields = task_spec.form.fields if task_spec.form else []
        form_problems.extend(Problem(p, info.element_id, info.name) for p in forms.date_rule_problems(fields, known))
    if form_problems:
        raise DefinitionInvalid(source, form_problems)
    return definition


def _variable_names(process: etree._Element, user_task_specs: list[Any]) -> frozenset[str]:
    """What a date rule may compare with: every form field of the diagram and every variable its scripts set."""
    names = {field.id for field in start_form_fields(process)}
    for task_spec in user_task_specs:
        names.update(field.id for field in (task_spec.form.fields if task_spec.form else []))
    for node in process.iterfind(".//bpmn:scriptTask/bpmn:script", _NS):
        names.update(expressions.assigned_names(node.text or ""))
    return frozenset(names)


def _parse_xml(xml: bytes, source: str) -> etree._ElementTree:
    # No entity resolution and no network: an uploaded diagram must not read files or reach out (XXE).
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.ElementTree(etree.fromstring(xml, parser))
    except etree.XMLSyntaxError as exc:
        raise DefinitionInvalid(source, [Problem(f"malformed XML: {exc.msg}", line=exc.lineno)]) from None


def _xml_problems(tree: etree._ElementTree, process_id: str, known_roles: frozenset[str] | None) -> list[Problem]:
    root = tree.getroot()
    problems: list[Problem] = []
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return [Problem("the root element must be bpmn:definitions", line=root.sourceline)]
    try:
        _VALIDATOR.validate(tree)
    except ValidationException as exc:
        problems.append(Problem(f"BPMN schema: {exc.args[0] if exc.args else exc}", line=_int_or_none(exc.line_number)))
    if root.find(f"bpmn:process[@id='{process_id}']", _NS) is None:
        found = [p.get("id") for p in root.findall("bpmn:process", _NS)]
        problems.append(Problem(f"no process with id '{process_id}' (found: {', '.join(map(str, found)) or 'none'})"))
    for element in root.iter():
        if element.get("id") in _RESERVED_IDS:
            problems.append(_at(element, f"the element id '{element.get('id')}' is reserved; choose another"))
    problems.extend(_expression_problems(root))
    problems.extend(_lane_problems(root, known_roles))
    process = root.find(f"bpmn:process[@id='{process_id}']", _NS)
    if process is not None:
        problems.extend(_clock_problems(process))
        problems.extend(Problem(m, process.get("id")) for m in case_policy.problems(_process_properties(process)))
        record_class = _process_properties(process).get("recordClass")
        if record_class is not None and record_class not in CASE_RECORD_CLASSES:
            problems.append(
                Problem(
                    f"recordClass '{record_class}' is not known; use one of: {', '.join(CASE_RECORD_CLASSES)}",
                    process.get("id"),
                )
            )
        problems.extend(Problem(message, element_id) for element_id, message in opener_problems(process))
        problems.extend(_checks_work_of_problems(process))
        problems.extend(_at(element, message) for element, message in flow_messages.problems(process))
        problems.extend(_at(element, message) for element, message in escalations.problems(process))
        start_fields = start_form_fields(process)
        problems.extend(Problem(p, "start form") for p in forms.field_problems(start_fields))
    return problems


def _process_properties(process: etree._Element) -> dict[str, str]:
    return {
        prop.get("name", ""): prop.get("value", "")
        for prop in process.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", _NS)
    }


def _clocks(process: etree._Element) -> list[ClockDefinition]:
    props = _process_properties(process)
    keys = sorted({name.split(".")[1] for name in props if name.startswith("clock.") and name.count(".") == 2})
    return [
        ClockDefinition(
            key=key,
            label=props.get(f"clock.{key}.label", key),
            due=props.get(f"clock.{key}.due", ""),
            met=props.get(f"clock.{key}.met", ""),
            when=props.get(f"clock.{key}.when") or None,
        )
        for key in keys
    ]


def _clock_problems(process: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    for clock in _clocks(process):
        where = f"clock.{clock.key}"
        if not clock.due or not clock.met:
            problems.append(Problem(f"{where} needs both .due and .met properties", process.get("id")))
        for part, text in (("due", clock.due), ("when", clock.when)):
            if text:
                try:
                    expressions.check(text)
                except expressions.UnsafeExpression as exc:
                    problems.append(Problem(f"{where}.{part} '{text}' refused: {exc.message}", process.get("id")))
    return problems


def _expression_problems(root: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    checks = [
        (".//bpmn:conditionExpression", "eval", "condition"),
        (".//bpmn:completionCondition", "eval", "completion condition"),
        (".//bpmn:loopCardinality", "eval", "loop cardinality"),
        (".//bpmn:scriptTask/bpmn:script", "exec", "script"),
        (".//bpmn:timerEventDefinition/*", "eval", "timer"),
    ]
    for xpath, mode, what in checks:
        for node in root.iterfind(xpath, _NS):
            text = (node.text or "").strip()
            owner = _owner(node)
            if not text:
                if what in ("script", "timer"):
                    problems.append(_at(owner, f"the {what} is empty", line=node.sourceline))
                continue
            if what == "timer" and expressions.is_iso_literal(text):
                problems.extend(_iso_problems(owner, node, text))
                continue
            if what == "timer" and juel.is_cron(text):
                problems.append(
                    _at(
                        owner,
                        f"timer '{text}' is a cron expression; write an ISO 8601 cycle, e.g. R52/P1W",
                        line=node.sourceline,
                    )
                )
                continue
            if what == "timer" and _LOOKS_LIKE_ISO.match(text):
                problems.append(
                    _at(
                        owner,
                        f"timer '{text}' is not a valid ISO 8601 date, duration or cycle",
                        line=node.sourceline,
                    )
                )
                continue
            try:
                expressions.check(text, mode=mode)
            except expressions.UnsafeExpression as exc:
                line = (node.sourceline or 0) + (exc.line or 1) - 1 if node.sourceline else None
                problems.append(_at(owner, f"{what} '{text}' refused: {exc.message}", line=line))
    for task in root.iterfind(".//bpmn:scriptTask", _NS):
        script_format = task.get("scriptFormat")
        if script_format not in (None, "", "python", "Python"):
            problems.append(_at(task, f"script format '{script_format}' is not supported; use python"))
    return problems


def _iso_problems(owner: etree._Element, node: etree._Element, text: str) -> list[Problem]:
    try:
        if text.upper().startswith("R"):
            TimerEventDefinition.parse_iso_recurring_interval(text)
        else:
            TimerEventDefinition.parse_time_or_duration(text)
    except Exception:
        return [_at(owner, f"timer '{text}' is not a valid ISO 8601 date, duration or cycle", line=node.sourceline)]
    problem = timer_bounds.timer_problem(_timer_kind(node, text), text)
    return [_at(owner, problem, line=node.sourceline)] if problem else []


def _timer_kind(node: etree._Element, text: str) -> str:
    tag = etree.QName(node).localname
    return {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}.get(
        tag, "cycle" if text.upper().startswith("R") else "duration" if text.upper().startswith("P") else "date"
    )


def _lane_problems(root: etree._Element, known_roles: frozenset[str] | None) -> list[Problem]:
    problems: list[Problem] = []
    laned = {ref.text.strip() for ref in root.iterfind(".//bpmn:lane/bpmn:flowNodeRef", _NS) if ref.text}
    for lane in root.iterfind(".//bpmn:lane", _NS):
        role = role_for_lane(lane.get("name"))
        if known_roles is not None and lane.find("bpmn:flowNodeRef", _NS) is not None and role not in known_roles:
            problems.append(
                _at(
                    lane,
                    f"lane '{lane.get('name')}' is not a role; use one of: " + ", ".join(sorted(known_roles)),
                )
            )
    for task in root.iterfind(".//bpmn:userTask", _NS):
        if task.get("id") not in laned:
            problems.append(_at(task, "user task is in no lane: put it in the lane of the role that does it"))
    return problems


def _checks_work_of_problems(process: etree._Element) -> list[Problem]:
    """A second-person check (``checksWorkOf``) must name another user task of this diagram."""
    user_tasks = {task.get("id") for task in process.iter(f"{{{BPMN_NS}}}userTask")}
    problems: list[Problem] = []
    for element in process.iter():
        named = element_properties(element).get("checksWorkOf")
        if named is None:
            continue
        named = named.strip()
        if element.tag != f"{{{BPMN_NS}}}userTask":
            problems.append(_at(element, "checksWorkOf belongs on a user task: the check a second person does"))
            continue
        wrong = "this task itself" if named == element.get("id") else None
        if named not in user_tasks:
            wrong = f"'{named}', which is not a user task of this diagram"
        if wrong:
            problems.append(
                _at(element, f"checksWorkOf names {wrong}; name the task whose completer must not do this check")
            )
    return problems


def _user_task_info(task_spec: Any) -> tuple[UserTaskInfo, list[Problem]]:
    extensions = task_spec.extensions or {}
    fields = task_spec.form.fields if task_spec.form else []
    element_id = task_spec.bpmn_id
    name = task_spec.bpmn_name or element_id
    problems = [Problem(p, element_id, name) for p in forms.field_problems(fields)]
    info = UserTaskInfo(
        element_id=element_id,
        name=name,
        lane=task_spec.lane,
        role=role_for_lane(task_spec.lane),
        stage=extensions.get("stage"),
        agency_variable=extensions.get("agencyVariable"),
        form_schema=forms.form_schema(name, fields) if not problems else {},
        prefill=extensions.get("prefill") or None,
        prefill_match=extensions.get("prefillMatch") or None,
        complete_via=extensions.get("completeVia") or None,
        checks_work_of=(extensions.get("checksWorkOf") or "").strip() or None,
    )
    if info.prefill not in (None, "previous"):
        problems.append(Problem(f"prefill '{info.prefill}' is not known; use 'previous'", element_id, name))
    return info, problems


def _owner(node: etree._Element) -> etree._Element:
    # Report the flow element a modeler clicks on (the event), not its inner event definition.
    element = node
    while element is not None and (element.get("id") is None or str(element.tag).endswith("EventDefinition")):
        element = element.getparent()
    return element if element is not None else node


def _at(element: etree._Element, message: str, line: int | None = None) -> Problem:
    return Problem(message, element.get("id"), element.get("name"), line or element.sourceline)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _describe(problem: Problem) -> str:
    where = ", ".join(
        part
        for part in (
            f"element {problem.element_id}" if problem.element_id else "",
            f"line {problem.line}" if problem.line else "",
        )
        if part
    )
    return f"{problem.message} ({where})" if where else problem.message
