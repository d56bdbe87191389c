"""The subject's real identifiers: sealed apart from the record, returned only on an explicit, logged reveal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.policy import data_protection_for
from service.access.principal import Principal
from service.audit.access import AccessKind, record_access
from service.audit.log import record
from service.errors import Forbidden, NotFound
from service.models import Case, CaseSubject, Partnership
from service.sealing import unseal_json


@dataclass(frozen=True)
class RevealedSubject:
    """Who the pseudonym stands for."""

    case: Case
    identifiers: dict[str, Any]


def reveal(session: Session, principal: Principal, case_id: uuid.UUID, *, reason: str) -> RevealedSubject:
    """The subject's identifiers, for a member whose case role the partnership allows to reveal; logged twice over."""
    case, _ = need_to_know.case_or_404(session, principal, case_id, need=Level.FULL, doing="revealing its subject")
    partnership = session.get(Partnership, case.partnership_id)
    assert partnership is not None
    allowed = {role.value for role in data_protection_for(partnership.data_protection).reveal_case_roles}
    mine = need_to_know.membership(session, principal, case)
    if principal.machine or mine is None or mine.case_role not in allowed:
        raise Forbidden(
            f"revealing the subject of {case.reference} needs membership of the case as one of: "
            + ", ".join(sorted(allowed))
            + (f" (you are its {mine.case_role})" if mine else " (you are not a member)")
        )
    subject = session.get(CaseSubject, case.id)
    if subject is None:
        raise NotFound(f"case {case.reference} holds no identifiers for its subject, only the pseudonym")
    identifiers = unseal_json(subject.sealed, "a subject's identifiers")
    record_access(session, principal, kind=AccessKind.REVEAL, object_type="case", object_id=case.id, case_id=case.id)
    record(
        session,
        partnership_id=case.partnership_id,
        actor=principal,
        action="subject.revealed",
        object_type="case",
        object_id=str(case.id),
        summary=f"{principal.name} revealed the subject of {case.reference}: {reason}",
        detail={"fields": sorted(identifiers), "reason": reason},
    )
    return RevealedSubject(case=case, identifiers=identifiers)
