"""Subject access: everything held about one subject, across the cases that name them, as one bundle."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.audit.access import AccessKind, record_access
from service.audit.log import record
from service.dataprotection.guard import require_data_protection_role
from service.db.types import utcnow
from service.errors import InvalidInput, NotFound
from service.models import (
    Action,
    Case,
    CaseLink,
    CaseMember,
    CaseSubject,
    Evidence,
    HumanTask,
    ProcessInstance,
    Recommendation,
    User,
)
from service.sealing import unseal_json
from service.timestamps import rfc3339, rfc3339_or_none

MAX_CASES = 200  # a bundle is one person's; more than this means the match is too loose


def export(
    session: Session, principal: Principal, *, case_id: uuid.UUID | None, identifiers: dict[str, str]
) -> dict[str, Any]:
    """The bundle for a subject access request: every case holding this subject, with what each holds. Logged."""
    require_data_protection_role(principal, "subject access")
    wanted = _wanted(session, principal, case_id, identifiers)
    matches = [(case_id_, found) for case_id_, found in _subjects(session, principal) if _same(wanted, found)]
    if case_id is not None and all(cid != case_id for cid, _ in matches):
        matches.append((case_id, {}))
    if not matches:
        raise NotFound("no case holds a subject with these identifiers")
    if len(matches) > MAX_CASES:
        raise InvalidInput(
            f"{len(matches)} cases match; give more identifiers (an NHS number, or name and date of birth)",
            [{"field": "identifiers", "message": "too many matches"}],
        )
    cases = []
    for matched_id, found in sorted(matches, key=lambda m: str(m[0])):
        case = session.get(Case, matched_id)
        assert case is not None
        cases.append(_case_bundle(session, case, found))
        record_access(
            session, principal, kind=AccessKind.EXPORT, object_type="case", object_id=case.id, case_id=case.id
        )
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="subject.exported",
        object_type="partnership",
        object_id=str(principal.partnership_id),
        summary=f"Subject access export of {len(cases)} case(s) by {principal.name}",
        detail={"cases": [c["reference"] for c in cases], "matched_on": sorted(wanted)},
    )
    return {
        "exported_at": rfc3339(utcnow()),
        "exported_by": principal.label,
        "matched_on": sorted(wanted),
        "cases": cases,
    }


def _wanted(
    session: Session, principal: Principal, case_id: uuid.UUID | None, identifiers: dict[str, str]
) -> dict[str, str]:
    if case_id is None and not identifiers:
        raise InvalidInput(
            "say whose data to export", [{"field": "identifiers", "message": "give a case_id or identifiers"}]
        )
    wanted = {k: str(v) for k, v in identifiers.items() if v not in (None, "")}
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None or case.partnership_id != principal.partnership_id:
            raise NotFound(f"there is no case {case_id}")
        subject = session.get(CaseSubject, case_id)
        if subject is not None:
            wanted = {**unseal_json(subject.sealed, "a subject's identifiers"), **wanted}
    return wanted


def _subjects(session: Session, principal: Principal) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    # Identifiers are sealed, so matching reads them all: fine for a partnership's few thousand cases.
    rows = session.exec(select(CaseSubject).where(CaseSubject.partnership_id == principal.partnership_id)).all()
    return [(row.case_id, unseal_json(row.sealed, "a subject's identifiers")) for row in rows]


def _same(wanted: dict[str, str], found: dict[str, Any]) -> bool:
    def norm(value: Any) -> str:
        return " ".join(str(value).casefold().split())

    if wanted.get("subject_nhs_number") and found.get("subject_nhs_number"):
        return norm(wanted["subject_nhs_number"]).replace(" ", "") == norm(found["subject_nhs_number"]).replace(" ", "")
    keys = [k for k in ("subject_name", "subject_date_of_birth") if wanted.get(k)]
    return bool(keys) and all(norm(wanted[k]) == norm(found.get(k, "")) for k in keys)


def _case_bundle(session: Session, case: Case, identifiers: dict[str, Any]) -> dict[str, Any]:
    instance = session.exec(select(ProcessInstance).where(ProcessInstance.case_id == case.id)).first()
    tasks = session.exec(
        select(HumanTask).where(HumanTask.case_id == case.id).order_by(col(HumanTask.created_at))
    ).all()
    recommendations = session.exec(select(Recommendation).where(Recommendation.case_id == case.id)).all()
    action_ids = select(Action.id).where(Action.review_case_id == case.id)
    evidence = session.exec(select(Evidence).where(col(Evidence.action_id).in_(action_ids))).all()
    members = session.exec(
        select(CaseMember, User)
        .join(User, col(User.id) == col(CaseMember.user_id))
        .where(CaseMember.case_id == case.id)
    ).all()
    links = session.exec(
        select(CaseLink).where((col(CaseLink.from_case_id) == case.id) | (col(CaseLink.to_case_id) == case.id))
    ).all()
    return {
        "case_id": str(case.id),
        "reference": case.reference,
        "case_type": case.case_type,
        "title": case.title,
        "subject_pseudonym": case.subject_pseudonym,
        "identifiers": identifiers,
        "status": case.status,
        "opened_at": rfc3339(case.created_at),
        "closed_at": rfc3339_or_none(case.closed_at),
        "involved_agencies": list(case.involved_agencies),
        "members": [{"name": u.name, "case_role": m.case_role} for m, u in members],
        "variables": instance.variables if instance else {},
        "tasks": [
            {
                "name": t.name,
                "element_id": t.element_id,
                "agency": t.agency_code,
                "state": t.state,
                "completed_at": rfc3339_or_none(t.completed_at),
                "data": t.data,
            }
            for t in tasks
        ],
        "recommendations": [{"number": r.number, "finding": r.finding, "text": r.text} for r in recommendations],
        "evidence_files": [
            {"filename": e.filename, "content_type": e.content_type, "size_bytes": e.size_bytes, "sha256": e.sha256}
            for e in evidence
        ],
        "linked_cases": [str(link.to_case_id if link.from_case_id == case.id else link.from_case_id) for link in links],
    }
