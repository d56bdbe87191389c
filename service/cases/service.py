"""Case use cases: open a case (starting its lifecycle), list, read."""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from service import engine
from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.principal import Principal
from service.access.roles import CASE_MANAGERS
from service.audit.access import AccessKind, record_access
from service.audit.log import record
from service.cases.clocks import ClockStatus, instance_clocks
from service.cases.members import require_members
from service.cases.review_record import review_record
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.identity.directory import require_agencies
from service.models import (
    Case,
    CaseLink,
    CaseSubject,
    IdempotencyRecord,
    Partnership,
    ProcessDefinition,
    ProcessInstance,
)
from service.pagination import Page
from service.processes import registry
from service.workflow.opening import open_case, opened_here
from service.workflow.stepper import lock_instance, step


@dataclass
class CaseView:
    """A case with what a reader needs beside the row: its process, clocks and review record."""

    case: Case
    instance: ProcessInstance | None
    clocks: list[ClockStatus]
    record: dict[str, Any]
    review_record: dict[str, Any] | None
    links: list[LinkView]
    access: Level = Level.FULL
    identifiers_held: list[str] | None = None  # names of the sealed subject identifiers (reveal to see them)


@dataclass(frozen=True)
class LinkView:
    """Another case this one opened (``opened``) or was opened by (``opened_by``)."""

    case_id: uuid.UUID
    reference: str
    case_type: str
    relation: str
    direction: str


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
    members: list[tuple[uuid.UUID, str]] | None = None,
    idempotency_key: str | None = None,
) -> CreatedCase:
    """Open a case of ``case_type`` and start its lifecycle; the caller leads it, with ``members`` beside them."""
    if not principal.roles & CASE_MANAGERS:
        raise Forbidden("opening a case needs the business manager, case review group member or admin role")
    fingerprint = _fingerprint(case_type, title, subject_pseudonym, involved_agencies, data, members or [])
    if idempotency_key:
        replay = _replay(session, principal, idempotency_key, fingerprint)
        if replay is not None:
            return CreatedCase(view=replay, replayed=True)
    definition_row = _require_case_type(session, principal, case_type)
    require_agencies(session, principal.partnership_id, involved_agencies, field="involved_agencies")
    require_members(session, principal.partnership_id, members or [])
    case, instance = open_case(
        session,
        partnership_id=principal.partnership_id,
        case_type=case_type,
        title=title,
        subject_pseudonym=subject_pseudonym,
        involved_agencies=list(dict.fromkeys(involved_agencies)),
        data=data,
        actor=principal,
        from_post_cases=True,
        members=members,
        definition_row=definition_row,
    )
    if idempotency_key:
        _remember(session, principal, idempotency_key, fingerprint, case.id)
    fresh = opened_here(session, case.id)
    known = (fresh.identifiers, fresh.linked) if fresh else None
    return CreatedCase(view=_view(session, principal, case, instance, seen=Level.FULL, known=known), replayed=False)


