"""Dispose of what is due, irreversibly, and log each item (classes, ids and rules only: never personal data).

What disposing means, per object (docs/retention.md):

- a case: its subject's identifiers are deleted; title and pseudonym replaced; in its process variables and its
  tasks' answers only what :class:`~service.dataprotection.anonymise.Keeper` keeps survives; the engine state of
  its finished process is replaced by a marker (nothing runs a finished process again);
- an agency submission: the task's answers, kept as for a case;
- an evidence file: name and description blanked; the bytes deleted from the store once no evidence row that is
  not disposed uses the same content (the store is content-addressed), after the transaction commits;
- a trainee: name, e-mail and supervisor replaced; agency, role, DSL flag and training records stay;
- access-log rows: deleted, under a ``disposal_permit`` held inside this transaction (migration 0010).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, event
from sqlmodel import Session, col, select

from service.actions.evidence_store import EvidenceStore
from service.dataprotection.anonymise import Keeper
from service.dataprotection.retention import DueItem, plan
from service.db.types import utcnow
from service.models import (
    AccessEvent,
    Case,
    CaseSubject,
    DisposalEntry,
    DisposalPermit,
    Evidence,
    HumanTask,
    Partnership,
    ProcessInstance,
    Trainee,
)
from service.processes import registry
from service.workflow.disposed import disposed_state

DISPOSED_PSEUDONYM = "[disposed]"
DISPOSED_FILENAME = "disposed"
DISPOSED_TRAINEE = "Disposed trainee"


def dispose(
    session: Session, *, partnership_id: uuid.UUID, as_of: dt.date, run_id: uuid.UUID, store: EvidenceStore
) -> list[DueItem]:
    """Dispose of exactly what :func:`~service.dataprotection.retention.due_for_disposal` lists; log each item.

    Runs in the caller's transaction. The partnership row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite
    writers already hold the database), so two runs at once cannot both dispose, or log, the same item.
    """
    # Re-read under the lock (populate_existing): the copy authentication kept may predate a change to the rules.
    session.exec(
        select(Partnership)
        .where(Partnership.id == partnership_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    planned = plan(session, partnership_id=partnership_id, as_of=as_of)
    now = utcnow()
    disposers: dict[str, Callable[[Session, str, dt.datetime], None]] = {
        "case": _dispose_case,
        "task": _dispose_task,
        "evidence": _dispose_evidence,
        "trainee": _dispose_trainee,
    }
    for item in planned.items:
        if item.object_type == "access_events":
            session.add(DisposalPermit(run_id=run_id))
            session.flush()
            session.execute(
                delete(AccessEvent).where(*planned.access_filter).execution_options(synchronize_session=False)
            )
            session.execute(delete(DisposalPermit).where(col(DisposalPermit.run_id) == run_id))
        else:
            disposers[item.object_type](session, item.object_id, now)
        session.add(
            DisposalEntry(
                partnership_id=partnership_id,
                run_id=run_id,
                record_class=item.record_class,
                object_type=item.object_type,
                object_id=item.object_id,
                rule=item.rule[:200],
                due_on=item.due_on,
                disposed_at=now,
            )
        )
    session.flush()
    _remove_files_after_commit(session, partnership_id, store)
    return planned.items


def _dispose_case(session: Session, object_id: str, now: dt.datetime) -> None:
    case = session.get(Case, uuid.UUID(object_id))
    assert case is not None
    session.execute(delete(CaseSubject).where(col(CaseSubject.case_id) == case.id))
    case.title = f"Disposed {case.case_type} case"[:200]
    case.subject_pseudonym = DISPOSED_PSEUDONYM
    case.record = {}
    case.disposed_at = now
    session.add(case)
    for instance in session.exec(select(ProcessInstance).where(ProcessInstance.case_id == case.id)).all():
        keeper = Keeper(registry.loaded(session, instance.definition_id))
        instance.variables = keeper.kept(instance.variables)
        instance.state = disposed_state(now)
        instance.version += 1
        session.add(instance)
        for task in session.exec(select(HumanTask).where(HumanTask.instance_id == instance.id)).all():
            _scrub_task(session, task, keeper, now)


def _dispose_task(session: Session, object_id: str, now: dt.datetime) -> None:
    task = session.get(HumanTask, uuid.UUID(object_id))
    assert task is not None
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    _scrub_task(session, task, Keeper(registry.loaded(session, instance.definition_id)), now)


def _scrub_task(session: Session, task: HumanTask, keeper: Keeper, now: dt.datetime) -> None:
    task.data = keeper.kept(task.data)
    task.subject = None  # a task's subject (``taskSubject``) may name a person, e.g. one attendee
    task.data_disposed_at = task.data_disposed_at or now
    task.version += 1
    session.add(task)


def _dispose_evidence(session: Session, object_id: str, now: dt.datetime) -> None:
    evidence = session.get(Evidence, uuid.UUID(object_id))
    assert evidence is not None
    evidence.filename = DISPOSED_FILENAME
    evidence.description = ""
    evidence.disposed_at = now
    session.add(evidence)


def _dispose_trainee(session: Session, object_id: str, now: dt.datetime) -> None:
    trainee = session.get(Trainee, uuid.UUID(object_id))
    assert trainee is not None
    trainee.name = DISPOSED_TRAINEE
    # Unique per partnership, and without an "@" it can never be a real address (nor collide with one).
    trainee.email = f"disposed-{trainee.id}"
    trainee.supervisor_name = None
    trainee.active = False  # nobody to remind of refreshers, nor to nominate
    trainee.disposed_at = now
    session.add(trainee)


def _remove_files_after_commit(session: Session, partnership_id: uuid.UUID, store: EvidenceStore) -> None:
    """Delete the bytes of disposed evidence no live row shares, once (and only if) this transaction commits.

    Every run looks at all the partnership's disposed evidence, so a file left behind (a crash between commit and
    delete, or a row that shared it and has since been disposed too) goes on a later run.
    """
    disposed = set(
        session.exec(
            select(Evidence.sha256).where(
                Evidence.partnership_id == partnership_id, col(Evidence.disposed_at).is_not(None)
            )
        ).all()
    )
    candidates = {sha for sha in disposed if store.has(sha)}
    if not candidates:
        return
    # Across every partnership: the store keeps one copy of identical bytes, whoever uploaded them.
    in_use = set(
        session.exec(
            select(Evidence.sha256).where(col(Evidence.sha256).in_(candidates), col(Evidence.disposed_at).is_(None))
        ).all()
    )
    removable = sorted(candidates - in_use)

    def remove(_: Any) -> None:
        for sha in removable:
            store.remove(sha)

    event.listen(session, "after_commit", remove, once=True)
