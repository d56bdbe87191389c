"""What a step writes, and how few round trips it takes, without giving up a guard.

A completion reads its task, its case and its locked instance in one query and does not read the task again: the
UPDATE that completes it is guarded by the version it was read at. It reads the instance's other open tasks only when
the state it began from had some, and never reads its timer rows: the state says which wait. Audit events of one
transaction are written together just before it commits.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from service import engine
from service.access.principal import Principal
from service.audit.log import record
from service.audit.queries import list_events
from service.db.session import open_session, unit_of_work
from service.engine.functions import today
from service.errors import Conflict, PreconditionFailed
from service.identity.tokens import authenticate
from service.models import AuditEvent, HumanTask, ProcessInstance, Timer, User
from service.processes import registry
from service.tasks import service as tasks_service
from service.tasks.service import complete
from service.workflow import stepper
from tests.conftest import Api
from tests.helpers import complete as complete_over_http
from tests.helpers import open_case, open_tasks, sql_statements

# The stepper's read of an instance's open tasks (service/workflow/stepper.py, _OPEN_TASKS).
_TIMER_READ = re.compile(r"^\s*SELECT\b.*\bFROM timer\b", re.DOTALL)
_OPEN_TASKS_READ = re.compile(r"FROM human_task\s+WHERE human_task\.instance_id = \S+ AND human_task\.state = ")


@pytest.mark.parametrize(
    ("change", "send_version", "expected", "words"),
    [
        ({"state": "completed"}, False, Conflict, "already completed"),
        ({"assignee_id": "other"}, False, Conflict, "claimed by someone else"),
        ({}, True, PreconditionFailed, "has changed since you read it"),
        ({}, False, Conflict, "changed by another request while this one ran"),
    ],
)
def test_a_completion_of_a_task_changed_since_it_was_read_is_refused_and_changes_nothing(
    api: Api,
    db_url: str,
    tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, str],
    send_version: bool,
    expected: type[Exception],
    words: str,
) -> None:
    case = open_case(api, aware_at=today())
    task_id = uuid.UUID(open_tasks(api, case["id"], "Task_NotifyPanel")[0]["id"])
    version = open_tasks(api, case["id"], "Task_NotifyPanel")[0]["version"]
    session = open_session(write=True, url=db_url)
    read_then_changed = tasks_service._task_to_complete

    def changed_after_the_read(s: Session, principal: Principal, wanted: uuid.UUID) -> tuple[HumanTask, object]:
        # The task as complete() read it (with its instance locked), then changed by "another request": on
        # PostgreSQL a claim does not wait for the instance lock. The same transaction stands in for it, and
        # the ORM copy complete() holds is left as it was read, on purpose.
        task, instance = read_then_changed(s, principal, wanted)
        values: dict[str, object] = {"version": HumanTask.version + 1, **change}
        if values.get("assignee_id") == "other":
            other = s.exec(select(User).where(col(User.id) != principal.user_id)).first()
            assert other is not None
            values["assignee_id"] = other.id
        s.execute(
            update(HumanTask)
            .where(col(HumanTask.id) == wanted)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        assert task.version == version and task.state == "open"  # what complete() will check first
        return task, instance

    monkeypatch.setattr(tasks_service, "_task_to_complete", changed_after_the_read)
    try:
        principal = authenticate(session, tokens["business_manager"])
        with pytest.raises(expected) as refused:
            complete(session, principal, task_id, {"notified_at": today()}, if_match=version if send_version else None)
        assert words in str(refused.value)
    finally:
        session.rollback()
        session.close()
    # Nothing of the refused completion was kept: the task is open and the case has not moved on.
    assert open_tasks(api, case["id"], "Task_NotifyPanel")[0]["version"] == version


def _record(session: Session, principal: Principal, marker: str, summary: str) -> None:
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="test.recorded",
        object_type="test",
        object_id=marker,
        summary=summary,
    )


def test_audit_events_of_one_transaction_are_written_in_order_seen_by_its_own_reads_and_dropped_on_rollback(
    db_url: str, tokens: dict[str, str]
) -> None:
    marker = f"step-writes-{uuid.uuid4()}"
    with unit_of_work(url=db_url) as session:
        principal = authenticate(session, tokens["partnership_admin"])
        for n in range(3):
            _record(session, principal, marker, f"event {n}")
        seen = list_events(session, principal, object_id=marker, action=None, cursor=None, limit=10)
        assert sorted(e.summary for e in seen.items) == ["event 0", "event 1", "event 2"]
    with unit_of_work(write=False, url=db_url) as session:
        stored = session.exec(
            select(AuditEvent).where(AuditEvent.object_id == marker).order_by(col(AuditEvent.id))
        ).all()
        assert [e.summary for e in stored] == ["event 0", "event 1", "event 2"]
    session = open_session(write=True, url=db_url)
    try:  # one session, used again after a rollback: what the rolled-back transaction recorded is gone
        for summary in ("rolled back", "next transaction"):
            _record(session, principal, marker, summary)
            if summary == "rolled back":
                session.rollback()
        session.commit()
    finally:
        session.close()
    with unit_of_work(write=False, url=db_url) as session:
        summaries = session.exec(select(AuditEvent.summary).where(AuditEvent.object_id == marker)).all()
        assert sorted(summaries) == ["event 0", "event 1", "event 2", "next transaction"]


def test_a_step_reads_no_timer_row_and_the_rows_follow_the_engine(api: Api, db_url: str) -> None:
    case = open_case(api, aware_at=today())
    (before,) = _waiting_timers(db_url, case["instance_id"])
    with sql_statements(db_url) as statements:
        complete_over_http(api, case["id"], "Task_NotifyPanel", {"notified_at": today(), "child_looked_after": False})
    assert [s for s in statements if _TIMER_READ.search(s)] == []
    # Notifying the panel ends the wait for it (its deadline had not come: cancelled, not fired); the rapid review's
    # own deadline starts. The rows are what the engine now waits on, with its due times.
    with unit_of_work(write=False, url=db_url) as session:
        closed = session.get(Timer, before.id)
        assert closed is not None
        assert (closed.status, closed.fired_at) == ("cancelled", None)
        instance = session.get(ProcessInstance, uuid.UUID(case["instance_id"]))
        assert instance is not None
        definition = registry.loaded(session, instance.definition_id)
        waiting = engine.fire_due_timers(definition, instance.state).timers  # nothing is due yet: a look only
    rows = _waiting_timers(db_url, case["instance_id"])
    assert [(r.engine_task_id, r.element_id, r.due_at) for r in rows] == [
        (t.task_id, t.element_id, t.due_at) for t in waiting
    ]
    assert [r.engine_task_id for r in rows] != [before.engine_task_id]


def _waiting_timers(db_url: str, instance_id: str) -> list[Timer]:
    with unit_of_work(write=False, url=db_url) as session:
        query = select(Timer).where(Timer.instance_id == uuid.UUID(instance_id), Timer.status == "waiting")
        return list(session.exec(query).all())


def test_a_completion_reads_the_open_tasks_only_when_the_state_had_others(api: Api, db_url: str) -> None:
    case = open_case(api, aware_at=today())
    answers = {"agency_involvement": "police saw the family", "chronology_summary": "see chronology"}
    # The notification is the only open task: its completion has nothing else to read.
    with sql_statements(db_url) as alone:
        complete_over_http(api, case["id"], "Task_NotifyPanel", {"notified_at": today(), "child_looked_after": False})
    assert len(open_tasks(api, case["id"], "Task_ProvideRapidReviewInformation")) == 3
    # Three agencies' tasks are open: completing one reads the other two, which stay open.
    with sql_statements(db_url) as beside_others:
        complete_over_http(api, case["id"], "Task_ProvideRapidReviewInformation", answers, agency="police")
    assert [s for s in alone if _OPEN_TASKS_READ.search(s)] == []
    assert len([s for s in beside_others if _OPEN_TASKS_READ.search(s)]) == 1
    assert sorted(t["agency"] for t in open_tasks(api, case["id"], "Task_ProvideRapidReviewInformation")) == [
        "health",
        "la",
    ]


def test_a_timer_whose_due_time_moved_is_moved_and_one_still_waiting_is_left_alone(api: Api, db_url: str) -> None:
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={"case_type": "timer_probe", "title": "timer", "subject_pseudonym": "n/a", "data": {}},
    )
    assert response.status_code == 201, response.text
    (row,) = _waiting_timers(db_url, response.json()["instance_id"])
    waiting = engine.WaitingTimer(row.engine_task_id, row.element_id, row.name or "", row.due_at)
    later = engine.WaitingTimer(row.engine_task_id, row.element_id, row.name or "", row.due_at + dt.timedelta(hours=1))
    for before, after, due in [(waiting, waiting, row.due_at), (waiting, later, later.due_at)]:
        snapshot = engine.Snapshot(
            state={}, completed=False, ready_before=frozenset(), timers_before=[before], timers=[after]
        )
        with unit_of_work(write=True, url=db_url) as session:
            instance = session.get(ProcessInstance, row.instance_id)
            assert instance is not None
            with sql_statements(db_url) as statements:
                stepper._project_timers(session, instance, snapshot, new=False)
                session.flush()
            assert len([s for s in statements if "timer" in s]) == (0 if after is before else 1)
        (stored,) = _waiting_timers(db_url, str(row.instance_id))
        assert (stored.id, stored.due_at) == (row.id, due)