def _require_case_type(session: Session, principal: Principal, case_type: str) -> ProcessDefinition:
    """The version a new case of ``case_type`` starts on; an unknown type is most often a typo: name the valid ones."""
    try:
        return registry.latest_definition(session, case_type, principal.partnership_id)
    except NotFound:
        pass  # a real type's opening checks the partnership's kind and the start data; this one is refused here
    valid = [t.row.process_key for t in case_types(session, principal) if not t.definition.opened_by]
    close = difflib.get_close_matches(case_type, valid, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    message = f"there is no case type '{case_type}'; {hint}valid types: {', '.join(valid)} (GET /api/v1/case-types)"
    raise NotFound(message)


def open_system_case(
    session: Session, *, partnership_id: uuid.UUID, case_type: str, title: str, data: dict[str, Any]
) -> Case:
    """Open a case on the service's own initiative (e.g. an operational alert); audited as the system."""
    case, _ = open_case(
        session,
        partnership_id=partnership_id,
        case_type=case_type,
        title=title,
        subject_pseudonym="n/a",
        involved_agencies=[],
        data=data,
        actor=None,
    )
    return case


@dataclass(frozen=True)
class CaseType:
    """A case type the caller's partnership may open, on its newest version."""

    row: ProcessDefinition
    definition: engine.LoadedDefinition


def case_types(session: Session, principal: Principal) -> list[CaseType]:
    """The newest version of every case type this kind of partnership may open (a joint partnership: all)."""
    partnership = session.get(Partnership, principal.partnership_id)
    assert partnership is not None
    keys = sorted({row.process_key for row in registry.visible_definitions(session, principal.partnership_id)})
    found = []
    for key in keys:
        row = registry.latest_definition(session, key, principal.partnership_id)
        definition = registry.loaded(session, row.id)
        kinds = definition.partnership_kinds
        if not kinds or partnership.kind == "joint" or partnership.kind in kinds:
            found.append(CaseType(row=row, definition=definition))
    return found


def case_types_page(session: Session, principal: Principal, *, cursor: str | None, limit: int) -> Page[CaseType]:
    """One page of ``case_types`` in key order; the cursor is the last key seen (a handful per partnership)."""
    after = _decode_key_cursor(cursor) if cursor else ""
    rest = [t for t in case_types(session, principal) if t.row.process_key > after]
    items = rest[:limit]
    more = len(rest) > limit
    return Page(items=items, next_cursor=_encode_key_cursor(items[-1].row.process_key) if more else None)


def _encode_key_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode_key_cursor(cursor: str) -> str:
    try:
        return base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except ValueError:
        raise InvalidInput(
            "the cursor is not valid",
            [{"field": "cursor", "message": "pass back exactly the next_cursor value of the previous page"}],
        ) from None


def get_case(session: Session, principal: Principal, case_id: uuid.UUID) -> CaseView:
    """One case with its clocks and record (an involved agency: its summary and clocks); the read is logged."""
    parts, seen = _visible_parts(session, principal, case_id)
    record_access(session, principal, kind=AccessKind.CASE, object_type="case", object_id=case_id, case_id=case_id)
    return _view(session, principal, parts.case, parts.instance, seen=seen, known=parts.known)


def deliver_message(
    session: Session, principal: Principal, case_id: uuid.UUID, *, name: str, payload: dict[str, Any]
) -> CaseView:
    """Deliver a named BPMN message (with its payload) to the case's waiting process."""
    parts, _ = _visible_parts(session, principal, case_id, need=Level.FULL, doing="delivering messages")
    case = parts.case
    if parts.instance is None:
        raise Conflict(f"case {case.reference} has no process")
    instance = lock_instance(session, principal.partnership_id, parts.instance.id)
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
    # Not parts.known: the step may have opened a linked case.
    return _view(session, principal, case, instance, seen=Level.FULL)


@dataclass(frozen=True)
class _CaseParts:
    case: Case
    instance: ProcessInstance | None  # its lifecycle's, without the engine state
    subject: CaseSubject | None
    linked: bool

    @property
    def known(self) -> tuple[list[str], bool]:
        """What ``_view`` would otherwise read: the sealed identifiers' names and whether any link exists."""
        return _fields(self.subject), self.linked


def _visible_parts(
    session: Session, principal: Principal, case_id: uuid.UUID, *, need: Level = Level.AGENCY, doing: str = "this"
) -> tuple[_CaseParts, Level]:
    """need_to_know.case_or_404 for a read that takes the case's parts in the same query."""
    parts = _case_with_parts(session, principal, case_id)
    seen = need_to_know.seen_or_refused(
        session, principal, parts.case if parts else None, case_id, need=need, doing=doing
    )
    assert parts is not None  # refused above otherwise
    return parts, seen


def _case_with_parts(session: Session, principal: Principal, case_id: uuid.UUID) -> _CaseParts | None:
    """The partnership's case with its lifecycle instance (its first; without the engine state, 12-16 KB of JSON a
    view never uses: a step locks and reads it again whole), its sealed subject and whether any link exists, in
    one query: a case read is the commonest read there is, and each of these was a round trip of its own. Whether
    the caller may see it is for need_to_know to say (None: the partnership has no such case)."""
    first = (
        select(ProcessInstance.id)
        .where(ProcessInstance.case_id == case_id)
        .order_by(col(ProcessInstance.created_at))
        .limit(1)
        .scalar_subquery()
    )
    linked = exists().where(or_(col(CaseLink.from_case_id) == case_id, col(CaseLink.to_case_id) == case_id))
    row = session.execute(
        select(Case, ProcessInstance, CaseSubject, linked.label("linked"))
        .select_from(Case)
        .outerjoin(ProcessInstance, col(ProcessInstance.id) == first)
        .outerjoin(CaseSubject, col(CaseSubject.case_id) == col(Case.id))
        .where(col(Case.id) == case_id, col(Case.partnership_id) == principal.partnership_id)
        .options(defer(ProcessInstance.state))  # type: ignore[arg-type]
    ).first()
    return None if row is None else _CaseParts(case=row[0], instance=row[1], subject=row[2], linked=bool(row[3]))


def _view(
    session: Session,
    principal: Principal,
    case: Case,
    instance: ProcessInstance | None,
    *,
    seen: Level | None = None,
    known: tuple[list[str], bool] | None = None,
) -> CaseView:
    """``known``: the names of the case's sealed identifiers and whether it has links, when the caller knows them
    already (read with the case, or the case was opened in this transaction)."""
    seen = need_to_know.level(session, principal, case) if seen is None else seen
    clocks: list[ClockStatus] = []
    case_record: dict[str, Any] = {}
    standard: dict[str, Any] | None = None
    if instance is not None:
        definition = registry.loaded(session, instance.definition_id)
        clocks = instance_clocks(session, instance, now=utcnow())
        fields = definition.record_fields or sorted(instance.variables)
        case_record = {name: instance.variables[name] for name in fields if name in instance.variables}
        standard = review_record(
            case, instance.variables, default_mandate=definition.legal_mandate, today=utcnow().astimezone(LONDON).date()
        )
    if seen is not Level.FULL:
        # An involved agency sees the summary and the clocks; the record is the members' (its own submissions are
        # its tasks' data, under GET /tasks).
        return CaseView(
            case=case, instance=instance, clocks=clocks, record={}, review_record=None, links=[], access=seen
        )
    identifiers, linked = known if known is not None else (_fields(session.get(CaseSubject, case.id)), True)
    return CaseView(
        case=case,
        instance=instance,
        clocks=clocks,
        record=case_record,
        review_record=standard,
        links=[link for link in _links(session, case) if _sees(session, principal, link.case_id)] if linked else [],
        access=seen,
        identifiers_held=identifiers,
    )


def _fields(subject: CaseSubject | None) -> list[str]:
    return list(subject.fields) if subject else []


def _sees(session: Session, principal: Principal, case_id: uuid.UUID) -> bool:
    # A link to a case the reader may not see would reveal that it exists.
    other = session.get(Case, case_id)  # already loaded by _links: the identity map answers
    return other is not None and need_to_know.level(session, principal, other) is not Level.NONE


def _links(session: Session, case: Case) -> list[LinkView]:
    # One query for the (usually absent) links, one more only when there are some: this runs on every case read.
    links = session.exec(
        select(CaseLink)
        .where(or_(col(CaseLink.from_case_id) == case.id, col(CaseLink.to_case_id) == case.id))
        .order_by(col(CaseLink.created_at))
    ).all()
    if not links:
        return []
    others = {link.to_case_id if link.from_case_id == case.id else link.from_case_id for link in links}
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(others))).all()}
    return [
        LinkView(
            case_id=other.id,
            reference=other.reference,
            case_type=other.case_type,
            relation=link.relation,
            direction="opened" if link.from_case_id == case.id else "opened_by",
        )
        for link in links
        if (other := cases[link.to_case_id if link.from_case_id == case.id else link.from_case_id])
    ]


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
    parts = _case_with_parts(session, principal, uuid.UUID(stored.response["case_id"]))
    assert parts is not None
    return _view(session, principal, parts.case, parts.instance, known=parts.known)


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
