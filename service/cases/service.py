"""Case use cases: open a case (starting its lifecycle), list, read."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from service import engine
from service.access.principal import Principal
from service.access.roles import CASE_MANAGERS
from service.audit.log import record
from service.cases.clocks import ClockStatus, clock_statuses
from service.config import get_settings
from service.db.types import utcnow
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.models import Agency, Case, IdempotencyRecord, Partnership, ProcessInstance
from service.outbox.emit import emit_case_event
from service.outbox.events import EventType
from service.pagination import Page, paginate
from service.processes import registry
from service.processes.settings import settings_for
from service.workflow.stepper import create_instance, lock_instance, step


@dataclass
class CaseView:
    """A case with what a reader needs beside the row: its process, clocks and review record."""

    case: Case
    instance: ProcessInstance | None
    clocks: list[ClockStatus]
    record: dict[str, Any]


@dataclass
class CreatedCase:
    """The outcome of create_case; ``replayed`` when an Idempotency-Key matched an earlier request."""

    view: CaseView
    replayed: bool


def create_case(
    session: Session,
    principal: Principal,
    *,
    case_type: str,
    title: str,
    subject_pseudonym: str,
    involved_agencies: list[str],
    data: dict[str, Any],
    idempotency_key: str | None = None,
) -> CreatedCase:
    """Open a case of ``case_type`` and start its lifecycle on the newest definition version."""
    if not principal.roles & CASE_MANAGERS:
        raise Forbidden("opening a case needs the business manager, case review group member or admin role")
    fingerprint = _fingerprint(case_type, title, subject_pseudonym, involved_agencies, data)
    if idempotency_key:
        replay = _replay(session, principal, idempotency_key, fingerprint)
        if replay is not None:
            return CreatedCase(view=replay, replayed=True)
    _check_agencies(session, principal.partnership_id, involved_agencies)
    partnership = session.get(Partnership, principal.partnership_id)
    assert partnership is not None
    case, instance = _open_case(
        session,
        partnership_id=partnership.id,
        case_type=case_type,
        title=title,
        subject_pseudonym=subject_pseudonym,
        involved_agencies=list(dict.fromkeys(involved_agencies)),
        data=data,
        settings=settings_for(partnership.settings).model_dump(),
        actor=principal,
    )
    if idempotency_key:
        _remember(session, principal, idempotency_key, fingerprint, case.id)
    return CreatedCase(view=_view(session, case, instance), replayed=False)


def open_system_case(
    session: Session, *, partnership_id: uuid.UUID, case_type: str, title: str, data: dict[str, Any]
) -> Case:
    """Open a case on the service's own initiative (e.g. an operational alert); audited as the system."""
    case, _ = _open_case(
        session,
        partnership_id=partnership_id,
        case_type=case_type,
        title=title,
        subject_pseudonym="n/a",
        involved_agencies=[],
        data=data,
        settings={},
        actor=None,
    )
    return case


def _open_case(
    session: Session,
    *,
    partnership_id: uuid.UUID,
    case_type: str,
    title: str,
    subject_pseudonym: str,
    involved_agencies: list[str],
    data: dict[str, Any],
    settings: dict[str, Any],
    actor: Principal | None,
) -> tuple[Case, ProcessInstance]:
    """Validate the start data, number the case, start its lifecycle on the newest version; audit and emit."""
    definition_row = registry.latest_definition(session, case_type, partnership_id)
    definition = registry.loaded(session, definition_row.id)
    errors = engine.validate_submission(definition.start_form_schema, data)
    if errors:
        raise InvalidInput(
            f"the start data for a '{case_type}' case is not valid",
            [{"field": f"data.{e.field}" if e.field else "data", "message": e.message} for e in errors],
        )
    number = _next_case_number(session, partnership_id)
    case = Case(
        partnership_id=partnership_id,
        case_type=case_type,
        reference=f"{case_type.upper()}-{utcnow().year}-{number:04d}",
        title=title,
        subject_pseudonym=subject_pseudonym,
        involved_agencies=involved_agencies,
        created_by_id=actor.user_id if actor else None,
        stages=[],
        record={},
    )
    session.add(case)
    session.flush()
    start_data = {**settings, **data, "case_reference": case.reference, "involved_agencies": involved_agencies}
    instance = create_instance(session, case=case, definition_id=definition_row.id, data=start_data, actor=actor)
    record(
        session,
        partnership_id=partnership_id,
        actor=actor,
        action="case.opened",
        object_type="case",
        object_id=str(case.id),
        summary=f"{definition.name} case {case.reference} opened" + ("" if actor else " by the service"),
        detail={"case_type": case_type, "definition_version": definition_row.version},
    )
    emit_case_event(session, EventType.CASE_OPENED, case)
    return case, instance


