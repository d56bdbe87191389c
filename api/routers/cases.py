"""Cases: open, list, read, and deliver messages."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Header, Query, Response

from api.conditional import cacheable
from api.deps import LimitDep, PrincipalDep, SessionDep
from api.headers import IDEMPOTENT_REPLAYED
from api.locations import CREATED, LocationDep
from api.routing import ResourceRouter
from api.schemas.cases import (
    CaseCreate,
    CaseLinkRead,
    CaseRead,
    CaseSummary,
    ClockRead,
    MemberAdd,
    MemberRead,
    MessageDelivery,
    RevealRequest,
    SubjectRead,
)
from api.schemas.common import PROBLEM_RESPONSES, Page
from service.access.need_to_know import Level
from service.cases import members, search, subject
from service.cases import service as cases
from service.cases.members import MemberView
from service.cases.search import CLOCK_SCAN_LIMIT, SEARCH_MAX_LENGTH, CaseFilters, CaseStatus, ClockFilter
from service.cases.service import CaseView

router = ResourceRouter(prefix="/api/v1/cases", tags=["cases"], responses=PROBLEM_RESPONSES)


def _read(view: CaseView) -> CaseRead:
    summary = CaseSummary.model_validate(view.case, from_attributes=True)
    return CaseRead(
        **summary.model_dump(),
        instance_id=view.instance.id if view.instance else None,
        instance_status=view.instance.status if view.instance else None,
        clocks=[ClockRead.model_validate(clock, from_attributes=True) for clock in view.clocks],
        record=view.record,
        review_record=view.review_record,
        links=[CaseLinkRead.model_validate(link, from_attributes=True) for link in view.links],
        access="full" if view.access is Level.FULL else "agency",
        subject_identifiers_held=view.identifiers_held or [],
    )


def _member(view: MemberView) -> MemberRead:
    m = view.member
    return MemberRead(
        user_id=m.user_id,
        name=view.name,
        email=view.email,
        case_role=m.case_role,
        added_at=m.added_at,
        added_by_id=m.added_by_id,
    )


@router.post(
    "",
    status_code=201,
    responses={
        201: {**CREATED[201], "headers": {**CREATED[201]["headers"], "Idempotent-Replayed": IDEMPOTENT_REPLAYED}}
    },
)
def create_case(
    body: CaseCreate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    location: LocationDep,
    idempotency_key: Annotated[
        str | None,
        Header(max_length=200, description="Retry-safe: the same key and body return the same case."),
    ] = None,
) -> CaseRead:
    """Open a case of a type; its lifecycle starts and its first tasks appear."""
    created = cases.create_case(
        session,
        principal,
        case_type=body.case_type,
        title=body.title,
        subject_pseudonym=body.subject_pseudonym,
        involved_agencies=body.involved_agencies,
        data=body.data,
        members=[(m.user_id, m.case_role.value) for m in body.members],
        idempotency_key=idempotency_key,
    )
    location.at("get_case", case_id=created.view.case.id)
    if created.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return _read(created.view)


@router.get("")
def list_cases(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    case_type: Annotated[str | None, Query(description="A case type key (`GET /case-types`).")] = None,
    status: CaseStatus | None = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=SEARCH_MAX_LENGTH,
            description="Search: a case-insensitive part of the reference, title or subject pseudonym.",
        ),
    ] = None,
    stage: Annotated[str | None, Query(max_length=100, description="One of the case's current stages.")] = None,
    agency: Annotated[str | None, Query(max_length=40, description="An involved agency's code.")] = None,
    clock: Annotated[
        str | None, Query(max_length=100, description="A clock key (as in a case's `clocks`); with clock_status.")
    ] = None,
    clock_status: Annotated[
        ClockFilter | None,
        Query(
            description="Cases with a clock (or the `clock` named) `overdue`, or `due_soon` (due within "
            "`LIF_DUE_SOON_WORKING_DAYS` working days). Each request examines at most "
            f"{CLOCK_SCAN_LIMIT} cases, so a page may hold fewer than `limit`: follow `next_cursor` until null."
        ),
    ] = None,
    cursor: str | None = None,
) -> Page[CaseSummary]:
    """The cases you may see (need-to-know), newest first. Every filter narrows the list (AND)."""
    filters = CaseFilters(
        case_type=case_type, status=status, q=q, stage=stage, agency=agency, clock=clock, clock_status=clock_status
    )
    page = search.list_cases(session, principal, filters, cursor=cursor, limit=limit)
    return Page[CaseSummary](
        items=[CaseSummary.model_validate(c, from_attributes=True) for c in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{case_id}")
@cacheable
def get_case(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> CaseRead:
    """A case with its clocks, stage(s) and review record (an involved agency: summary and clocks). Logged."""
    return _read(cases.get_case(session, principal, case_id))


@router.post("/{case_id}/messages", status_code=202)
def deliver_message(
    case_id: uuid.UUID, body: MessageDelivery, session: SessionDep, principal: PrincipalDep
) -> CaseRead:
    """Deliver a named message (and its payload) to the case's waiting process."""
    return _read(cases.deliver_message(session, principal, case_id, name=body.name, payload=body.payload))


@router.get("/{case_id}/members")
def list_members(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Page[MemberRead]:
    """Who works on the case, and their role on it (a case's team: all in one page)."""
    return Page[MemberRead](
        items=[_member(v) for v in members.list_members(session, principal, case_id)], next_cursor=None
    )


@router.post("/{case_id}/members", status_code=201, responses=CREATED)
def add_member(
    case_id: uuid.UUID, body: MemberAdd, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> MemberRead:
    """Add someone to the case, or change their role on it (business manager or the case's lead); audited."""
    # A membership has no GET of its own: the case's member list shows it.
    location.at("list_members", case_id=case_id)
    return _member(
        members.add_member(session, principal, case_id, user_id=body.user_id, case_role=body.case_role.value)
    )


@router.delete("/{case_id}/members/{user_id}", status_code=204)
def remove_member(case_id: uuid.UUID, user_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    """Take someone off the case; they stop seeing it at once (business manager or the case's lead); audited."""
    members.remove_member(session, principal, case_id, user_id)
    return Response(status_code=204)


@router.post("/{case_id}/subject/reveal")
def reveal_subject(
    case_id: uuid.UUID, body: RevealRequest, session: SessionDep, principal: PrincipalDep
) -> SubjectRead:
    """The subject's real identifiers, for members whose case role allows it; every reveal is logged."""
    revealed = subject.reveal(session, principal, case_id, reason=body.reason)
    return SubjectRead(
        case_id=revealed.case.id,
        reference=revealed.case.reference,
        subject_pseudonym=revealed.case.subject_pseudonym,
        identifiers=revealed.identifiers,
    )
