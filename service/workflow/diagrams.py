"""Pictures: a definition version, or an instance with its state drawn on it, as SVG."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.audit.access import AccessKind
from service.db.types import utcnow
from service.errors import Conflict
from service.models import HumanTask, ProcessDefinition
from service.processes import registry
from service.processes.render import InstanceState, render_svg
from service.workflow.queries import get_instance


def definition_svg(session: Session, principal: Principal, definition_id: uuid.UUID) -> str:
    """The diagram of a version visible to the caller."""
    row = registry.visible_definition(session, principal.partnership_id, definition_id)
    return _render(row, None)


def instance_svg(session: Session, principal: Principal, instance_id: uuid.UUID) -> str:
    """The instance's diagram with completed, active and overdue elements marked."""
    instance = get_instance(session, principal, instance_id, read=AccessKind.DIAGRAM)
    row = session.get(ProcessDefinition, instance.definition_id)
    assert row is not None
    overdue = session.exec(
        select(HumanTask.element_id).where(
            HumanTask.instance_id == instance.id, HumanTask.state == "open", col(HumanTask.due_at) < utcnow()
        )
    ).all()
    state = InstanceState(
        completed=frozenset(instance.completed_element_ids),
        active=frozenset(instance.active_element_ids),
        overdue=frozenset(overdue),
    )
    return _render(row, state)


def _render(row: ProcessDefinition, state: InstanceState | None) -> str:
    try:
        return render_svg(row.bpmn_xml.encode("utf-8"), state)
    except ValueError as exc:
        raise Conflict(f"this version cannot be drawn: {exc}") from None
