"""Process owners' control of running instances: migrate, suspend, resume, terminate; history."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from service import engine
from service.access.principal import Principal
from service.audit.access import AccessKind
from service.audit.log import record, write_pending
from service.db.types import utcnow
from service.errors import Conflict, Forbidden, InvalidInput
from service.models import AuditEvent, Case, HumanTask, ProcessDefinition, ProcessInstance, Timer
from service.pagination import Page, paginate_by_id
from service.processes import registry
from service.workflow.disposed import refuse_if_disposed
from service.workflow.queries import INSTANCE_ADMINS, get_instance, instance_to_manage
from service.workflow.stepper import lock_instance, migrate_to

ADMINS = INSTANCE_ADMINS


@dataclass
class PlannedMigration:
    """An instance, the version it is on, the target, and the plan."""

    instance: ProcessInstance
    source: ProcessDefinition
    target: ProcessDefinition
    plan: engine.MigrationPlan
    migrated: bool = False


def plan(session: Session, principal: Principal, instance_id: uuid.UUID, target_id: uuid.UUID) -> PlannedMigration:
    """What moving this instance to the target version would change, and whether it is safe."""
    instance = instance_to_manage(session, principal, instance_id)
    _check(principal)
    refuse_if_disposed(instance)
    source, target = _versions(session, principal, instance, target_id)
    state = _copy(instance.state)
    result = engine.plan_migration(registry.loaded(session, source.id), registry.loaded(session, target.id), state)
    return PlannedMigration(instance, source, target, result)


def migrate(session: Session, principal: Principal, instance_id: uuid.UUID, target_id: uuid.UUID) -> PlannedMigration:
    """Move the instance if safe (409 with the reasons if not); audited."""
    planned = plan(session, principal, instance_id, target_id)
    if not planned.plan.safe:
        raise Conflict("migration refused: " + "; ".join(planned.plan.reasons), extra={"reasons": planned.plan.reasons})
    instance = lock_instance(session, principal.partnership_id, instance_id)
    migrate_to(session, instance=instance, target_definition_id=target_id)
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="instance.migrated",
        object_type="process_instance",
        object_id=str(instance_id),
        summary=f"Moved from v{planned.source.version} to v{planned.target.version} of {planned.target.name}",
        detail={"changed": planned.plan.changed, "recreated": planned.plan.recreated},
    )
    planned.migrated = True
    return planned


def migrate_batch(
    session: Session, principal: Principal, *, from_definition_id: uuid.UUID, target_id: uuid.UUID, dry_run: bool
) -> list[PlannedMigration]:
    """Plan (and unless ``dry_run``, perform) the move of every running instance on one version."""
    _check(principal)
    instances = session.exec(
        select(ProcessInstance).where(
            ProcessInstance.partnership_id == principal.partnership_id,
            ProcessInstance.definition_id == from_definition_id,
            col(ProcessInstance.status).in_(["running", "suspended"]),
        )
    ).all()
    results = []
    for instance in instances:
        planned = plan(session, principal, instance.id, target_id)
        if planned.plan.safe and not dry_run:
            planned = migrate(session, principal, instance.id, target_id)
        results.append(planned)
    return results


def suspend(session: Session, principal: Principal, instance_id: uuid.UUID, reason: str) -> ProcessInstance:
    """Pause an instance: no task can be completed and no timer fires until it is resumed."""
    instance = _locked(session, principal, instance_id, expected="running")
    instance.status = "suspended"
    return _audited(session, principal, instance, "instance.suspended", f"Suspended: {reason}")


def resume(session: Session, principal: Principal, instance_id: uuid.UUID, reason: str) -> ProcessInstance:
    """Let a suspended instance run again (timers that fell due meanwhile fire at once)."""
    instance = _locked(session, principal, instance_id, expected="suspended")
    instance.status = "running"
    return _audited(session, principal, instance, "instance.resumed", f"Resumed: {reason}")


def terminate(session: Session, principal: Principal, instance_id: uuid.UUID, reason: str) -> ProcessInstance:
    """End an instance for good: open tasks and timers are cancelled and the case is closed."""
    instance_to_manage(session, principal, instance_id)
    _check(principal)
    instance = lock_instance(session, principal.partnership_id, instance_id)
    if instance.status in ("completed", "terminated"):
        raise Conflict(f"the process instance is already {instance.status}")
    now = utcnow()
    instance.status = "terminated"
    instance.completed_at = now
    instance.active_element_ids = []
    session.execute(
        update(HumanTask)
        .where(col(HumanTask.instance_id) == instance.id, col(HumanTask.state) == "open")
        .values(state="cancelled", version=HumanTask.version + 1)
    )
    session.execute(
        update(Timer)
        .where(col(Timer.instance_id) == instance.id, col(Timer.status) == "waiting")
        .values(status="cancelled")
    )
    case = session.get(Case, instance.case_id)
    if case is not None:
        case.status, case.closed_at, case.stages = "closed", now, ["Terminated"]
        session.add(case)
    return _audited(session, principal, instance, "instance.terminated", f"Terminated: {reason}")


def history(
    session: Session, principal: Principal, instance_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Page[AuditEvent]:
    """Every recorded step of an instance, its case and its tasks, oldest first, with who and when."""
    instance = get_instance(session, principal, instance_id, read=AccessKind.HISTORY)
    write_pending(session)  # this transaction's own events too
    task_ids = [str(t) for t in session.exec(select(HumanTask.id).where(HumanTask.instance_id == instance.id)).all()]
    objects = [str(instance.id), str(instance.case_id), *task_ids]
    query = select(AuditEvent).where(
        AuditEvent.partnership_id == principal.partnership_id, col(AuditEvent.object_id).in_(objects)
    )
    return paginate_by_id(session, query, id_col=col(AuditEvent.id), cursor=cursor, limit=limit, newest_first=False)


def _check(principal: Principal) -> None:
    if not principal.roles & ADMINS:
        raise Forbidden("managing process instances needs the process owner or partnership admin role")


def _versions(
    session: Session, principal: Principal, instance: ProcessInstance, target_id: uuid.UUID
) -> tuple[ProcessDefinition, ProcessDefinition]:
    source = session.get(ProcessDefinition, instance.definition_id)
    target = registry.visible_definition(session, principal.partnership_id, target_id)
    assert source is not None
    if target.process_key != source.process_key:
        raise InvalidInput(
            "the target is another process",
            [{"field": "target_definition_id", "message": f"choose a version of '{source.process_key}'"}],
        )
    return source, target


def _locked(session: Session, principal: Principal, instance_id: uuid.UUID, *, expected: str) -> ProcessInstance:
    instance_to_manage(session, principal, instance_id)
    _check(principal)
    instance = lock_instance(session, principal.partnership_id, instance_id)
    if instance.status != expected:
        raise Conflict(f"the process instance is {instance.status}, not {expected}")
    return instance


def _audited(
    session: Session, principal: Principal, instance: ProcessInstance, action: str, summary: str
) -> ProcessInstance:
    instance.version += 1
    instance.updated_at = utcnow()
    session.add(instance)
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action=action,
        object_type="process_instance",
        object_id=str(instance.id),
        summary=summary,
    )
    return instance


def _copy(state: dict[str, object]) -> dict[str, object]:
    # The engine consumes what it is given; a plan must not touch the instance's (unlocked) state.
    return json.loads(json.dumps(state))  # type: ignore[no-any-return]
