"""One validation report for an uploaded diagram: every problem found, errors and warnings, located."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from service import engine
from service.access.roles import ALL_ROLES
from service.engine.reachability import unreachable_elements
from service.processes import lint
from service.processes.upload import check_diagram


@dataclass
class Report:
    """The outcome of validating a diagram; ``definition`` is set when it has no errors."""

    process_key: str | None
    problems: list[engine.Problem] = field(default_factory=list)
    definition: engine.LoadedDefinition | None = None

    @property
    def errors(self) -> list[engine.Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[engine.Problem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def valid(self) -> bool:
        return not self.errors


def validate(xml: bytes, *, filename: str, process_key: str | None = None, field: str = "file") -> Report:
    """Run every check we have and collect all findings (the engine stops at its first failing stage).

    A file too large, not UTF-8, or with too many or too deeply nested elements is refused (422) before that."""
    check_diagram(xml, field=field)
    root = lint.parse(xml)
    key = process_key or (_executable_process_id(root) if root is not None else None)
    report = Report(process_key=key)
    if root is not None:
        report.problems.extend(lint.diagram_problems(root))
        report.problems.extend(lint.lint_warnings(root))
    if key is None and root is not None:
        report.problems.append(engine.Problem('the file has no executable process (isExecutable="true")'))
        return report
    try:
        report.definition = engine.load_definition(xml, process_id=key or "", source=filename, known_roles=ALL_ROLES)
    except engine.DefinitionInvalid as exc:
        seen = {(p.element_id, p.message) for p in report.problems}
        report.problems.extend(p for p in exc.problems if (p.element_id, p.message) not in seen)
    if report.definition is not None:
        report.problems.extend(
            engine.Problem("no path from a start event reaches this element", element_id, name, None, "warning")
            for element_id, name in unreachable_elements(xml)
        )
        report.problems.extend(_clock_field_warnings(report.definition))
    if report.errors:
        report.definition = None
    report.problems.sort(key=lambda p: (p.severity != "error", p.line or 0, p.element_id or ""))
    return report


def _clock_field_warnings(definition: engine.LoadedDefinition) -> list[engine.Problem]:
    """A clock is met on a date: warn when its ``met`` variable is a form field of another type.

    A warning, not an error: reads never fail on such a value (the clock shows as unreadable, with the reason),
    and a script may still set the variable to a date elsewhere.
    """
    forms = [(None, "the start form", definition.start_form_schema)] + [
        (task.element_id, task.name, task.form_schema) for task in definition.user_tasks.values()
    ]
    problems = []
    for clock in definition.clocks:
        for element_id, name, schema in forms:
            field = schema.get("properties", {}).get(clock.met)
            if field is not None and field.get("format") not in ("date", "date-time"):
                problems.append(
                    engine.Problem(
                        f"clock '{clock.key}' is met by '{clock.met}', but {name} asks for it as "
                        f"{field.get('type', 'text')}, not a date: make it a date field",
                        element_id,
                        name,
                        None,
                        "warning",
                    )
                )
    return problems


def _executable_process_id(root: etree._Element) -> str | None:
    processes = root.findall("bpmn:process", lint.NS)
    executable = [p for p in processes if p.get("isExecutable") == "true"] or processes
    return executable[0].get("id") if executable else None
