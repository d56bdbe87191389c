"""Evidence of an action's progress and impact: upload, list, download (same authorisation as the action)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from service.access.owned import owned_or_404
from service.access.principal import Principal
from service.actions.access import manages, visible_action
from service.actions.evidence_store import EvidenceRejected, EvidenceStore
from service.audit.access import AccessKind, record_access
from service.audit.log import record
from service.errors import Conflict, Forbidden, Gone, InvalidInput
from service.models import Action, Evidence
from service.pagination import Page, paginate
from service.workflow.action_sync import CLOSED_STATUSES


@dataclass(frozen=True)
class Download:
    """A file to send back."""

    evidence: Evidence
    data: bytes


def upload_evidence(
    session: Session,
    principal: Principal,
    store: EvidenceStore,
    action_id: uuid.UUID,
    *,
    filename: str,
    content_type: str,
    data: bytes,
    description: str,
) -> Evidence:
    """Attach a file to an open action: the owning agency's lead (or its system) or a case manager."""
    action = visible_action(session, principal, action_id)
    if not manages(principal) and principal.agency_code != action.owner_agency:
        raise Forbidden("only the owning agency or the partnership's case managers add evidence to this action")
    if action.status in CLOSED_STATUSES:
        raise Conflict(f"the action is closed ({action.status}); evidence can no longer be added")
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
    if not name:
        raise InvalidInput("the file needs a name", [{"field": "file", "message": "send a filename"}])
    try:
        stored = store.put(data, content_type)
    except EvidenceRejected as exc:
        raise InvalidInput("the evidence file was refused", [{"field": "file", "message": str(exc)}]) from None
    evidence = Evidence(
        partnership_id=action.partnership_id,
        action_id=action.id,
        filename=name,
        content_type=content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        description=description,
        uploaded_by_id=principal.user_id,
    )
    session.add(evidence)
    session.flush()
    _audit(session, principal, action, evidence, "evidence.uploaded", f"Evidence '{name}' added to an action")
    return evidence


def list_evidence(
    session: Session, principal: Principal, action_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Page[Evidence]:
    """The files of an action, oldest first, one page."""
    action = visible_action(session, principal, action_id)
    return paginate(
        session,
        select(Evidence).where(Evidence.action_id == action.id),
        created_col=col(Evidence.created_at),
        id_col=col(Evidence.id),
        cursor=cursor,
        limit=limit,
        newest_first=False,
    )


def download_evidence(session: Session, principal: Principal, store: EvidenceStore, evidence_id: uuid.UUID) -> Download:
    """The file's bytes, if the caller may see its action; the read is logged (special-category data)."""
    evidence = owned_or_404(session, Evidence, evidence_id, principal.partnership_id, "evidence")
    action = visible_action(session, principal, evidence.action_id)
    if evidence.disposed_at is not None:
        raise Gone(f"this evidence file was disposed of on {evidence.disposed_at.date()} at the end of its retention")
    try:
        data = store.get(evidence.sha256)
    except FileNotFoundError:
        raise Conflict("the evidence file is missing from the store; restore the evidence folder from backup") from None
    record_access(
        session,
        principal,
        kind=AccessKind.EVIDENCE,
        object_type="evidence",
        object_id=evidence.id,
        case_id=action.case_id or action.review_case_id,
    )
    return Download(evidence=evidence, data=data)


def _audit(session: Session, principal: Principal, action: Action, evidence: Evidence, what: str, summary: str) -> None:
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action=what,
        object_type="evidence",
        object_id=str(evidence.id),
        summary=summary,
        detail={"action_id": str(action.id), "sha256": evidence.sha256, "size_bytes": evidence.size_bytes},
    )
