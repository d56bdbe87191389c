"""Dry runs for process owners: a stored version or an undeployed diagram, run in memory."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from service import engine
from service.access.principal import Principal
from service.access.roles import Role
from service.engine.reachability import unreachable_elements
from service.engine.simulate import Simulation, simulate
from service.errors import Forbidden, InvalidInput
from service.processes import registry
from service.processes.deploy import DiagramInvalid, problem_dicts
from service.processes.settings import PartnershipSettings
from service.processes.validation import validate

SIMULATORS = frozenset({Role.PROCESS_OWNER, Role.PLATFORM_ADMIN, Role.PARTNERSHIP_ADMIN, Role.BUSINESS_MANAGER})


def run(
    session: Session,
    principal: Principal,
    *,
    definition_id: uuid.UUID | None,
    xml: str | None,
    start_data: dict[str, Any],
    answers: dict[str, Any],
    fire_boundary_timers: bool,
) -> tuple[Simulation, list[engine.Problem]]:
    """Simulate and report unreachable elements; refuses an invalid diagram with its problems."""
    if not principal.roles & SIMULATORS:
        raise Forbidden("simulation is for process owners, admins and business managers")
    if (definition_id is None) == (xml is None):
        raise InvalidInput(
            "say what to simulate", [{"field": "definition_id", "message": "give definition_id or bpmn_xml, not both"}]
        )
    if xml is not None:
        report = validate(xml.encode("utf-8"), filename="simulation.bpmn", field="bpmn_xml")
        if report.definition is None:
            raise DiagramInvalid("the diagram has errors", extra={"problems": problem_dicts(report.problems)})
        definition, source = report.definition, xml.encode("utf-8")
    else:
        assert definition_id is not None
        row = registry.visible_definition(session, principal.partnership_id, definition_id)
        definition, source = registry.loaded(session, row.id), row.bpmn_xml.encode("utf-8")
    data = {**PartnershipSettings().model_dump(), "case_reference": "SIMULATION", "involved_agencies": [], **start_data}
    result = simulate(definition, data, answers, fire_boundary_timers=fire_boundary_timers)
    unreachable = [
        engine.Problem(f"no path reaches '{name}'", element_id, name, None, "warning")
        for element_id, name in unreachable_elements(source)
    ]
    return result, unreachable
