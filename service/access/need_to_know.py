"""Need-to-know: who may see a case, and how much of it. The one place this rule lives.

A person sees a case *fully* when they hold a partnership-wide oversight role (configured per partnership;
by default business manager and chair), are one of the case's members, the case type is open to the whole
partnership (``caseAccess="partnership"``, e.g. training events), or the case was opened for a case they see
fully (an action for a review: ``parent_case_id``). The safeguarding lead, or a machine token, of an agency
involved in the case sees *its agency's part*: the summary and clocks, its agency's tasks and what it submitted.
Anyone else is told the case does not exist (404), everywhere, including in lists and counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true
from sqlmodel import Session, col, select

from service.access.owned import owned
from service.access.principal import Principal
from service.errors import Forbidden, NotFound
from service.models import Case, CaseAgency, CaseMember, HumanTask

PARTNERSHIP_SCOPE = "partnership"


class Level(IntEnum):
    """How much of a case someone sees."""

    NONE = 0
    AGENCY = 1  # an involved agency's lead or machine token: summary, clocks, its own tasks and submissions
    FULL = 2  # oversight role, member, or a case open to the partnership


def sees_all(principal: Principal) -> bool:
    """True for people holding one of the partnership's oversight roles (never a machine token)."""
    return principal.oversight and not principal.machine


def member_case_ids(principal: Principal) -> Any:
    """SQL: ids of the cases the caller is a member of."""
    return select(CaseMember.case_id).where(
        CaseMember.user_id == principal.user_id, CaseMember.partnership_id == principal.partnership_id
    )


def full_case_ids(principal: Principal) -> Any:
    """SQL: ids of the cases the caller sees fully (use only when not ``sees_all``)."""
    if principal.machine:
        return select(Case.id).where(false_clause())
    members = member_case_ids(principal)
    return select(Case.id).where(
        Case.partnership_id == principal.partnership_id,
        or_(
            col(Case.access_scope) == PARTNERSHIP_SCOPE,
            col(Case.id).in_(members),
            col(Case.parent_case_id).in_(members),
        ),
    )


def agency_case_ids(principal: Principal) -> Any:
    """SQL: ids of the cases that involve the caller's agency."""
    return select(CaseAgency.case_id).where(
        CaseAgency.partnership_id == principal.partnership_id, CaseAgency.agency_code == principal.agency_code
    )


def false_clause() -> ColumnElement[bool]:
    """A condition no row meets."""
    return ~true()


def case_clause(principal: Principal, case_id: Any) -> ColumnElement[bool]:
    """SQL condition: the case whose id is in column ``case_id`` is visible to the caller (at any level)."""
    if sees_all(principal):
        return true()
    parts: list[ColumnElement[bool]] = [col(case_id).in_(full_case_ids(principal))]
    if principal.agency_code:
        parts.append(col(case_id).in_(agency_case_ids(principal)))
    return or_(*parts)


def full_clause(principal: Principal, case_id: Any) -> ColumnElement[bool]:
    """SQL condition: the caller sees the case in column ``case_id`` fully."""
    return true() if sees_all(principal) else col(case_id).in_(full_case_ids(principal))


def task_clause(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on HumanTask: every task of a case seen fully, and an involved agency's own tasks."""
    if sees_all(principal):
        return true()
    parts: list[ColumnElement[bool]] = [col(HumanTask.case_id).in_(full_case_ids(principal))]
    if principal.agency_code:
        parts.append(
            and_(
                col(HumanTask.agency_code) == principal.agency_code,
                col(HumanTask.case_id).in_(agency_case_ids(principal)),
            )
        )
    return or_(*parts)


def level(session: Session, principal: Principal, case: Case, *, is_member: Callable[[], bool] | None = None) -> Level:
    """How much of ``case`` the caller sees. ``is_member`` says, when asked, whether the caller is a member of the
    case (known for many people checked against the same case) instead of a query per person."""
    if case.partnership_id != principal.partnership_id:
        return Level.NONE
    if sees_all(principal):
        return Level.FULL
    if not principal.machine:
        if case.access_scope == PARTNERSHIP_SCOPE:
            return Level.FULL
        member = is_member() if is_member is not None else membership(session, principal, case) is not None
        if member or (case.parent_case_id is not None and _is_member(session, principal, case.parent_case_id)):
            return Level.FULL
    if principal.agency_code and principal.agency_code in case.involved_agencies:
        return Level.AGENCY
    return Level.NONE


def membership(session: Session, principal: Principal, case: Case) -> CaseMember | None:
    """The caller's membership of ``case`` (None when they are not a member)."""
    return session.exec(
        select(CaseMember).where(CaseMember.case_id == case.id, CaseMember.user_id == principal.user_id)
    ).first()


def _is_member(session: Session, principal: Principal, case_id: uuid.UUID) -> bool:
    found = session.exec(
        select(CaseMember.id).where(CaseMember.case_id == case_id, CaseMember.user_id == principal.user_id)
    ).first()
    return found is not None


def case_or_404(
    session: Session, principal: Principal, case_id: Any, *, need: Level = Level.AGENCY, doing: str = "this"
) -> tuple[Case, Level]:
    """The case and how much the caller sees of it; 404 when nothing, 403 when less than ``need``."""
    case = owned(session, Case, case_id, principal.partnership_id)
    seen = seen_or_refused(session, principal, case, case_id, need=need, doing=doing)
    assert case is not None  # refused above otherwise
    return case, seen


def seen_or_refused(
    session: Session,
    principal: Principal,
    case: Case | None,
    case_id: Any,
    *,
    need: Level = Level.AGENCY,
    doing: str = "this",
) -> Level:
    """How much the caller sees of ``case``, already read as the partnership's (None: there is none); 404 when
    nothing, 403 when less than ``need``. For a caller that reads the case together with more than its row."""
    seen = level(session, principal, case) if case is not None else Level.NONE
    if case is None or seen is Level.NONE:
        raise NotFound(f"there is no case {case_id}")
    if seen < need:
        raise Forbidden(
            f"you see case {case.reference} as the involved agency '{principal.agency_code}': {doing} is for the "
            "case's members and oversight roles; ask the case's business manager to add you as a member"
        )
    return seen
