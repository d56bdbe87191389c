"""Legal hold: a case (and everything belonging to it) that must not be disposed of, whatever its retention says.

A hold is placed for litigation, an inquiry, a complaint to the ICO or a coroner's request; it stops disposal of
the case, its tasks, its actions' evidence and the cases opened for it, until someone lifts it with a reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from service.access.owned import owned_or_404
from service.access.principal import Principal
from service.access.roles import Role
from service.audit.log import record
from service.db.types import utcnow
from service.errors import Conflict, Forbidden, InvalidInput
from service.models import Case, User

HOLDERS = frozenset({Role.BUSINESS_MANAGER, Role.PARTNERSHIP_ADMIN, Role.DATA_PROTECTION_OFFICER})


@dataclass(frozen=True)
class HoldView:
    """A case and its legal hold (``case.legal_hold_reason`` is None when there is none)."""

    case: Case
    placed_by_name: str | None


def legal_hold(session: Session, *, principal: Principal, case_id: uuid.UUID) -> HoldView:
    """The case's legal hold, if any."""
    return _view(session, _case(session, principal, case_id))


def place_hold(session: Session, *, principal: Principal, case_id: uuid.UUID, reason: str) -> HoldView:
    """Place a hold on the case, or change the reason of the one it has (placed when and by whom stay)."""
    case = _case(session, principal, case_id)
    reason = _reason(reason)
    if case.disposed_at is not None:
        raise Conflict(f"case {case.reference} was already disposed of on {case.disposed_at.date()}; nothing to hold")
    changed = case.legal_hold_reason is not None
    case.legal_hold_reason = reason
    if not changed:
        case.legal_hold_at, case.legal_hold_by_id = utcnow(), principal.user_id
    session.add(case)
    _audit(session, principal, case, "case.legal_hold_placed", reason, changed=changed)
    return _view(session, case)


def lift_hold(session: Session, *, principal: Principal, case_id: uuid.UUID, reason: str) -> HoldView:
    """Lift the case's hold; its retention applies again from the next disposal run."""
    case = _case(session, principal, case_id)
    reason = _reason(reason)
    if case.legal_hold_reason is None:
        raise Conflict(f"case {case.reference} is not under legal hold")
    case.legal_hold_reason = case.legal_hold_at = case.legal_hold_by_id = None
    session.add(case)
    _audit(session, principal, case, "case.legal_hold_lifted", reason, changed=False)
    return _view(session, case)


def _case(session: Session, principal: Principal, case_id: uuid.UUID) -> Case:
    if principal.machine or not principal.roles & HOLDERS:
        raise Forbidden("legal holds are for business managers, partnership admins and data protection officers")
    return owned_or_404(session, Case, case_id, principal.partnership_id, "case")


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not 1 <= len(text) <= 500:
        raise InvalidInput("a legal hold needs a reason", [{"field": "reason", "message": "give 1 to 500 characters"}])
    return text


def _view(session: Session, case: Case) -> HoldView:
    user = session.get(User, case.legal_hold_by_id) if case.legal_hold_by_id else None
    return HoldView(case=case, placed_by_name=user.name if user else None)


def _audit(session: Session, principal: Principal, case: Case, action: str, reason: str, *, changed: bool) -> None:
    verb = "changed" if changed else ("placed" if action.endswith("placed") else "lifted")
    record(
        session,
        partnership_id=case.partnership_id,
        actor=principal,
        action=action,
        object_type="case",
        object_id=str(case.id),
        summary=f"Legal hold {verb} on case {case.reference}: {reason}",
        detail={"reason": reason, "reference": case.reference} | ({"changed": True} if changed else {}),
    )
