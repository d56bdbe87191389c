"""The access log (who looked at what) and subject access exports: for partnership admins and the DPO."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from api.deps import LimitDep, PrincipalDep, SessionDep
from api.routing import ResourceRouter
from api.schemas.common import PROBLEM_RESPONSES, Instant, Moment, Page
from api.schemas.data_protection import SubjectExport
from api.schemas.vocabulary import AccessKindName
from service.dataprotection import access_log, subject_access

router = ResourceRouter(prefix="/api/v1", tags=["data protection"], responses=PROBLEM_RESPONSES)


class AccessEventRead(BaseModel):
    """One look at personal data. The log is append-only: the database refuses to change or delete an entry."""

    id: int
    at: Instant
    actor_id: uuid.UUID | None
    actor_label: str
    kind: AccessKindName = Field(
        description="case.read, instance.variables, instance.history, instance.diagram, task.read, "
        "evidence.read, audit.summary, subject.revealed or subject.exported"
    )
    object_type: str
    object_id: str
    case_id: uuid.UUID | None
    correlation_id: str = Field(description="The request's X-Request-ID (also in the server's logs).")


class SubjectAccessRequest(BaseModel):
    """Whose data to export: a case (its subject's identifiers are used to find their other cases) or identifiers."""

    case_id: uuid.UUID | None = None
    identifiers: dict[str, str] = Field(
        default_factory=dict,
        description="e.g. {'subject_nhs_number': '943 476 5919'}, "
        "or {'subject_name': ..., 'subject_date_of_birth': ...}",
    )


@router.get("/access-events")
def list_access_events(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    case_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    kind: AccessKindName | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    cursor: str | None = None,
) -> Page[AccessEventRead]:
    """Who looked at a case, or what someone looked at between two moments, newest first."""
    page = access_log.list_access(
        session,
        principal,
        case_id=case_id,
        actor_id=actor_id,
        kind=kind,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return Page[AccessEventRead](
        items=[AccessEventRead.model_validate(e, from_attributes=True) for e in page.items],
        next_cursor=page.next_cursor,
    )


@router.post("/data-protection/subject-access-exports")
def export_subject(body: SubjectAccessRequest, session: SessionDep, principal: PrincipalDep) -> SubjectExport:
    """Everything held about one subject, across every case that holds them, as one bundle; the export is logged."""
    return SubjectExport.model_validate(
        subject_access.export(session, principal, case_id=body.case_id, identifiers=body.identifiers)
    )
