"""Process owners: validate and deploy diagrams; migrate, suspend, resume and terminate instances."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import File, Form, Response, UploadFile
from sqlmodel import Session

from api.conditional import cacheable
from api.deps import LimitDep, PrincipalDep, SessionDep
from api.locations import CREATED, LocationDep
from api.routers.processes import definition_read
from api.routing import ResourceRouter
from api.schemas.common import GONE_RESPONSES, PROBLEM_RESPONSES, Page, text_response
from api.schemas.definitions import (
    BatchMigration,
    DeploymentRead,
    HistoryEntry,
    MigrationBatchRead,
    MigrationPlanRead,
    MigrationTarget,
    ProblemRead,
    Reason,
    SimulatedClockRead,
    SimulatedTaskRead,
    SimulationRead,
    SimulationRequest,
    ValidationReportRead,
)
from api.schemas.processes import InstanceRead
from service.access.principal import Principal
from service.errors import InvalidInput
from service.models import ProcessInstance
from service.processes import simulation
from service.processes.deploy import deploy, problem_dicts
from service.processes.upload import MAX_DIAGRAM_BYTES
from service.processes.validation import validate
from service.workflow import admin, diagrams, queries
from service.workflow.admin import PlannedMigration

router = ResourceRouter(prefix="/api/v1", tags=["process owners"], responses=PROBLEM_RESPONSES)
MAX_UPLOAD = MAX_DIAGRAM_BYTES
BpmnFile = Annotated[UploadFile, File(description="A .bpmn file saved by Camunda Modeler or bpmn.io.")]


async def _read(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("the file is too large", [{"field": "file", "message": "at most 5 MiB"}])  # see upload.py
    if not data.strip():
        raise InvalidInput("the file is empty", [{"field": "file", "message": "upload a .bpmn file"}])
    return data


def _managed(session: Session, principal: Principal, instance: ProcessInstance) -> InstanceRead:
    # Managing a lifecycle does not entitle anyone to read the case: variables only for those who see it fully.
    read = InstanceRead.model_validate(instance, from_attributes=True)
    return read if queries.sees_variables(session, principal, instance) else read.model_copy(update={"variables": None})


def _plan(planned: PlannedMigration) -> MigrationPlanRead:
    plan = planned.plan
    return MigrationPlanRead(
        instance_id=planned.instance.id,
        from_version=planned.source.version,
        to_version=planned.target.version,
        safe=plan.safe,
        reasons=plan.reasons,
        added=plan.added,
        removed=plan.removed,
        changed=plan.changed,
        recreated=plan.recreated,
        migrated=planned.migrated,
    )


@router.post("/process-definitions/validate")
async def validate_definition(file: BpmnFile, principal: PrincipalDep) -> ValidationReportRead:
    """Dry run: every problem in a diagram (errors block deployment, warnings do not). Deploys nothing."""
    data = await _read(file)
    report = validate(data, filename=file.filename or "upload.bpmn")
    return ValidationReportRead(
        valid=report.valid,
        process_key=report.process_key,
        problems=[ProblemRead.model_validate(p) for p in problem_dicts(report.problems)],
    )


@router.post(
    "/process-definitions",
    status_code=201,
    responses={200: {"description": "Identical to the current version"}, **CREATED},
)
async def deploy_definition(
    file: BpmnFile,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    location: LocationDep,
    change_note: Annotated[str, Form(max_length=1000, description="What changed and why.")] = "",
    shared: Annotated[bool, Form(description="Platform admins: deploy for every partnership.")] = False,
) -> DeploymentRead:
    """Deploy a diagram as a new version (422 with every problem if it has errors; nothing changes)."""
    data = await _read(file)
    result = deploy(
        session, principal, xml=data, filename=file.filename or "upload.bpmn", change_note=change_note, shared=shared
    )
    if not result.created:
        response.status_code = 200
    row = result.definition
    if result.created:
        location.at("get_definition", definition_id=row.id)
    message = (
        f"{row.name} v{row.version} deployed; new cases use it, running ones stay on their version"
        if result.created
        else f"identical to the current version (v{row.version}); nothing changed"
    )
    return DeploymentRead(
        created=result.created,
        message=message,
        definition=definition_read(row),
        change_note=row.change_note,
        warnings=[ProblemRead.model_validate(p) for p in problem_dicts(result.report.warnings)],
    )


@router.post("/process-instances/{instance_id}/migration-plan", responses=GONE_RESPONSES)
def plan_migration(
    instance_id: uuid.UUID, body: MigrationTarget, session: SessionDep, principal: PrincipalDep
) -> MigrationPlanRead:
    """What moving this instance to another version would change, and whether it is safe (changes nothing)."""
    return _plan(admin.plan(session, principal, instance_id, body.target_definition_id))


@router.post("/process-instances/{instance_id}/migrate", responses=GONE_RESPONSES)
def migrate_instance(
    instance_id: uuid.UUID, body: MigrationTarget, session: SessionDep, principal: PrincipalDep
) -> MigrationPlanRead:
    """Move the instance to another version (409 with the reasons when unsafe); audited."""
    return _plan(admin.migrate(session, principal, instance_id, body.target_definition_id))


@router.post("/process-instances/migrate")
def migrate_instances(body: BatchMigration, session: SessionDep, principal: PrincipalDep) -> MigrationBatchRead:
    """Plan (and unless dry_run, perform) the move of every instance on one version; unsafe ones stay."""
    plans = [
        _plan(p)
        for p in admin.migrate_batch(
            session,
            principal,
            from_definition_id=body.from_definition_id,
            target_id=body.target_definition_id,
            dry_run=body.dry_run,
        )
    ]
    return MigrationBatchRead(dry_run=body.dry_run, results=plans)


@router.post("/process-instances/{instance_id}/suspend")
def suspend_instance(
    instance_id: uuid.UUID, body: Reason, session: SessionDep, principal: PrincipalDep
) -> InstanceRead:
    """Pause: tasks cannot be completed and timers do not fire until resumed."""
    return _managed(session, principal, admin.suspend(session, principal, instance_id, body.reason))


@router.post("/process-instances/{instance_id}/resume")
def resume_instance(instance_id: uuid.UUID, body: Reason, session: SessionDep, principal: PrincipalDep) -> InstanceRead:
    """Run a suspended instance again."""
    return _managed(session, principal, admin.resume(session, principal, instance_id, body.reason))


@router.post("/process-instances/{instance_id}/terminate")
def terminate_instance(
    instance_id: uuid.UUID, body: Reason, session: SessionDep, principal: PrincipalDep
) -> InstanceRead:
    """End the instance: open tasks and timers are cancelled and the case closes."""
    return _managed(session, principal, admin.terminate(session, principal, instance_id, body.reason))


@router.get("/process-instances/{instance_id}/history")
def get_instance_history(
    instance_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, limit: LimitDep, cursor: str | None = None
) -> Page[HistoryEntry]:
    """Every step of the instance, its case and its tasks, oldest first, with who and when."""
    page = admin.history(session, principal, instance_id, cursor=cursor, limit=limit)
    return Page[HistoryEntry](
        items=[HistoryEntry.model_validate(e, from_attributes=True) for e in page.items], next_cursor=page.next_cursor
    )


@router.post("/process-definitions/simulate")
def simulate_definition(body: SimulationRequest, session: SessionDep, principal: PrincipalDep) -> SimulationRead:
    """Dry run in memory: the path taken, the tasks met (with answers) and the clocks; nothing is stored."""
    result, unreachable = simulation.run(
        session,
        principal,
        definition_id=body.definition_id,
        xml=body.bpmn_xml,
        start_data=body.start_data,
        answers=body.answers,
        fire_boundary_timers=body.fire_boundary_timers,
    )
    return SimulationRead(
        completed=result.completed,
        stopped_reason=result.stopped_reason,
        path=result.path,
        tasks=[SimulatedTaskRead.model_validate(t, from_attributes=True) for t in result.tasks],
        clocks=[SimulatedClockRead.model_validate(c, from_attributes=True) for c in result.clocks],
        unreachable=[ProblemRead.model_validate(p) for p in problem_dicts(unreachable)],
    )


@router.get(
    "/process-definitions/{definition_id}/diagram.svg",
    response_class=Response,
    responses={200: text_response("The diagram as SVG", "image/svg+xml")},
)
@cacheable
def get_definition_svg(definition_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    """The version's diagram, drawn from its own diagram interchange."""
    return Response(diagrams.definition_svg(session, principal, definition_id), media_type="image/svg+xml")


@router.get(
    "/process-instances/{instance_id}/diagram.svg",
    response_class=Response,
    responses={200: text_response("The diagram with the instance's state", "image/svg+xml")},
)
@cacheable
def get_instance_svg(instance_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    """Where the case is: completed, active and overdue steps and the path taken, drawn on its diagram."""
    return Response(diagrams.instance_svg(session, principal, instance_id), media_type="image/svg+xml")
