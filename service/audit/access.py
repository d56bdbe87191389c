"""The access log: every look at a case's personal data, written at the request boundary.

A service function that returns personal data calls :func:`record_access`; the entry waits on the session and
the request boundary writes every waiting entry — in the request's own transaction when it writes, or in a
short write transaction of its own after a read — before the response leaves. If the log cannot be written the
request fails: nobody sees data whose viewing went unrecorded.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert
from sqlmodel import Session

from service.access.principal import Principal
from service.db.engine import WRITE
from service.db.types import utcnow
from service.models import AccessEvent

_PENDING = "lif_access_pending"


class AccessKind:
    """The kinds of read the log distinguishes (``kind`` column)."""

    CASE = "case.read"  # the case with its record and review record (or an agency's summary of it)
    VARIABLES = "instance.variables"
    HISTORY = "instance.history"
    DIAGRAM = "instance.diagram"
    TASK = "task.read"  # a task with its submitted data
    EVIDENCE = "evidence.read"
    AUDIT_SUMMARY = "audit.summary"  # an audit's answers, agency by agency
    REVEAL = "subject.revealed"
    EXPORT = "subject.exported"

    ALL = (CASE, VARIABLES, HISTORY, DIAGRAM, TASK, EVIDENCE, AUDIT_SUMMARY, REVEAL, EXPORT)


def record_access(
    session: Session,
    principal: Principal,
    *,
    kind: str,
    object_type: str,
    object_id: uuid.UUID | str,
    case_id: uuid.UUID | None,
) -> None:
    """Note one look at personal data; the request boundary writes it before the response is sent."""
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    pending.append(
        {
            "partnership_id": principal.partnership_id,
            "at": utcnow(),
            "actor_id": principal.user_id,
            "actor_label": principal.label[:200],
            "kind": kind,
            "object_type": object_type,
            "object_id": str(object_id),
            "case_id": case_id,
        }
    )


def take_pending(session: Session) -> list[dict[str, Any]]:
    """The entries waiting on this session (and forget them)."""
    return list(session.info.pop(_PENDING, []))


def write_entries(connection: Connection, entries: list[dict[str, Any]], *, correlation_id: str) -> None:
    """Insert waiting entries on ``connection`` (the caller commits)."""
    if entries:
        connection.execute(
            insert(AccessEvent.__table__),  # type: ignore[attr-defined]
            [{**entry, "correlation_id": correlation_id[:64]} for entry in entries],
        )


def write_after_read(session: Session, entries: list[dict[str, Any]], *, correlation_id: str) -> bool:
    """Write the looks a read request took; True when the caller must then commit ``session`` (the boundary does).

    SQLite: in a short write transaction of its own, committed as it closes (upgrading the read snapshot to a
    writer could be refused; WAL readers never block this writer). PostgreSQL: in the request's own
    transaction, which the boundary commits durably (turning synchronous_commit off measured no faster here,
    so an entry is never traded for speed).
    """
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        with bind.engine.execution_options(**{WRITE: True}).begin() as connection:
            write_entries(connection, entries, correlation_id=correlation_id)
        return False
    write_entries(session.connection(), entries, correlation_id=correlation_id)
    return True
