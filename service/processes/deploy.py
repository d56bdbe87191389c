"""Deploy an uploaded diagram as a new version: shared (platform admin) or a partnership's own variant."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.access.roles import Role
from service.audit.log import record
from service.engine import Problem
from service.errors import DomainError, Forbidden
from service.models import ProcessDefinition
from service.processes import registry
from service.processes.validation import Report, validate


class DiagramInvalid(DomainError):
    """The diagram has errors; ``problems`` lists every one, located. Nothing was deployed."""

    status, title, slug = 422, "Diagram not valid", "diagram-invalid"


@dataclass
class Deployment:
    """The version new cases will use, whether this upload created it, and the validation report."""

    definition: ProcessDefinition
    created: bool
    report: Report


def problem_dicts(problems: list[Problem]) -> list[dict[str, object]]:
    """Problems as plain data (the API's report format)."""
    return [
        {
            "severity": p.severity,
            "element_id": p.element_id,
            "element_name": p.element_name,
            "line": p.line,
            "message": p.message,
        }
        for p in problems
    ]


def deploy(
    session: Session, principal: Principal, *, xml: bytes, filename: str, change_note: str, shared: bool
) -> Deployment:
    """Validate and register ``xml``; an identical upload of the current version changes nothing."""
    if shared and not principal.has_role(Role.PLATFORM_ADMIN):
        raise Forbidden("shared definitions are deployed by platform admins; deploy a partnership variant instead")
    if not shared and not principal.has_role(Role.PROCESS_OWNER):
        raise Forbidden("deploying a partnership's process needs the process owner role")
    report = validate(xml, filename=filename)
    if not report.valid or report.definition is None or report.process_key is None:
        raise DiagramInvalid(
            f"the diagram has {len(report.errors)} error(s); nothing was deployed",
            extra={"problems": problem_dicts(report.problems)},
        )
    key = report.process_key
    partnership_id = None if shared else principal.partnership_id
    scope = col(ProcessDefinition.partnership_id)
    current = session.exec(
        select(ProcessDefinition)
        .where(
            ProcessDefinition.process_key == key, scope.is_(None) if partnership_id is None else scope == partnership_id
        )
        .order_by(col(ProcessDefinition.version).desc())
    ).first()
    if current is not None and current.content_hash == report.definition.content_hash:
        return Deployment(current, created=False, report=report)
    row = ProcessDefinition(
        process_key=key,
        version=registry.next_version(session, key, partnership_id),
        name=report.definition.name,
        content_hash=report.definition.content_hash,
        source=filename,
        bpmn_xml=xml.decode("utf-8"),
        partnership_id=partnership_id,
        created_by_id=principal.user_id,
        change_note=change_note,
    )
    session.add(row)
    session.flush()
    registry.remember(row.id, report.definition)
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="definition.deployed",
        object_type="process_definition",
        object_id=str(row.id),
        summary=f"{report.definition.name} v{row.version} deployed "
        f"({'shared' if shared else 'partnership variant'}): {change_note or 'no note'}",
    )
    return Deployment(row, created=True, report=report)
