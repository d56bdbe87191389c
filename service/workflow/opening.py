"""Open a case and start its lifecycle: for a person, for the service itself, or for another case's process.

A process can open a linked case (an ``opensCase`` throw event, see docs/lifecycles/conventions.md), so opening a
case is part of taking a step: it lives beside the stepper rather than in the cases feature package.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from service import engine
from service.access.policy import CaseRole
from service.access.principal import Principal
from service.audit.log import record
from service.db.rows import new_row
from service.db.session import this_transaction
from service.db.types import utcnow
from service.errors import Conflict, InvalidInput
from service.identity.directory import require_agencies
from service.models import (
    Case,
    CaseAgency,
    CaseLink,
    CaseMember,
    CaseSubject,
    Partnership,
    ProcessDefinition,
    ProcessInstance,
)
from service.outbox.emit import emit_case_event
from service.outbox.events import EventType
from service.processes import registry
from service.processes.settings import settings_for
from service.sealing import seal_json
from service.workflow.after_step import OPEN_LINKED_CASES, StepDone, after_step
from service.workflow.stepper import create_instance


def open_case(
    session: Session,
    *,
    partnership_id: uuid.UUID,
    case_type: str,
    title: str,
    subject_pseudonym: str,
    involved_agencies: list[str],
    data: dict[str, Any],
    actor: Principal | None,
    opened_from: tuple[Case, str] | None = None,
    from_post_cases: bool = False,
    parent_case_id: uuid.UUID | None = None,
    members: list[tuple[uuid.UUID, str]] | None = None,
    definition_row: ProcessDefinition | None = None,
) -> tuple[Case, ProcessInstance]:
    """Validate the start data, number the case, start its lifecycle on the newest version; audit and emit.

    ``opened_from`` is the (case, relation) whose process opened this one: both are linked, and the opener's
    members carry over. ``from_post_cases`` refuses case types that open with their own record (``openedBy``,
    e.g. an action). ``parent_case_id`` is the case whose need-to-know this one follows (an action's review).
    ``members`` are (user id, case role) pairs already checked by the caller; the person opening it leads it.
    The start form's ``identifying`` answers are sealed apart from the case; the process never sees them.
    ``definition_row`` is the newest version when the caller has just looked it up (saves reading it again).
    """
    if definition_row is None:
        definition_row = registry.latest_definition(session, case_type, partnership_id)
    definition = registry.loaded(session, definition_row.id)
    if from_post_cases and definition.opened_by:
        raise Conflict(f"a '{case_type}' case opens with its own record, through {definition.opened_by}")
    partnership, number = _numbered(session, partnership_id)
    _check_kind(partnership, case_type, definition)
    errors = engine.validate_submission(definition.start_form_schema, data)
    if errors:
        raise InvalidInput(
            f"the start data for a '{case_type}' case is not valid",
            [{"field": f"data.{e.field}" if e.field else "data", "message": e.message} for e in errors],
        )
    if isinstance(data.get("owner_agency"), str):  # convention: a case owned by one agency names a real one
        require_agencies(session, partnership_id, [data["owner_agency"]], field="data.owner_agency")
    identifiers = {k: data[k] for k in definition.identifying_fields if data.get(k) not in (None, "")}
    data = {k: v for k, v in data.items() if k not in definition.identifying_fields}
    case = new_row(
        Case,
        partnership_id=partnership_id,
        case_type=case_type,
        reference=f"{definition.reference_prefix}-{utcnow().year}-{number:04d}",
        title=title,
        subject_pseudonym=subject_pseudonym,
        involved_agencies=involved_agencies,
        created_by_id=actor.user_id if actor else None,
        stages=[],
        record={},
        access_scope=definition.case_access,
        parent_case_id=parent_case_id,
    )
    session.add(case)  # written with the rest at the end, its first stages in its INSERT (service/models)
    _enrol(session, case, actor=actor, members=members or [], opened_from=opened_from[0] if opened_from else None)
    subject = _subject(session, case, identifiers, opened_from[0] if opened_from and parent_case_id is None else None)
    if subject is not None:
        session.add(subject)
    opened = this_transaction(session).setdefault(_OPENED_KEY, {})
    opened[case.id] = OpenedHere(identifiers=list(subject.fields) if subject else [], linked=opened_from is not None)
    if opened_from is not None:
        parent, relation = opened_from
        session.add(
            CaseLink(partnership_id=partnership_id, from_case_id=parent.id, to_case_id=case.id, relation=relation)
        )
        if parent.id in opened:
            opened[parent.id].linked = True
    settings = settings_for(partnership.settings).model_dump()
    start_data = {**settings, **data, "case_reference": case.reference, "involved_agencies": involved_agencies}
    # Before the first step: partners hear of the case before its first tasks and stage (causal order).
    emit_case_event(session, EventType.CASE_OPENED, case)
    instance = create_instance(session, case=case, definition_id=definition_row.id, data=start_data, actor=actor)
    opener = f" from {opened_from[0].reference}" if opened_from else ""
    record(
        session,
        partnership_id=partnership_id,
        actor=actor,
        action="case.opened",
        object_type="case",
        object_id=str(case.id),
        summary=f"{definition.name} case {case.reference} opened{opener}" + ("" if actor else " by the service"),
        detail={"case_type": case_type, "definition_version": definition_row.version}
        | ({"opened_from": opened_from[0].reference, "relation": opened_from[1]} if opened_from else {}),
    )
    return case, instance


@dataclass
class OpenedHere:
    """What a case opened in this transaction has beside its row: known here, so its view need not read it back.

    Exact because the case is new: its subject can only be the one open_case sealed, and every link to it is made
    by open_case (the only place a CaseLink is created), in this transaction."""

    identifiers: list[str]  # the names of its sealed subject fields
    linked: bool


_OPENED_KEY = "lif_opened_here"


def opened_here(session: Session, case_id: uuid.UUID) -> OpenedHere | None:
    """What ``open_case`` recorded about ``case_id`` in this transaction (None if it was not opened in it)."""
    # Only true within the transaction: later ones may link the case to others.
    found: OpenedHere | None = this_transaction(session).get(_OPENED_KEY, {}).get(case_id)
    return found


def open_linked_cases(
    session: Session,
    *,
    case: Case,
    definition: engine.LoadedDefinition,
    passed: list[str],
    variables: dict[str, Any],
) -> None:
    """Open the case of every ``opensCase`` element the process has just passed."""
    for element_id in passed:
        opener = definition.case_openers[element_id]
        try:
            data = engine.evaluate_expression(opener.data, variables) if opener.data else {}
            title = engine.evaluate_expression(opener.title, variables) if opener.title else None
        except (engine.ExpressionError, ValueError, TypeError) as exc:
            raise Conflict(f"'{element_id}' could not work out the linked case's data: {exc}") from None
        if not isinstance(data, dict):
            raise Conflict(f"'{element_id}': opensCase.data must give a mapping of start data")
        try:
            open_case(
                session,
                partnership_id=case.partnership_id,
                case_type=opener.case_type,
                title=str(title or f"{opener.case_type.replace('_', ' ')} from {case.reference}")[:200],
                subject_pseudonym=case.subject_pseudonym,
                involved_agencies=list(case.involved_agencies),
                data=data,
                actor=None,
                opened_from=(case, opener.relation),
            )
        except InvalidInput as exc:
            raise InvalidInput(
                f"this step would open a linked '{opener.case_type}' case, but its start data is not valid; "
                "nothing was changed",
                exc.errors,
            ) from None


@after_step(OPEN_LINKED_CASES)
def _open_what_the_step_asked_for(session: Session, done: StepDone) -> None:
    definition, snapshot = done.definition, done.snapshot
    openers = [
        e for e in snapshot.completed_element_ids if e in definition.case_openers and e not in done.passed_before
    ]
    if openers:
        open_linked_cases(session, case=done.case, definition=definition, passed=openers, variables=snapshot.variables)


def _subject(session: Session, case: Case, identifiers: dict[str, Any], linked_from: Case | None) -> CaseSubject | None:
    """The case's sealed identifiers: those given, or a linked review's opener's (a rapid review opened by a child
    death review is about the same person; a record kept for another case, such as an action, is about no one)."""
    if identifiers:
        return new_row(
            CaseSubject,
            case_id=case.id,
            partnership_id=case.partnership_id,
            fields=sorted(identifiers),
            sealed=seal_json(identifiers),
        )
    inherited = session.get(CaseSubject, linked_from.id) if linked_from is not None else None
    if inherited is None:
        return None
    return new_row(
        CaseSubject,
        case_id=case.id,
        partnership_id=case.partnership_id,
        fields=list(inherited.fields),
        sealed=inherited.sealed,
    )


def _check_kind(partnership: Partnership, case_type: str, definition: engine.LoadedDefinition) -> None:
    kinds = definition.partnership_kinds
    if kinds and partnership.kind != "joint" and partnership.kind not in kinds:
        raise InvalidInput(
            f"a {partnership.kind} partnership cannot open '{case_type}' cases",
            [
                {
                    "field": "case_type",
                    "message": f"'{case_type}' serves {', '.join(kinds)} partnerships (or a joint one); "
                    "GET /api/v1/case-types lists the types yours can open",
                }
            ],
        )


def _enrol(
    session: Session,
    case: Case,
    *,
    actor: Principal | None,
    members: list[tuple[uuid.UUID, str]],
    opened_from: Case | None,
) -> None:
    """Record the involved agencies and the members (the opener leads; a linked case keeps its opener's people)."""
    for code in dict.fromkeys(case.involved_agencies):
        session.add(new_row(CaseAgency, case_id=case.id, agency_code=code, partnership_id=case.partnership_id))
    people: dict[uuid.UUID, str] = {}
    if opened_from is not None:
        for member in session.exec(select(CaseMember).where(CaseMember.case_id == opened_from.id)).all():
            people[member.user_id] = member.case_role
    if actor is not None and not actor.machine:
        people[actor.user_id] = CaseRole.LEAD.value
    for user_id, role in members:
        people.setdefault(user_id, role)
    for user_id, role in people.items():
        session.add(
            new_row(
                CaseMember,
                partnership_id=case.partnership_id,
                case_id=case.id,
                user_id=user_id,
                case_role=role,
                added_by_id=actor.user_id if actor else None,
            )
        )


# Built once (docs/decisions.md on statements built once), and run on the connection as plain SQL: as an ORM UPDATE
# returning the whole partnership over the session's copy, it took 1.6 of an approval opening's 8.7 ms in-process.
_TAKE_NUMBER = (
    update(Partnership)
    .where(col(Partnership.id) == bindparam("partnership_id"))
    .values(next_case_number=col(Partnership.next_case_number) + 1)
    .returning(col(Partnership.next_case_number))
)


def _numbered(session: Session, partnership_id: uuid.UUID) -> tuple[Partnership, int]:
    """The partnership (its kind and settings shape the case) and the case's number, from one UPDATE ... RETURNING.

    The row lock makes numbers unique under concurrent case creation; a case refused later in the request rolls
    the number back with everything else, so numbers stay consecutive. The number is the one the UPDATE returns,
    never the session's copy of the partnership: authentication keeps the row it read, and on PostgreSQL another
    request may have taken a number since (this UPDATE waited for it). That copy is told the new number, so nothing
    later in the request reads an old one. Its kind and settings are as this request read them when it began."""
    number: int = session.connection().execute(_TAKE_NUMBER, {"partnership_id": partnership_id}).scalar_one()
    partnership = session.get(Partnership, partnership_id)
    assert partnership is not None
    set_committed_value(partnership, "next_case_number", number)
    return partnership, number
