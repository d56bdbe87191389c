"""A case's members: the people working on that review, each with a role on it. Changes are audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.policy import CaseRole
from service.access.principal import Principal
from service.access.roles import Role
from service.audit.log import record
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.models import Case, CaseMember, User


@dataclass(frozen=True)
class MemberView:
    """A member with the name a person recognises."""

    member: CaseMember
    name: str
    email: str


def require_members(session: Session, partnership_id: uuid.UUID, members: list[tuple[uuid.UUID, str]]) -> None:
    """Refuse members who are not active users of the partnership, or roles that do not exist on a case."""
    problems = []
    for index, (user_id, case_role) in enumerate(members):
        user = session.get(User, user_id)
        if user is None or user.partnership_id != partnership_id or not user.active:
            problems.append({"field": f"members.{index}.user_id", "message": f"no active user {user_id} here"})
        if case_role not in CaseRole.__members__.values():
            problems.append(
                {
                    "field": f"members.{index}.case_role",
                    "message": f"'{case_role}' is not a case role; use one of: " + ", ".join(r.value for r in CaseRole),
                }
            )
    if problems:
        raise InvalidInput("some members cannot be added", problems)


def list_members(session: Session, principal: Principal, case_id: uuid.UUID) -> list[MemberView]:
    """Who works on the case (for those who see it fully)."""
    case, _ = need_to_know.case_or_404(session, principal, case_id, need=Level.FULL, doing="its member list")
    rows = session.exec(
        select(CaseMember, User)
        .join(User, col(User.id) == col(CaseMember.user_id))
        .where(CaseMember.case_id == case.id)
        .order_by(col(CaseMember.added_at), col(User.email))
    ).all()
    return [MemberView(member=m, name=u.name, email=u.email) for m, u in rows]


def add_member(
    session: Session, principal: Principal, case_id: uuid.UUID, *, user_id: uuid.UUID, case_role: str
) -> MemberView:
    """Add someone to the case (or change their role on it): the business manager or the case's lead."""
    case = _managed(session, principal, case_id)
    require_members(session, principal.partnership_id, [(user_id, case_role)])
    user = session.get(User, user_id)
    assert user is not None
    member = session.exec(
        select(CaseMember).where(CaseMember.case_id == case.id, CaseMember.user_id == user_id)
    ).first()
    before = member.case_role if member else None
    if member is None:
        member = CaseMember(
            partnership_id=case.partnership_id,
            case_id=case.id,
            user_id=user_id,
            case_role=case_role,
            added_by_id=principal.user_id,
        )
    member.case_role = case_role
    session.add(member)
    session.flush()
    if before != case_role:
        record(
            session,
            partnership_id=case.partnership_id,
            actor=principal,
            action="case.member_added" if before is None else "case.member_role_changed",
            object_type="case",
            object_id=str(case.id),
            summary=f"{user.name} {'added to' if before is None else 'now'} {case.reference} as {case_role}",
            detail={"user_id": str(user_id), "case_role": case_role, "previous_role": before},
        )
    return MemberView(member=member, name=user.name, email=user.email)


def remove_member(session: Session, principal: Principal, case_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Take someone off the case: from now on they no longer see it (unless another rule lets them)."""
    case = _managed(session, principal, case_id)
    member = session.exec(
        select(CaseMember).where(CaseMember.case_id == case.id, CaseMember.user_id == user_id)
    ).first()
    if member is None:
        raise NotFound(f"user {user_id} is not a member of case {case.reference}")
    leads = session.exec(
        select(CaseMember.id).where(CaseMember.case_id == case.id, CaseMember.case_role == CaseRole.LEAD)
    ).all()
    if member.case_role == CaseRole.LEAD and len(leads) == 1 and not principal.has_role(Role.BUSINESS_MANAGER):
        raise Conflict("this is the case's only lead; a business manager can remove them, or add another lead first")
    user = session.get(User, user_id)
    session.delete(member)
    session.flush()
    record(
        session,
        partnership_id=case.partnership_id,
        actor=principal,
        action="case.member_removed",
        object_type="case",
        object_id=str(case.id),
        summary=f"{user.name if user else user_id} removed from {case.reference} (was {member.case_role})",
        detail={"user_id": str(user_id), "case_role": member.case_role},
    )


def _managed(session: Session, principal: Principal, case_id: uuid.UUID) -> Case:
    case, _ = need_to_know.case_or_404(session, principal, case_id, need=Level.FULL, doing="managing its members")
    mine = need_to_know.membership(session, principal, case)
    if principal.machine or not (
        principal.has_role(Role.BUSINESS_MANAGER) or (mine is not None and mine.case_role == CaseRole.LEAD)
    ):
        raise Forbidden("a case's members are managed by the business manager or the case's lead")
    return case
