"""Process definitions, case types, and process instances."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query
from fastapi.responses import Response

from api.conditional import cacheable
from api.deps import AgencyPrincipalDep, LimitDep, PrincipalDep, SessionDep
from api.routing import ResourceRouter
from api.schemas.cases import CaseTypeRead
from api.schemas.common import PROBLEM_RESPONSES, Page, text_response
from api.schemas.processes import AuditEventRead, DefinitionRead, InstanceRead, MeRead
from service.audit import queries as audit
from service.audit.access import AccessKind
from service.cases import service as case_service
from service.identity.capabilities import capabilities
from service.models import ProcessDefinition
from service.processes import registry
from service.workflow import queries

router = ResourceRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


def definition_read(row: ProcessDefinition) -> DefinitionRead:
    """A definition row as the API shows it."""
    return DefinitionRead(
        id=row.id,
        key=row.process_key,
        version=row.version,
        name=row.name,
        hash=row.content_hash,
        shared=row.partnership_id is None,
        created_at=row.created_at,
    )


@router.get("/me", tags=["identity"])
def get_me(principal: AgencyPrincipalDep) -> MeRead:
    """Who the bearer token belongs to: partnership, roles, agency, and what they may do."""
    return MeRead(
        user_id=principal.user_id,
        partnership_id=principal.partnership_id,
        name=principal.name,
        roles=sorted(principal.roles),
        agency=principal.agency_code,
        machine=principal.machine,
        oversight=principal.oversight,
        can=capabilities(principal),
    )


@router.get("/process-definitions", tags=["processes"])
def list_definitions(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    key: Annotated[
        str | None, Query(description="Only this process's versions, e.g. 'cspr' (GET /case-types).")
    ] = None,
    cursor: str | None = None,
) -> Page[DefinitionRead]:
    """The definition versions visible to the caller's partnership, in deployment order."""
    page = registry.definitions_page(session, principal.partnership_id, key=key, cursor=cursor, limit=limit)
    return Page[DefinitionRead](items=[definition_read(row) for row in page.items], next_cursor=page.next_cursor)


@router.get("/process-definitions/{definition_id}", tags=["processes"])
@cacheable
def get_definition(definition_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> DefinitionRead:
    """One definition version."""
    return definition_read(registry.visible_definition(session, principal.partnership_id, definition_id))


@router.get(
    "/process-definitions/{definition_id}/xml",
    tags=["processes"],
    response_class=Response,
    responses={200: text_response("The BPMN 2.0 XML", "application/xml")},
)
@cacheable
def get_definition_xml(definition_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    """The BPMN XML of a definition version, as deployed (open it in Camunda Modeler)."""
    row = registry.visible_definition(session, principal.partnership_id, definition_id)
    return Response(row.bpmn_xml, media_type="application/xml")


@router.get("/case-types", tags=["cases"])
@cacheable
def list_case_types(
    session: SessionDep, principal: PrincipalDep, limit: LimitDep, cursor: str | None = None
) -> Page[CaseTypeRead]:
    """The kinds of case your partnership can open, with the JSON Schema their start data must satisfy (by key)."""
    page = case_service.case_types_page(session, principal, cursor=cursor, limit=limit)
    return Page[CaseTypeRead](
        items=[
            CaseTypeRead(
                key=t.row.process_key,
                name=t.row.name,
                definition_id=t.row.id,
                version=t.row.version,
                start_form_schema=t.definition.start_form_schema,
                opened_by=t.definition.opened_by,
                partnership_kinds=list(t.definition.partnership_kinds),
                case_access=t.definition.case_access,
            )
            for t in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.get("/process-instances/{instance_id}", tags=["processes"])
def get_instance(instance_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> InstanceRead:
    """Status, active BPMN element ids and variables of a process instance."""
    instance = queries.get_instance(session, principal, instance_id, read=AccessKind.VARIABLES)
    return InstanceRead.model_validate(instance, from_attributes=True)


@router.get("/audit-events", tags=["identity"])
def list_audit_events(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    object_id: str | None = None,
    action: str | None = None,
    cursor: str | None = None,
) -> Page[AuditEventRead]:
    """Who did what and when, newest first (partnership admins and business managers)."""
    page = audit.list_events(session, principal, object_id=object_id, action=action, cursor=cursor, limit=limit)
    return Page[AuditEventRead](
        items=[AuditEventRead.model_validate(e, from_attributes=True) for e in page.items],
        next_cursor=page.next_cursor,
    )