def list_cases(
    session: Session,
    principal: Principal,
    *,
    case_type: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> Page[Case]:
    """Cases of the caller's partnership, newest first."""
    query = select(Case).where(Case.partnership_id == principal.partnership_id)
    if case_type:
        query = query.where(Case.case_type == case_type)
    if status:
        query = query.where(Case.status == status)
    return paginate(
        session,
        query,
        created_col=col(Case.created_at),
        id_col=col(Case.id),
        cursor=cursor,
        limit=limit,
        newest_first=True,
    )


def get_case(session: Session, principal: Principal, case_id: uuid.UUID) -> CaseView:
    """One case with its clocks and record (404 if it belongs to another partnership)."""
    case = _visible_case(session, principal, case_id)
    return _view(session, case, _instance_of(session, case))


def deliver_message(
    session: Session, principal: Principal, case_id: uuid.UUID, *, name: str, payload: dict[str, Any]
) -> CaseView:
    """Deliver a named BPMN message (with its payload) to the case's waiting process."""
    case = _visible_case(session, principal, case_id)
    found = _instance_of(session, case)
    if found is None:
        raise Conflict(f"case {case.reference} has no process")
    instance = lock_instance(session, principal.partnership_id, found.id)
    step(session, instance=instance, action=lambda d, s: engine.deliver_message(d, s, name, payload))
    record(
        session,
        partnership_id=case.partnership_id,
        actor=principal,
        action="message.delivered",
        object_type="case",
        object_id=str(case.id),
        summary=f"Message '{name}' delivered to case {case.reference}",
        detail={"payload_keys": sorted(payload)},
    )
    return _view(session, case, instance)


def _visible_case(session: Session, principal: Principal, case_id: uuid.UUID) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.partnership_id != principal.partnership_id:
        raise NotFound(f"there is no case {case_id}")
    return case


def _instance_of(session: Session, case: Case) -> ProcessInstance | None:
    return session.exec(
        select(ProcessInstance).where(ProcessInstance.case_id == case.id).order_by(col(ProcessInstance.created_at))
    ).first()


def _view(session: Session, case: Case, instance: ProcessInstance | None) -> CaseView:
    clocks: list[ClockStatus] = []
    case_record: dict[str, Any] = {}
    if instance is not None:
        definition = registry.loaded(session, instance.definition_id)
        clocks = clock_statuses(
            definition.clocks,
            instance.variables,
            now=utcnow(),
            due_soon_days=get_settings().due_soon_working_days,
        )
        fields = definition.record_fields or sorted(instance.variables)
        case_record = {name: instance.variables[name] for name in fields if name in instance.variables}
    return CaseView(case=case, instance=instance, clocks=clocks, record=case_record)


def _check_agencies(session: Session, partnership_id: uuid.UUID, codes: list[str]) -> None:
    known = set(session.exec(select(Agency.code).where(Agency.partnership_id == partnership_id)).all())
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput(
            "some involved agencies are not agencies of this partnership",
            [{"field": "involved_agencies", "message": f"unknown agency code '{code}'"} for code in unknown]
            + [{"field": "involved_agencies", "message": f"known codes: {', '.join(sorted(known))}"}],
        )


def _next_case_number(session: Session, partnership_id: uuid.UUID) -> int:
    # One UPDATE ... RETURNING: the row lock makes numbers unique under concurrent case creation.
    number = session.execute(
        update(Partnership)
        .where(col(Partnership.id) == partnership_id)
        .values(next_case_number=Partnership.next_case_number + 1)
        .returning(col(Partnership.next_case_number))
    ).scalar_one()
    return int(number)


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _replay(session: Session, principal: Principal, key: str, fingerprint: str) -> CaseView | None:
    stored = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.partnership_id == principal.partnership_id,
            IdempotencyRecord.user_id == principal.user_id,
            IdempotencyRecord.key == key,
        )
    ).first()
    if stored is None:
        return None
    if stored.request_hash != fingerprint:
        raise Conflict("this Idempotency-Key was already used for a different request; use a new key")
    case = session.get(Case, uuid.UUID(stored.response["case_id"]))
    assert case is not None
    return _view(session, case, _instance_of(session, case))


def _remember(session: Session, principal: Principal, key: str, fingerprint: str, case_id: uuid.UUID) -> None:
    session.add(
        IdempotencyRecord(
            partnership_id=principal.partnership_id,
            user_id=principal.user_id,
            key=key,
            request_hash=fingerprint,
            status_code=201,
            response={"case_id": str(case_id)},
        )
    )
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("a request with this Idempotency-Key is already being processed; retry shortly") from None
